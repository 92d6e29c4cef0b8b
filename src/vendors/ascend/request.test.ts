import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseAscendRequests } from "./request.js";

function run(env: string[]): ReturnType<typeof parseAscendRequests> {
  return parseAscendRequests({ env, mounts: [], annotations: {}, privileged: false });
}

const deviceCases: { name: string; value: string | undefined; devices: string[] | null; options?: string[] }[] = [
  { name: "unset requests nothing", value: undefined, devices: null },
  { name: "empty requests nothing", value: "", devices: null },
  { name: "void requests nothing", value: "void", devices: null },
  { name: "one id", value: "0", devices: ["0"] },
  { name: "a list", value: "0,1", devices: ["0", "1"] },
  { name: "a list is sorted", value: "3,1,2", devices: ["1", "2", "3"] },
  { name: "repeats are removed even when not adjacent", value: "1,0,1", devices: ["0", "1"] },
  { name: "spaces are trimmed", value: " 0 , 2 ", devices: ["0", "2"] },
  { name: "a range", value: "0-3", devices: ["0", "1", "2", "3"] },
  { name: "a one-element range", value: "5-5", devices: ["5"] },
  { name: "ranges and ids mix, sorted and de-duplicated", value: "6,0-2,1", devices: ["0", "1", "2", "6"] },
  { name: "a range up to 128", value: "127-128", devices: ["127", "128"] },
  { name: "named Ascend910 devices", value: "Ascend910-0,Ascend910-3", devices: ["0", "3"], options: ["mounts=base", "deviceType=Ascend910"] },
  { name: "named Ascend310P devices", value: "Ascend310P-1", devices: ["1"], options: ["mounts=base", "deviceType=Ascend310P"] },
  { name: "named Ascend310B devices", value: "Ascend310B-0", devices: ["0"], options: ["mounts=base", "deviceType=Ascend310B"] },
  { name: "named Ascend310 devices", value: "Ascend310-2", devices: ["2"], options: ["mounts=base", "deviceType=Ascend310"] },
  { name: "generic npu names", value: "npu-2,npu-0", devices: ["0", "2"], options: ["mounts=base"] },
  { name: "named devices are sorted and de-duplicated", value: "Ascend910-2,Ascend910-0,Ascend910-2", devices: ["0", "2"], options: ["mounts=base", "deviceType=Ascend910"] },
];
for (const c of deviceCases) {
  test(`ASCEND_VISIBLE_DEVICES: ${c.name}`, () => {
    const r = run(c.value === undefined ? [] : [`ASCEND_VISIBLE_DEVICES=${c.value}`]);
    assert.deepEqual(r.errors, []);
    if (c.devices === null) assert.deepEqual(r.requests, []);
    else {
      assert.equal(r.requests.length, 1);
      assert.deepEqual(r.requests[0]?.devices, c.devices);
      assert.equal(r.requests[0]?.vendor, "ascend");
      assert.deepEqual(r.requests[0]?.options, c.options ?? ["mounts=base"]);
      assert.ok((r.requests[0]?.explanation.length ?? 0) > 0);
    }
  });
}

test("ASCEND_VISIBLE_DEVICES: the last of repeated variables wins", () => {
  assert.deepEqual(run(["ASCEND_VISIBLE_DEVICES=0", "ASCEND_VISIBLE_DEVICES=4"]).requests[0]?.devices, ["4"]);
});

