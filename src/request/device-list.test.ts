import { test } from "node:test";
import assert from "node:assert/strict";
import { dedupe, expandRange, parseIndex, splitList } from "./device-list.js";

const splitCases: [string, string[]][] = [
  ["", []],
  ["0", ["0"]],
  [" 0 , 1 ", ["0", "1"]],
  [",,0,,", ["0"]],
  ["a b,c", ["a b", "c"]],
];
for (const [value, want] of splitCases) {
  test(`splitList(${JSON.stringify(value)}) trims items and drops empty ones`, () => assert.deepEqual(splitList(value), want));
}

test("dedupe keeps first-seen order and reports repeats once", () => {
  assert.deepEqual(dedupe(["1", "0", "1", "1", "2", "0"]), { unique: ["1", "0", "2"], repeated: ["1", "0"] });
});

const indexCases: [string, number | undefined][] = [["0", 0], ["12", 12], ["007", 7], ["-1", undefined], ["1.0", undefined], ["", undefined], ["1e3", undefined], ["9999999999", undefined]];
for (const [text, want] of indexCases) {
  test(`parseIndex(${JSON.stringify(text)}) is ${String(want)}`, () => assert.equal(parseIndex(text), want));
}

const rangeCases: [string, number[] | RegExp][] = [
  ["0-3", [0, 1, 2, 3]],
  ["2-2", [2]],
  ["3-1", /starts after it ends/],
  ["0-9", /past the largest device index 8/],
  ["0-99999999999999999", /past the largest/],
  ["a-b", /is not a range/],
  ["1-", /is not a range/],
];
for (const [text, want] of rangeCases) {
  test(`expandRange(${JSON.stringify(text)}, 8)`, () => {
    const r = expandRange(text, 8);
    if (want instanceof RegExp) assert.match("error" in r ? r.error : "", want);
    else assert.deepEqual(r, want);
  });
}
