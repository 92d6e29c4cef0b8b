import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeFileAtomic } from "./atomic-write.js";

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-aw-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("an existing file keeps its mode and gets the new bytes, with no temp file left", (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, "daemon.json");
  fs.writeFileSync(f, "old", { mode: 0o600 });
  fs.chmodSync(f, 0o600);
  writeFileAtomic(f, "new");
  assert.equal(fs.readFileSync(f, "utf8"), "new");
  assert.equal(fs.statSync(f).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(dir), ["daemon.json"]);
});

test("a new file gets the requested mode and parents when asked", (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, "a", "b", "spec.json");
  writeFileAtomic(f, "{}", { mode: 0o644, mkdirs: true });
  assert.equal(fs.statSync(f).mode & 0o777, 0o644);
});

test("a user file behind a symlink is written through the link, which stays a link", (t) => {
  const dir = tempDir(t);
  const real = path.join(dir, "real.toml");
  const link = path.join(dir, "link.toml");
  fs.writeFileSync(real, "old", { mode: 0o640 });
  fs.chmodSync(real, 0o640);
  fs.symlinkSync("real.toml", link);
  writeFileAtomic(link, "new", { userFile: true });
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.equal(fs.readFileSync(real, "utf8"), "new");
  assert.equal(fs.statSync(real).mode & 0o777, 0o640);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["link.toml", "real.toml"]);
  // A dangling link: its target is created.
  const dangling = path.join(dir, "d.toml");
  fs.symlinkSync("sub/new.toml", dangling);
  fs.mkdirSync(path.join(dir, "sub"));
  writeFileAtomic(dangling, "x", { userFile: true });
  assert.ok(fs.lstatSync(dangling).isSymbolicLink());
  assert.equal(fs.readFileSync(path.join(dir, "sub/new.toml"), "utf8"), "x");
});

test("without userFile a symlink is replaced, never followed (paths in a container's rootfs)", (t) => {
  const dir = tempDir(t);
  const outside = path.join(dir, "outside");
  fs.writeFileSync(outside, "keep");
  const link = path.join(dir, "link");
  fs.symlinkSync(outside, link);
  writeFileAtomic(link, "new");
  assert.equal(fs.readFileSync(outside, "utf8"), "keep");
  assert.ok(fs.lstatSync(link).isFile());
});

test("a user file that cannot be written is one error naming it, not the temp file, and nothing is left", (t) => {
  const dir = tempDir(t);
  const sub = path.join(dir, "spec.yaml");
  fs.mkdirSync(sub);
  assert.throws(() => writeFileAtomic(sub, "x", { userFile: true }), (e: Error) => {
    assert.match(e.message, /spec\.yaml is a directory/);
    assert.doesNotMatch(e.message, /\.tmp/);
    return true;
  });
  const file = path.join(dir, "file");
  fs.writeFileSync(file, "");
  assert.throws(() => writeFileAtomic(path.join(file, "x.toml"), "x", { userFile: true, mkdirs: true }), /is a file, not a directory/);
  assert.throws(() => writeFileAtomic(path.join(dir, "no", "x.toml"), "x", { userFile: true }), /the directory .*\/no does not exist/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["file", "spec.yaml"]);
  assert.deepEqual(fs.readdirSync(sub), []);
});
