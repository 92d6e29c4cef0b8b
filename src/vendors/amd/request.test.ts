import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseAmdDeviceItem, parseAmdRequests } from "./request.js";

function run(env: string[]): ReturnType<typeof parseAmdRequests> {
  return parseAmdRequests({ env, mounts: [], annotations: {}, privileged: false });
}

const cases: { name: string; env: string[]; devices: string[] | null }[] = [
  { name: "unset requests nothing", env: [], devices: null },
  { name: "empty requests nothing", env: ["AMD_VISIBLE_DEVICES="], devices: null },
  { name: "none requests nothing", env: ["AMD_VISIBLE_DEVICES=none"], devices: null },
  { name: "void requests nothing", env: ["AMD_VISIBLE_DEVICES=void"], devices: null },
  { name: "all requests every GPU", env: ["AMD_VISIBLE_DEVICES=all"], devices: ["all"] },
  { name: "All requests every GPU", env: ["AMD_VISIBLE_DEVICES=All"], devices: ["all"] },
  { name: "ALL requests every GPU", env: ["AMD_VISIBLE_DEVICES=ALL"], devices: ["all"] },
  { name: "one index", env: ["AMD_VISIBLE_DEVICES=0"], devices: ["0"] },
  { name: "a list keeps its order", env: ["AMD_VISIBLE_DEVICES=2,0,1"], devices: ["2", "0", "1"] },
  { name: "repeats are injected once", env: ["AMD_VISIBLE_DEVICES=1,1,0"], devices: ["1", "0"] },
  { name: "spaces and empty items", env: ["AMD_VISIBLE_DEVICES= 0 ,, 1"], devices: ["0", "1"] },
  { name: "a range", env: ["AMD_VISIBLE_DEVICES=0-2"], devices: ["0", "1", "2"] },
  { name: "ranges and ids", env: ["AMD_VISIBLE_DEVICES=4,0-1"], devices: ["4", "0", "1"] },
  { name: "a 0x unique id", env: ["AMD_VISIBLE_DEVICES=0xABCDEF0123456789"], devices: ["0xabcdef0123456789"] },
  { name: "a bare long hex unique id", env: ["AMD_VISIBLE_DEVICES=abcdef0123456789"], devices: ["0xabcdef0123456789"] },
  { name: "nine or more hex digits are a unique id even when all decimal", env: ["AMD_VISIBLE_DEVICES=123456789"], devices: ["0x123456789"] },
  { name: "the last of repeated variables wins", env: ["AMD_VISIBLE_DEVICES=0", "AMD_VISIBLE_DEVICES=1"], devices: ["1"] },
  { name: "a DOCKER_RESOURCE_* variable is read like AMD_VISIBLE_DEVICES", env: ["DOCKER_RESOURCE_AMD_GPU=0x1a2b3c4d5e"], devices: ["0x1a2b3c4d5e"] },
  { name: "AMD_VISIBLE_DEVICES and DOCKER_RESOURCE_* are combined", env: ["DOCKER_RESOURCE_AMD_GPU=1", "AMD_VISIBLE_DEVICES=0"], devices: ["0", "1"] },
  { name: "all in any variable means all", env: ["AMD_VISIBLE_DEVICES=0", "DOCKER_RESOURCE_AMD_GPU=all"], devices: ["all"] },
  { name: "entries of DOCKER_RESOURCE_* that are not AMD ids are skipped", env: ["DOCKER_RESOURCE_GPU=GPU-8a4f,0"], devices: ["0"] },
  { name: "DOCKER_RESOURCE_* variables naming NVIDIA are left to NVIDIA", env: ["DOCKER_RESOURCE_NVIDIA_GPU=0"], devices: null },
  { name: "other vendors' variables are not read", env: ["NVIDIA_VISIBLE_DEVICES=0", "ASCEND_VISIBLE_DEVICES=0"], devices: null },
];
for (const c of cases) {
  test(`AMD_VISIBLE_DEVICES: ${c.name}`, () => {
    const r = run(c.env);
    assert.deepEqual(r.errors, []);
    if (c.devices === null) assert.deepEqual(r.requests, []);
    else {
      assert.equal(r.requests.length, 1);
      assert.deepEqual(r.requests[0]?.devices, c.devices);
      assert.equal(r.requests[0]?.vendor, "amd");
      assert.ok((r.requests[0]?.explanation.length ?? 0) > 0);
    }
  });
}

const badCases: { value: string; bad: RegExp }[] = [
  { value: "gpu0", bad: /"gpu0" is not a GPU index, range \(0-3\) or unique id/ },
  { value: "0,x", bad: /"x" is not a GPU index/ },
  { value: "3-1", bad: /range "3-1" starts after it ends/ },
  { value: "0-5000", bad: /goes past the largest device index 1023/ },
  { value: "0xZZ", bad: /"0xZZ" is not a GPU index/ },
  { value: "-1", bad: /"-1" is not a GPU index/ },
];
for (const c of badCases) {
  test(`AMD_VISIBLE_DEVICES=${c.value} is an error saying which part is bad`, () => {
    const r = run([`AMD_VISIBLE_DEVICES=${c.value}`]);
    assert.deepEqual(r.requests, []);
    assert.match(r.errors.join("\n"), /^AMD_VISIBLE_DEVICES=/);
    assert.match(r.errors.join("\n"), c.bad);
  });
}

test("a skipped DOCKER_RESOURCE_* entry leaves a note", () => {
  assert.match(run(["DOCKER_RESOURCE_GPU=GPU-8a4f"]).notes?.join(" ") ?? "", /"GPU-8a4f" is not an AMD GPU id/);
});

test("parseAmdDeviceItem classifies one item", () => {
  assert.deepEqual(parseAmdDeviceItem("0x0A"), { kind: "ids", ids: ["0x0a"] });
  assert.deepEqual(parseAmdDeviceItem("NONE"), { kind: "none" });
  assert.deepEqual(parseAmdDeviceItem("7"), { kind: "ids", ids: ["7"] });
});

test("no env value makes the AMD parser throw", () => {
  const piece = fc.constantFrom("0", "1", "-", ",", "0x", "ff", "all", "none", "void", " ", "1023", "1024", "abcdef012");
  const value = fc.oneof(fc.string(), fc.array(piece, { maxLength: 10 }).map((a) => a.join("")));
  const name = fc.constantFrom("AMD_VISIBLE_DEVICES", "DOCKER_RESOURCE_AMD_GPU", "DOCKER_RESOURCE_GPU");
  fc.assert(
    fc.property(fc.array(fc.tuple(name, value), { maxLength: 5 }), (env) => {
      const r = run(env.map(([k, v]) => `${k}=${v}`));
      if (r.errors.length) assert.deepEqual(r.requests, []);
      for (const q of r.requests) assert.equal(new Set(q.devices).size, q.devices.length);
    }),
    { numRuns: 1000 },
  );
});
