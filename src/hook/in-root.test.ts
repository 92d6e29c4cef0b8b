import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkContainerPath, ensureMountTarget, mkdirInRoot, writeFileInRoot } from "./in-root.js";
import { createSymlinks, parseLinkSpec } from "./create-symlinks.js";
import { chmodInRoot, parseMode } from "./chmod.js";
import { silentLogger } from "../core/log.js";

function scratch(t: { after(fn: () => void): void }): { root: string; outside: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-hook-inroot-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, "rootfs");
  const outside = path.join(dir, "outside");
  fs.mkdirSync(path.join(root, "etc"), { recursive: true });
  fs.mkdirSync(path.join(root, "usr", "lib"), { recursive: true });
  fs.mkdirSync(outside);
  return { root, outside };
}

/** Every path under `dir`, for "nothing changed here" checks. */
function listing(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

test("container paths that are relative or contain .. are rejected", () => {
  for (const bad of ["usr/lib", "/usr/../etc", "/a/b/..", "/x\0y"]) {
    assert.throws(() => checkContainerPath(bad, "--folder"), /must be absolute/, bad);
  }
  assert.equal(checkContainerPath("/usr//lib/", "--folder"), "/usr/lib/");
});

const escapes: { name: string; plant: (root: string, outside: string) => void; dir: string }[] = [
  { name: "absolute symlink to a host dir is re-rooted", plant: (r, o) => fs.symlinkSync(o, path.join(r, "usr", "lib", "x86_64-linux-gnu")), dir: "/usr/lib/x86_64-linux-gnu" },
  { name: "relative symlink climbing past the root is clamped", plant: (r, o) => fs.symlinkSync(path.relative(path.join(r, "usr", "lib"), o), path.join(r, "usr", "lib", "x86_64-linux-gnu")), dir: "/usr/lib/x86_64-linux-gnu" },
  { name: "/dev pointing at the host's / stays inside", plant: (r) => fs.symlinkSync("/", path.join(r, "dev")), dir: "/dev/sub" },
];

for (const c of escapes) {
  test(`mkdir/write/symlink in root: ${c.name}`, (t) => {
    const { root, outside } = scratch(t);
    c.plant(root, outside);
    const before = listing(outside);
    const d = mkdirInRoot(root, c.dir, "test");
    assert.ok(d.host.startsWith(root + "/"), d.host);
    writeFileInRoot(root, `${c.dir}/file.conf`, "x\n", 0o644, "test");
    createSymlinks(root, [`libfoo.so.1::${c.dir}/libfoo.so`], silentLogger);
    ensureMountTarget(root, `${c.dir}/mnt-file`, false, "test");
    ensureMountTarget(root, `${c.dir}/mnt-dir`, true, "test");
    assert.deepEqual(listing(outside), before, "nothing was written outside the rootfs");
  });
}

test("writeFileInRoot replaces a planted symlink instead of writing through it", (t) => {
  const { root, outside } = scratch(t);
  const victim = path.join(outside, "victim");
  fs.writeFileSync(victim, "host data\n");
  fs.mkdirSync(path.join(root, "etc", "ld.so.conf.d"));
  fs.symlinkSync(victim, path.join(root, "etc", "ld.so.conf.d", "00-x.conf"));
  writeFileInRoot(root, "/etc/ld.so.conf.d/00-x.conf", "/usr/lib\n", 0o644, "test");
  assert.equal(fs.readFileSync(victim, "utf8"), "host data\n");
  assert.equal(fs.readFileSync(path.join(root, "etc", "ld.so.conf.d", "00-x.conf"), "utf8"), "/usr/lib\n");
});

test("create-symlinks: bad specs are usage errors, identical links are left alone, others replaced", (t) => {
  const { root } = scratch(t);
  for (const bad of ["nolink", "a::b::c", "::/x", "t::relative"]) assert.throws(() => parseLinkSpec(bad), /./, bad);
  assert.deepEqual(createSymlinks(root, ["libcuda.so.1::/usr/lib/libcuda.so"], silentLogger), ["/usr/lib/libcuda.so"]);
  assert.deepEqual(createSymlinks(root, ["libcuda.so.1::/usr/lib/libcuda.so"], silentLogger), []);
  createSymlinks(root, ["libcuda.so.2::/usr/lib/libcuda.so"], silentLogger);
  assert.equal(fs.readlinkSync(path.join(root, "usr", "lib", "libcuda.so")), "libcuda.so.2");
});

test("chmod: a symlink to a host file changes the in-root target, never the host file", (t) => {
  const { root, outside } = scratch(t);
  const canary = path.join(outside, "canary");
  fs.writeFileSync(canary, "x", { mode: 0o644 });
  fs.chmodSync(canary, 0o644);
  fs.symlinkSync(canary, path.join(root, "etc", "link"));
  chmodInRoot(root, "600", ["/etc/link", "/missing"], silentLogger);
  assert.equal(fs.statSync(canary).mode & 0o777, 0o644);
});

test("chmod: mode must be octal and present", () => {
  assert.equal(parseMode("755"), 0o755);
  assert.equal(parseMode("0644"), 0o644);
  for (const bad of [undefined, "", "rwx", "999", "12345"]) assert.throws(() => parseMode(bad), /./, String(bad));
});

test("paths that resolve into the container's /proc or /sys are refused (an image linking /etc to /proc/sys)", (t) => {
  const { root } = scratch(t);
  fs.mkdirSync(path.join(root, "proc", "sys", "kernel"), { recursive: true });
  fs.rmSync(path.join(root, "etc"), { recursive: true });
  fs.symlinkSync("/proc/sys/kernel", path.join(root, "etc"));
  assert.throws(() => writeFileInRoot(root, "/etc/ld.so.conf.d/00-x.conf", "x", 0o644, "test"), /inside the container's \/proc/);
  assert.throws(() => createSymlinks(root, ["x::/sys/kernel/evil"], silentLogger), /inside the container's \/sys/);
  assert.deepEqual(fs.readdirSync(path.join(root, "proc", "sys", "kernel")), []);
});