const badDeviceCases: { value: string; bad: RegExp }[] = [
  { value: "all", bad: /"all" is not an NPU id .*no "all"/ },
  { value: "0,x", bad: /"x" is not an NPU id/ },
  { value: "3-1", bad: /range "3-1" starts after it ends/ },
  { value: "0-129", bad: /range "0-129" goes past the largest device index 128/ },
  { value: "0-99999999999999", bad: /goes past the largest device index/ },
  { value: "1-2-3", bad: /"1-2-3" is not a range/ },
  { value: "-1", bad: /"-1" is not a range/ },
  { value: "0-", bad: /"0-" is not a range/ },
  { value: "1.5", bad: /"1.5" is not an NPU id/ },
  { value: "Ascend910-x", bad: /"Ascend910-x" is not a named NPU/ },
  { value: "Ascend999-0", bad: /"Ascend999-0" is not a named NPU/ },
  { value: "Ascend910-0,1", bad: /"1" is not a named NPU .*do not mix/ },
  { value: "Ascend910-0,Ascend310P-1", bad: /mixes chip types Ascend910 and Ascend310P/ },
  { value: "ascend910-0", bad: /"ascend910-0" is not an NPU id/ },
];
for (const c of badDeviceCases) {
  test(`ASCEND_VISIBLE_DEVICES=${c.value} is an error saying which part is bad`, () => {
    const r = run([`ASCEND_VISIBLE_DEVICES=${c.value}`]);
    assert.deepEqual(r.requests, []);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0] ?? "", /^ASCEND_VISIBLE_DEVICES=/);
    assert.match(r.errors[0] ?? "", c.bad);
  });
}

const optionCases: { name: string; env: string[]; options?: string[]; error?: RegExp }[] = [
  { name: "no options: the base mount list", env: [], options: ["mounts=base"] },
  { name: "NODRV", env: ["ASCEND_RUNTIME_OPTIONS=NODRV"], options: ["NODRV", "mounts=base"] },
  { name: "VIRTUAL", env: ["ASCEND_RUNTIME_OPTIONS=VIRTUAL"], options: ["VIRTUAL", "mounts=base"] },
  { name: "both, in a fixed order", env: ["ASCEND_RUNTIME_OPTIONS=VIRTUAL,NODRV"], options: ["NODRV", "VIRTUAL", "mounts=base"] },
  { name: "repeated options once", env: ["ASCEND_RUNTIME_OPTIONS=NODRV, NODRV"], options: ["NODRV", "mounts=base"] },
  { name: "empty options", env: ["ASCEND_RUNTIME_OPTIONS="], options: ["mounts=base"] },
  { name: "an unknown option is an error", env: ["ASCEND_RUNTIME_OPTIONS=NODRV,FAST"], error: /unknown option "FAST" \(allowed: NODRV, VIRTUAL\)/ },
  { name: "options are case-sensitive", env: ["ASCEND_RUNTIME_OPTIONS=nodrv"], error: /unknown option "nodrv"/ },
  { name: "options longer than 128 characters are an error", env: [`ASCEND_RUNTIME_OPTIONS=${Array(30).fill("NODRV").join(",")}`], error: /at most 128/ },
  { name: "extra mount lists", env: ["ASCEND_RUNTIME_MOUNTS=base,extra"], options: ["mounts=base,extra"] },
  { name: "mount list names are lower-cased and trimmed", env: ["ASCEND_RUNTIME_MOUNTS= Base , UB_driver"], options: ["mounts=base,ub_driver"] },
  { name: "an empty mount list means base", env: ["ASCEND_RUNTIME_MOUNTS="], options: ["mounts=base"] },
  { name: "mount lists without base", env: ["ASCEND_RUNTIME_MOUNTS=a200"], options: ["mounts=a200"] },
  { name: "a mount list name with a slash is an error", env: ["ASCEND_RUNTIME_MOUNTS=../etc/shadow"], error: /"..\/etc\/shadow" is not a mount list name/ },
  { name: "a mount list name with .. is an error", env: ["ASCEND_RUNTIME_MOUNTS=a..b"], error: /"a..b" is not a mount list name/ },
  { name: "a mount list name that is a path is an error", env: ["ASCEND_RUNTIME_MOUNTS=/etc/base"], error: /"\/etc\/base" is not a mount list name/ },
  { name: "a mount list name with a space is an error", env: ["ASCEND_RUNTIME_MOUNTS=my list"], error: /"my list" is not a mount list name/ },
  { name: "mount lists longer than 128 characters are an error", env: [`ASCEND_RUNTIME_MOUNTS=${"a".repeat(129)}`], error: /ASCEND_RUNTIME_MOUNTS is 129 characters long/ },
  { name: "ASCEND_ALLOW_LINK=True", env: ["ASCEND_ALLOW_LINK=True"], options: ["mounts=base", "allowLink=True"] },
  { name: "ASCEND_ALLOW_LINK=true", env: ["ASCEND_ALLOW_LINK=true"], options: ["mounts=base", "allowLink=True"] },
  { name: "ASCEND_ALLOW_LINK=False", env: ["ASCEND_ALLOW_LINK=False"], options: ["mounts=base"] },
  { name: "ASCEND_ALLOW_LINK empty", env: ["ASCEND_ALLOW_LINK="], options: ["mounts=base"] },
  { name: "ASCEND_ALLOW_LINK=yes is an error", env: ["ASCEND_ALLOW_LINK=yes"], error: /ASCEND_ALLOW_LINK=yes: expected True or False/ },
  { name: "everything together", env: ["ASCEND_RUNTIME_OPTIONS=NODRV", "ASCEND_RUNTIME_MOUNTS=base,extra", "ASCEND_ALLOW_LINK=True"], options: ["NODRV", "mounts=base,extra", "allowLink=True"] },
  { name: "a vNPU template on one device", env: ["ASCEND_VNPU_SPECS=vir04"], options: ["mounts=base", "vnpu=vir04"] },
  { name: "an unknown vNPU template is an error", env: ["ASCEND_VNPU_SPECS=vir99"], error: /unknown virtual NPU template/ },
];
for (const c of optionCases) {
  test(`Ascend options: ${c.name}`, () => {
    const r = run(["ASCEND_VISIBLE_DEVICES=0", ...c.env]);
    if (c.error) {
      assert.deepEqual(r.requests, []);
      assert.match(r.errors.join("\n"), c.error);
    } else {
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.requests[0]?.options, c.options);
    }
  });
}

