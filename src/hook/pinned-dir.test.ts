// Writes through a pinned directory land in it even when its path is swapped for a symlink meanwhile.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { PinnedDir, withPinnedDir } from "./pinned-dir.js";

function scene(t: TestContext): { root: string; outside: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-pinned-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, "rootfs");
  const outside = path.join(dir, "host-etc");
  fs.mkdirSync(path.join(root, "etc", "ld.so.conf.d"), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, "victim"), "host file\n", { mode: 0o644 });
  return { root, outside };
}

test("hostile: a directory swapped for a symlink to the host after it was pinned: writes, links and chmod stay in the pinned directory", (t) => {
  const s = scene(t);
  const dir = PinnedDir.open(s.root, "/etc/ld.so.conf.d", { create: false, what: "test" });
  t.after(() => dir.close());
  // The race: another process moves the directory away and plants a link to a host directory in its place.
  fs.renameSync(path.join(s.root, "etc", "ld.so.conf.d"), path.join(s.root, "etc", "moved"));
  fs.symlinkSync(s.outside, path.join(s.root, "etc", "ld.so.conf.d"));

  fs.writeFileSync(dir.at("00-actk.conf"), "/usr/lib\n");
  fs.symlinkSync("libcuda.so.1", dir.at("libcuda.so"));
  fs.writeFileSync(dir.at("victim"), "in the container\n", { mode: 0o644 });
  dir.chmod("victim", 0o600, "test");
  dir.chmod(undefined, 0o700, "test");

  assert.deepEqual(fs.readdirSync(s.outside), ["victim"], "nothing was created in the host directory");
  assert.equal(fs.readFileSync(path.join(s.outside, "victim"), "utf8"), "host file\n");
  assert.equal(fs.statSync(path.join(s.outside, "victim")).mode & 0o777, 0o644, "the host file's mode is unchanged");
  assert.equal(fs.statSync(s.outside).mode & 0o777, 0o755);
  const moved = path.join(s.root, "etc", "moved");
  assert.deepEqual(fs.readdirSync(moved).sort(), ["00-actk.conf", "libcuda.so", "victim"]);
  assert.equal(fs.statSync(path.join(moved, "victim")).mode & 0o777, 0o600);
  assert.equal(fs.statSync(moved).mode & 0o777, 0o700);
});

test("hostile: opening a path with a symlinked component fails, whatever the link points at", (t) => {
  const s = scene(t);
  fs.symlinkSync(s.outside, path.join(s.root, "lib"));
  fs.symlinkSync("/etc", path.join(s.root, "etc2")); // even a link that stays in the root: the path was resolved before
  for (const p of ["/lib", "/lib/x", "/etc2/ld.so.conf.d"]) {
    assert.throws(() => PinnedDir.open(s.root, p, { create: true, what: "write" }), /write: .* changed while it was being prepared \(a symlink appeared at \/(lib|etc2)\)/, p);
  }
  assert.deepEqual(fs.readdirSync(s.outside), ["victim"], "create did not make anything through the link");
});

test("chmod refuses a symlink at the name (it would have been resolved in-root before), and never follows it", (t) => {
  const s = scene(t);
  fs.symlinkSync(path.join(s.outside, "victim"), path.join(s.root, "etc", "link"));
  withPinnedDir(s.root, "/etc", { create: false, what: "chmod /etc/link" }, (dir) => {
    assert.throws(() => dir.chmod("link", 0o777, "chmod /etc/link"), /changed while it was being prepared/);
  });
  assert.equal(fs.statSync(path.join(s.outside, "victim")).mode & 0o777, 0o644);
});

test("create makes missing directories (0755) one at a time; a file on the way is an error naming it", (t) => {
  const s = scene(t);
  withPinnedDir(s.root, "/usr/lib/x86_64-linux-gnu", { create: true, what: "mkdir" }, (dir) => {
    fs.writeFileSync(dir.at("f"), "x");
  });
  assert.equal(fs.readFileSync(path.join(s.root, "usr/lib/x86_64-linux-gnu/f"), "utf8"), "x");
  assert.equal(fs.statSync(path.join(s.root, "usr/lib")).mode & 0o777, 0o755);
  fs.writeFileSync(path.join(s.root, "opt"), "a file");
  assert.throws(() => PinnedDir.open(s.root, "/opt/x", { create: true, what: "mkdir" }), /mkdir: \/opt exists in the container and is not a directory/);
  assert.throws(() => PinnedDir.open(s.root, "/nope", { create: false, what: "chmod" }), { code: "ENOENT" });
});

test("a pinned directory names only entries in itself", (t) => {
  const s = scene(t);
  withPinnedDir(s.root, "/etc", { create: false, what: "test" }, (dir) => {
    for (const bad of ["", ".", "..", "a/b"]) assert.throws(() => dir.at(bad), /is not a file name/, bad);
  });
});
