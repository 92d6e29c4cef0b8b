import assert from "node:assert/strict";
import { test } from "node:test";
import { unifiedDiff } from "./unified-diff.js";

test("a one-line change shows as a hunk with three lines of context, like diff -u", () => {
  const a = "1\n2\n3\n4\n5\n6\n7\n8\n";
  const b = "1\n2\n3\n4\nfive\n6\n7\n8\n";
  assert.equal(unifiedDiff("f", a, b), "--- f\n+++ f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
});

test("a new file diffs against /dev/null; equal texts give no diff", () => {
  assert.equal(unifiedDiff("f", undefined, "x\n"), "--- /dev/null\n+++ f\n@@ -0,0 +1,1 @@\n+x\n");
  assert.equal(unifiedDiff("f", "x\n", "x\n"), "");
});