test("a vNPU template needs exactly one device", () => {
  assert.match(run(["ASCEND_VISIBLE_DEVICES=0,1", "ASCEND_VNPU_SPECS=vir02"]).errors.join(), /needs exactly one device/);
});

test("options without devices request nothing and say so", () => {
  const r = run(["ASCEND_RUNTIME_OPTIONS=NODRV"]);
  assert.deepEqual(r.requests, []);
  assert.match(r.notes?.join(" ") ?? "", /no Ascend NPU is requested .*ASCEND_RUNTIME_OPTIONS has no effect/);
});

test("a container that mentions nothing of Ascend gets no notes", () => {
  assert.deepEqual(run(["PATH=/bin", "NVIDIA_VISIBLE_DEVICES=all"]), { requests: [], errors: [], notes: [] });
});

test("the JSON-visible fields of an Ascend request", () => {
  const r = run(["ASCEND_VISIBLE_DEVICES=1,0", "ASCEND_RUNTIME_OPTIONS=VIRTUAL"]).requests[0];
  assert.ok(r);
  const { explanation, ...rest } = r;
  assert.ok(explanation.length >= 2);
  assert.deepEqual(rest, {
    vendor: "ascend", source: "env", devices: ["0", "1"], capabilities: [], requirements: [],
    migConfigDevices: null, migMonitorDevices: null, options: ["VIRTUAL", "mounts=base"],
  });
});

test("no env value makes the Ascend parser throw", () => {
  const piece = fc.constantFrom("0", "1", "-", ",", "128", "129", "Ascend910", "Ascend310P", "npu", "void", "all", " ", "NODRV", "VIRTUAL", "base", "..", "/", "True");
  const value = fc.oneof(fc.string(), fc.array(piece, { maxLength: 10 }).map((a) => a.join("")));
  const name = fc.constantFrom("ASCEND_VISIBLE_DEVICES", "ASCEND_RUNTIME_OPTIONS", "ASCEND_RUNTIME_MOUNTS", "ASCEND_ALLOW_LINK", "ASCEND_VNPU_SPECS");
  fc.assert(
    fc.property(fc.array(fc.tuple(name, value), { maxLength: 6 }), (env) => {
      const r = run(env.map(([k, v]) => `${k}=${v}`));
      if (r.errors.length) assert.deepEqual(r.requests, []);
      for (const q of r.requests) {
        const ids = q.devices.map(Number);
        assert.deepEqual(ids, [...new Set(ids)].sort((a, b) => a - b));
        assert.ok(q.options.some((o) => o.startsWith("mounts=")));
      }
    }),
    { numRuns: 1000 },
  );
});
