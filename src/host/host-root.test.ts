import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compareNumericNames, HostRoot } from "./host-root.js";

test("directory entries sort with numbers compared as numbers", () => {
  const names = ["nvidia10", "nvidia2", "nvidia-uvm", "nvidia1", "card0", "renderD128", "nvidiactl", "nvidia02", "a"];
  assert.deepEqual([...names].sort(compareNumericNames), ["a", "card0", "nvidia1", "nvidia2", "nvidia02", "nvidia10", "nvidia-uvm", "nvidiactl", "renderD128"]);
});

test("readdir under a host root lists entries in that order and [] for a missing directory", (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "actk-hostroot-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, "dev"));
  for (const n of ["nvidia10", "nvidia2", "nvidiactl"]) fs.writeFileSync(path.join(root, "dev", n), "");
  const host = new HostRoot(root);
  assert.deepEqual(host.readdir("/dev").map((e) => e.name), ["nvidia2", "nvidia10", "nvidiactl"]);
  assert.deepEqual(host.readdir("/nope"), []);
});

test("a HostRoot with a lookup cache resolves like one without, symlinks re-rooted, and keeps what it looked up", (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "actk-hostroot-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, "usr/lib/x86_64-linux-gnu"), { recursive: true });
  fs.writeFileSync(path.join(root, "usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"), "");
  fs.symlinkSync("libcuda.so.550.54.15", path.join(root, "usr/lib/x86_64-linux-gnu/libcuda.so.1"));
  fs.symlinkSync("/usr/lib", path.join(root, "lib"));
  const plain = new HostRoot(root);
  const cached = plain.withLookupCache();
  assert.equal(cached.root, plain.root);
  for (const p of ["/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/lib/../lib/x86_64-linux-gnu", "/lib/missing/x", "/"]) {
    assert.equal(cached.resolve(p), plain.resolve(p), p);
    assert.equal(cached.resolveRelative(p), plain.resolveRelative(p), p);
    assert.equal(cached.resolve(p), plain.resolve(p), `${p}, from the cache`);
  }
  assert.equal(cached.resolveRelative("/lib/x86_64-linux-gnu/libcuda.so.1"), "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15");
  // One pass sees one state of the tree: a link changed afterwards is seen by a new cache, not this one.
  fs.rmSync(path.join(root, "usr/lib/x86_64-linux-gnu/libcuda.so.1"));
  fs.symlinkSync("libcuda.so.999", path.join(root, "usr/lib/x86_64-linux-gnu/libcuda.so.1"));
  assert.equal(cached.resolveRelative("/lib/x86_64-linux-gnu/libcuda.so.1"), "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15");
  assert.equal(plain.withLookupCache().resolveRelative("/lib/x86_64-linux-gnu/libcuda.so.1"), "/usr/lib/x86_64-linux-gnu/libcuda.so.999");
  assert.equal(plain.resolveRelative("/lib/x86_64-linux-gnu/libcuda.so.1"), "/usr/lib/x86_64-linux-gnu/libcuda.so.999");
});
