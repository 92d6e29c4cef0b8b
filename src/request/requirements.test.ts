import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ActkError } from "../core/errors.js";
import { compareVersions, evaluateRequirement, parseRequirement, type RequirementFacts } from "./requirements.js";

const parseCases: { text: string; alternatives: string[][]; ignored?: string[] }[] = [
  { text: "cuda>=12.0", alternatives: [["cuda>=12.0"]] },
  { text: "driver>=535", alternatives: [["driver>=535"]] },
  { text: "arch=9.0", alternatives: [["arch=9.0"]] },
  { text: "brand=tesla", alternatives: [["brand=tesla"]] },
  { text: "cuda>=12.2 brand=tesla,driver>=470,driver<471", alternatives: [["cuda>=12.2"], ["brand=tesla", "driver>=470", "driver<471"]] },
  { text: "  cuda>=11.0   driver>=450  ", alternatives: [["cuda>=11.0"], ["driver>=450"]] },
  { text: "cuda>=11.0,,driver>=450", alternatives: [["cuda>=11.0", "driver>=450"]] },
  { text: "CUDA>=11.0", alternatives: [["CUDA>=11.0"]] },
  { text: "cuda!=11.0", alternatives: [["cuda!=11.0"]] },
  { text: "cuda<=11.0", alternatives: [["cuda<=11.0"]] },
  { text: "cuda<11.0", alternatives: [["cuda<11.0"]] },
  { text: "cuda>11.0", alternatives: [["cuda>11.0"]] },
  { text: "brand!=geforce", alternatives: [["brand!=geforce"]] },
  { text: "gpus>=2", alternatives: [], ignored: ["gpus>=2"] },
  { text: "gpus>=2,cuda>=11", alternatives: [["cuda>=11"]], ignored: ["gpus>=2"] },
  { text: "", alternatives: [] },
];
for (const c of parseCases) {
  test(`requirement "${c.text}" parses into OR-of-AND alternatives`, () => {
    const e = parseRequirement(c.text);
    assert.deepEqual(e.alternatives.map((a) => a.map((f) => f.text)), c.alternatives);
    assert.deepEqual(e.ignored, c.ignored ?? []);
  });
}

test("operators are read longest first", () => {
  const ops = ["cuda<=1", "cuda>=1", "cuda!=1", "cuda=1", "cuda<1", "cuda>1"].map((t) => parseRequirement(t).alternatives[0]?.[0]?.operator);
  assert.deepEqual(ops, ["<=", ">=", "!=", "=", "<", ">"]);
});

const badCases: { text: string; message: RegExp }[] = [
  { text: "cuda", message: /invalid constraint "cuda": it has no operator/ },
  { text: ">=12", message: /names no property/ },
  { text: "cuda>=", message: /no value after ">="/ },
  { text: "cuda>=>12", message: /is not an operator/ },
  { text: "cuda=<12", message: /is not an operator/ },
  { text: "cuda!12", message: /"!1" is not an operator/ },
  { text: "cuda>=12.x", message: /"12.x" is not a version/ },
  { text: "driver>=535.", message: /is not a version/ },
  { text: "arch>=v9", message: /is not a version/ },
  { text: "brand>tesla", message: /brand can only be compared with = or !=/ },
  { text: "cuda>=11 driver", message: /"driver": it has no operator/ },
];
for (const c of badCases) {
  test(`malformed requirement "${c.text}" is an ActkError naming the factor`, () => {
    assert.throws(() => parseRequirement(c.text, "NVIDIA_REQUIRE_CUDA"), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.match(e.message, c.message);
      assert.equal(e.place, "NVIDIA_REQUIRE_CUDA");
      assert.ok(e.fix);
      return true;
    });
  });
}

