import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { deepEqual, mergeChanges, planAppend, planSet, revertChanges } from "./value-change.js";

test("setting a value that is already there is no change", () => {
  const doc = { a: { b: 1 } };
  assert.equal(planSet(doc, ["a", "b"], 1), undefined);
});

test("revert removes parents actk created once they are empty, and keeps those that existed", () => {
  const doc: Record<string, unknown> = { keep: {} };
  const c1 = planSet(doc, ["x", "y", "z"], 1)!;
  const c2 = planSet(doc, ["keep", "v"], 2)!;
  assert.equal(c1.createdFrom, 0);
  revertChanges(doc, [c1, c2]);
  assert.deepEqual(doc, { keep: {} });
});

test("a value the user changed after actk set it is kept and reported", () => {
  const doc: Record<string, unknown> = { d: "runc" };
  const c = planSet(doc, ["d"], "actk")!;
  doc.d = "crun";
  const out = revertChanges(doc, [c]);
  assert.equal(doc.d, "crun");
  assert.equal(out.kept.length, 1);
});

test("a second configure keeps the value from before the first", () => {
  const doc: Record<string, unknown> = { d: "runc" };
  const first = [planSet(doc, ["d"], "actk")!];
  const second = [planSet(doc, ["d"], "other")!];
  const merged = mergeChanges(first, second);
  revertChanges(doc, merged);
  assert.equal(doc.d, "runc");
});

const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.integer(), fc.string(), fc.boolean(), tie("obj")),
  obj: fc.dictionary(fc.constantFrom("a", "b", "c", "d"), tie("value"), { maxKeys: 3 }),
}));

test("property: revert after any sequence of sets and appends gives back the original object", () => {
  fc.assert(fc.property(
    json.obj as fc.Arbitrary<Record<string, unknown>>,
    fc.array(fc.tuple(fc.array(fc.constantFrom("a", "b", "x"), { minLength: 1, maxLength: 3 }), fc.integer(), fc.boolean()), { maxLength: 5 }),
    (orig, ops) => {
      const doc = structuredClone(orig);
      const changes = [];
      for (const [path, v, append] of ops) {
        try {
          const c = append ? planAppend(doc, ["arr", ...path], v) : planSet(doc, path, v);
          if (c) changes.push(c);
        } catch {
          // a parent is not an object: the plan would be refused as bad input
        }
      }
      revertChanges(doc, changes);
      assert.ok(deepEqual(doc, orig), JSON.stringify({ orig, doc }));
    },
  ), { numRuns: 300 });
});
