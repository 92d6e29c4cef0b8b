import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { replayUserEdits } from "./three-way.js";

const lines = fc.array(fc.constantFrom("a", "b", "c", "[t]", "k = 1", ""), { maxLength: 12 }).map((l) => l.join("\n"));

test("property: with no user edit the result is the original; with no actk edit it is the user's text", () => {
  fc.assert(fc.property(lines, lines, (before, other) => {
    assert.equal(replayUserEdits(before, other, other), before);
    assert.equal(replayUserEdits(before, before, other), other);
  }), { numRuns: 300 });
});

test("a user edit far from actk's lines is replayed onto the original", () => {
  const before = "x = 1\ny = 2\nz = 3\n";
  const after = "x = 1\ny = 2\nz = 3\n\n[actk]\nk = 1\n";
  const current = "x = 9\ny = 2\nz = 3\n\n[actk]\nk = 1\n";
  assert.equal(replayUserEdits(before, after, current), "x = 9\ny = 2\nz = 3\n");
});