const versionCases: [string, string, number][] = [
  ["12.0", "12.0", 0],
  ["12", "12.0", 0],
  ["12.0.0", "12", 0],
  ["11.8", "12.0", -1],
  ["12.10", "12.9", 1],
  ["535.104.05", "535", 1],
  ["535.54", "535.104", -1],
  ["9.0", "10.0", -1],
  ["010", "10", 0],
  ["0", "0.0.0", 0],
];
for (const [a, b, want] of versionCases) {
  test(`version ${a} compared with ${b} is ${want}`, () => {
    assert.equal(compareVersions(a, b), want);
    assert.equal(compareVersions(b, a), -want || 0);
  });
}

const evalCases: { text: string; facts: RequirementFacts; met: boolean }[] = [
  { text: "cuda>=12.0", facts: { cuda: "12.2" }, met: true },
  { text: "cuda>=12.0", facts: { cuda: "11.8" }, met: false },
  { text: "cuda>=12.0", facts: { cuda: "12" }, met: true },
  { text: "cuda>12.0", facts: { cuda: "12.0" }, met: false },
  { text: "cuda<12.0", facts: { cuda: "11.8" }, met: true },
  { text: "cuda<=12.0", facts: { cuda: "12.0" }, met: true },
  { text: "cuda=12.0", facts: { cuda: "12" }, met: true },
  { text: "cuda!=12.0", facts: { cuda: "12.0" }, met: false },
  { text: "driver>=535", facts: { driver: "535.104.05" }, met: true },
  { text: "driver>=535", facts: { driver: "470.82.01" }, met: false },
  { text: "arch=9.0", facts: { arch: "9.0" }, met: true },
  { text: "arch>=8.0", facts: { arch: "7.5" }, met: false },
  { text: "brand=tesla", facts: { brand: "Tesla" }, met: true },
  { text: "brand=tesla", facts: { brand: "geforce" }, met: false },
  { text: "brand!=geforce", facts: { brand: "tesla" }, met: true },
  { text: "cuda>=12.2 brand=tesla,driver>=470,driver<471", facts: { cuda: "11.4", brand: "tesla", driver: "470.82" }, met: true },
  { text: "cuda>=12.2 brand=tesla,driver>=470,driver<471", facts: { cuda: "11.4", brand: "tesla", driver: "471.1" }, met: false },
  { text: "cuda>=12.2 brand=tesla,driver>=470,driver<471", facts: { cuda: "12.4", brand: "geforce", driver: "550" }, met: true },
  { text: "cuda>=12.0", facts: {}, met: true },
  { text: "cuda>=12.0", facts: { cuda: "" }, met: true },
  { text: "cuda>=12.0", facts: { cuda: "unknown" }, met: true },
  { text: "gpus>=8", facts: { cuda: "1.0" }, met: true },
  { text: "", facts: { cuda: "1.0" }, met: true },
];
for (const c of evalCases) {
  test(`"${c.text}" with host ${JSON.stringify(c.facts)} is ${c.met ? "met" : "not met"}`, () => {
    assert.equal(evaluateRequirement(parseRequirement(c.text), c.facts).met, c.met);
  });
}

test("a failed expression reports the first failing factor of every alternative", () => {
  const r = evaluateRequirement(parseRequirement("cuda>=12.2 brand=tesla,driver>=470"), { cuda: "11.0", brand: "geforce", driver: "550" });
  assert.deepEqual(r.failures.map((f) => [f.factor.text, f.hostValue]), [["cuda>=12.2", "11.0"], ["brand=tesla", "geforce"]]);
});

test("no string makes the requirement parser fail with anything but an ActkError", () => {
  const piece = fc.constantFrom("cuda", "driver", "arch", "brand", "x", ">=", "<=", "=", "!=", "<", ">", "!", "12", ".", "0", " ", ",", "tesla");
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.array(piece, { maxLength: 12 }).map((a) => a.join(""))), (text) => {
      try {
        const e = parseRequirement(text);
        evaluateRequirement(e, { cuda: "12.0", driver: "535.1", arch: "9.0", brand: "tesla" });
      } catch (err) {
        assert.ok(err instanceof ActkError, String(err));
      }
    }),
    { numRuns: 1000 },
  );
});
