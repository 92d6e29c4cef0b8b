import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { isActkError } from "../core/errors.js";
import { newLookupCache, resolveRelativeToRoot } from "./path-in-root.js";

/** A tree with relative, absolute, chained, dangling and looping links. */
function makeTree(t: { after: (fn: () => void) => void }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "actk-pir-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = (p: string): void => {
    fs.mkdirSync(path.join(root, p), { recursive: true });
  };
  const file = (p: string): void => fs.writeFileSync(path.join(root, p), "");
  const link = (target: string, p: string): void => fs.symlinkSync(target, path.join(root, p));
  dir("usr/lib/x86_64-linux-gnu");
  dir("a/b/c");
  file("usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15");
  link("libcuda.so.550.54.15", "usr/lib/x86_64-linux-gnu/libcuda.so.1");
  link("libcuda.so.1", "usr/lib/x86_64-linux-gnu/libcuda.so");
  link("usr/lib", "lib"); // relative, at the root
  link("/usr/lib/x86_64-linux-gnu", "a/abs"); // absolute: re-rooted
  link("../../../../../../usr", "a/b/up"); // climbs past the root: clamped
  link("c/../../b", "a/b/rel"); // `..` after a link component
  link("/nope/deeper", "a/dangling");
  link("loop2", "a/loop1");
  link("loop1", "a/loop2");
  link("/a/abs/libcuda.so", "a/b/c/chain"); // through an absolute link to a relative chain
  return root;
}

const expected: [string, string, boolean?][] = [
  ["/lib/x86_64-linux-gnu/libcuda.so", "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"],
  ["/lib/x86_64-linux-gnu/libcuda.so", "/usr/lib/x86_64-linux-gnu/libcuda.so", false],
  ["/a/abs/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"],
  ["/a/abs", "/a/abs", false],
  ["/a/abs", "/usr/lib/x86_64-linux-gnu"],
  ["/a/abs/../..", "/usr"],
  ["/a/b/up/lib", "/usr/lib"],
  ["/../../a/./b//c/", "/a/b/c"],
  ["/a/b/rel/c", "/a/b/c"],
  ["/a/dangling/x/../y", "/nope/deeper/y"],
  ["/a/missing/../b", "/a/b"],
  ["/a/b/c/chain", "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"],
  ["/a/b/c/chain", "/a/b/c/chain", false],
  ["/", "/"],
  ["", "/"],
];

test("paths resolve inside the root as the kernel would with that root as /", (t) => {
  const root = makeTree(t);
  for (const [p, want, follow] of expected) {
    assert.equal(resolveRelativeToRoot(root, p, { followFinal: follow }), want, `${p} (followFinal ${String(follow)})`);
  }
  // Where no link leaves the root, the kernel agrees.
  for (const p of ["/lib/x86_64-linux-gnu/libcuda.so", "/a/b/rel/c", "/usr/lib/x86_64-linux-gnu/libcuda.so.1"]) {
    assert.equal(path.join(root, resolveRelativeToRoot(root, p)), fs.realpathSync(path.join(root, p)), p);
  }
});

test("a symlink loop is an error naming the path, as ELOOP would be", (t) => {
  const root = makeTree(t);
  assert.throws(() => resolveRelativeToRoot(root, "/a/loop1/x"), (e: unknown) => isActkError(e) && /too many levels of symbolic links resolving \/a\/loop1\/x/.test(e.message));
});

test("a shared lookup cache gives the same answers in any order, and each directory is walked once", (t) => {
  const root = makeTree(t);
  const cases = [...expected, ...expected.map(([p, w, f]) => [p, w, f] as [string, string, boolean?]).reverse()];
  for (const order of [cases, [...cases].reverse()]) {
    const cache = newLookupCache();
    for (const [p, want, follow] of order) {
      assert.equal(resolveRelativeToRoot(root, p, { followFinal: follow, lookups: cache }), want, `${p} (cached)`);
    }
    assert.ok(cache.walks.has("lib/x86_64-linux-gnu"), "the directory walk is kept");
  }
  // The cache keeps what it saw: a pass over a tree that changes meanwhile must use a new one.
  const cache = newLookupCache();
  assert.equal(resolveRelativeToRoot(root, "/lib/x86_64-linux-gnu/libcuda.so", { lookups: cache }), "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15");
  fs.rmSync(path.join(root, "lib"));
  fs.symlinkSync("a", path.join(root, "lib"));
  assert.equal(resolveRelativeToRoot(root, "/lib/x86_64-linux-gnu/libcuda.so", { lookups: cache }), "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15");
  assert.equal(resolveRelativeToRoot(root, "/lib/x86_64-linux-gnu/libcuda.so", { lookups: newLookupCache() }), "/a/x86_64-linux-gnu/libcuda.so");
});

test("a component that is a file ends the walk like a missing one (ENOTDIR)", (t) => {
  const root = makeTree(t);
  fs.writeFileSync(path.join(root, "a/file"), "");
  assert.equal(resolveRelativeToRoot(root, "/a/file/x/../y"), "/a/file/y");
  assert.equal(resolveRelativeToRoot(root, "/a/file/x", { lookups: newLookupCache() }), "/a/file/x");
});
