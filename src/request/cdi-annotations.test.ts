import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseCdiAnnotationRequests } from "./cdi-annotations.js";
import { parseRequests, type RequestVendor } from "./parse-requests.js";
import type { DeviceRequest, RequestInput } from "./types.js";

const vendorIds = { "nvidia.com": "nvidia", "ascend.com": "ascend", "amd.com": "amd" };
const opts = { prefixes: ["cdi.k8s.io/"], vendorIds };

const cases: { name: string; annotations: Record<string, string>; prefixes?: string[]; want: { vendor: string; devices: string[] }[] }[] = [
  { name: "no annotations request nothing", annotations: {}, want: [] },
  { name: "annotations without the prefix are ignored", annotations: { "io.kubernetes.cri.container-type": "container", "cdi.k8s.io": "x" }, want: [] },
  { name: "one device", annotations: { "cdi.k8s.io/nvidia-device-plugin_GPU-0": "nvidia.com/gpu=0" }, want: [{ vendor: "nvidia", devices: ["nvidia.com/gpu=0"] }] },
  { name: "a comma list", annotations: { "cdi.k8s.io/gpu": "nvidia.com/gpu=0,nvidia.com/gpu=1" }, want: [{ vendor: "nvidia", devices: ["nvidia.com/gpu=0", "nvidia.com/gpu=1"] }] },
  { name: "spaces around names are trimmed", annotations: { "cdi.k8s.io/gpu": "nvidia.com/gpu=0 , nvidia.com/gpu=1" }, want: [{ vendor: "nvidia", devices: ["nvidia.com/gpu=0", "nvidia.com/gpu=1"] }] },
  { name: "keys are read in sorted order", annotations: { "cdi.k8s.io/b": "nvidia.com/gpu=1", "cdi.k8s.io/a": "nvidia.com/gpu=0" }, want: [{ vendor: "nvidia", devices: ["nvidia.com/gpu=0", "nvidia.com/gpu=1"] }] },
  { name: "repeated names are injected once", annotations: { "cdi.k8s.io/a": "nvidia.com/gpu=0", "cdi.k8s.io/b": "nvidia.com/gpu=0" }, want: [{ vendor: "nvidia", devices: ["nvidia.com/gpu=0"] }] },
  { name: "MIG and all names", annotations: { "cdi.k8s.io/a": "nvidia.com/mig=0:1,nvidia.com/gpu=all" }, want: [{ vendor: "nvidia", devices: ["nvidia.com/mig=0:1", "nvidia.com/gpu=all"] }] },
  { name: "each vendor gets its own request", annotations: { "cdi.k8s.io/a": "ascend.com/npu=0,amd.com/gpu=1" }, want: [{ vendor: "ascend", devices: ["ascend.com/npu=0"] }, { vendor: "amd", devices: ["amd.com/gpu=1"] }] },
  { name: "an unknown vendor keeps its CDI vendor as id", annotations: { "cdi.k8s.io/a": "example.com/fpga=x" }, want: [{ vendor: "example.com", devices: ["example.com/fpga=x"] }] },
  { name: "configured prefixes are used", annotations: { "cdi.example.org/a": "nvidia.com/gpu=0", "cdi.k8s.io/b": "nvidia.com/gpu=1" }, prefixes: ["cdi.example.org/"], want: [{ vendor: "nvidia", devices: ["nvidia.com/gpu=0"] }] },
  { name: "several prefixes", annotations: { "x/a": "nvidia.com/gpu=0", "y/b": "nvidia.com/gpu=1" }, prefixes: ["x/", "y/"], want: [{ vendor: "nvidia", devices: ["nvidia.com/gpu=0", "nvidia.com/gpu=1"] }] },
  { name: "an empty prefix list reads no annotation", annotations: { "cdi.k8s.io/a": "nvidia.com/gpu=0" }, prefixes: [], want: [] },
];
for (const c of cases) {
  test(`CDI annotations: ${c.name}`, () => {
    const r = parseCdiAnnotationRequests(c.annotations, { ...opts, prefixes: c.prefixes ?? opts.prefixes });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.requests.map((q) => ({ vendor: q.vendor, devices: q.devices })), c.want);
    for (const q of r.requests) {
      assert.equal(q.source, "annotations");
      assert.deepEqual(q.cdiDevices, q.devices);
      assert.deepEqual(q.capabilities, []);
      assert.ok(q.explanation.length > 0);
    }
  });
}

const badCases: { value: string; bad: RegExp }[] = [
  { value: "gpu0", bad: /"gpu0" is not a fully qualified CDI device name .*no "="/ },
  { value: "nvidia.com=0", bad: /has no vendor\/class/ },
  { value: "nvidia.com/gpu=", bad: /invalid CDI device name ""/ },
  { value: "nvidia.com/gpu/x=0", bad: /invalid CDI class "gpu\/x"/ },
  { value: "1vendor.com/gpu=0", bad: /invalid CDI vendor "1vendor.com"/ },
  { value: "nvidia.com/gpu=-x", bad: /invalid CDI device name "-x"/ },
  { value: "nvidia.com/gpu=0,", bad: /item 2 of "nvidia.com\/gpu=0," is empty/ },
  { value: "nvidia.com/gpu=0,,nvidia.com/gpu=1", bad: /item 2 .* is empty/ },
];
for (const c of badCases) {
  test(`CDI annotation value ${JSON.stringify(c.value)} is an error naming the annotation`, () => {
    const r = parseCdiAnnotationRequests({ "cdi.k8s.io/gpu": c.value }, opts);
    assert.deepEqual(r.requests, []);
    assert.match(r.errors.join("\n"), /^annotation cdi\.k8s\.io\/gpu: /);
    assert.match(r.errors.join("\n"), c.bad);
  });
}

function fakeVendor(id: string, cdiVendor: string, devices: string[] | Error): RequestVendor {
  return {
    id,
    cdiVendor,
    parseRequests: (input: RequestInput) => {
      if (devices instanceof Error) throw devices;
      const wants = input.env.some((e) => e.startsWith(`${id.toUpperCase()}=`));
      const r: DeviceRequest = { vendor: id, source: "env", devices, capabilities: [], requirements: [], migConfigDevices: null, migMonitorDevices: null, options: [], explanation: ["x"] };
      return { requests: wants ? [r] : [], errors: input.env.includes(`${id.toUpperCase()}=bad`) ? [`${id}: bad`] : [], notes: [`${id} looked`] };
    },
  };
}

function input(env: string[], annotations: Record<string, string> = {}): RequestInput {
  return { env, mounts: [], annotations, privileged: false };
}

test("parseRequests concatenates every vendor's requests, then the annotations", () => {
  const r = parseRequests(input(["A=1", "B=1"], { "cdi.k8s.io/x": "c.com/dev=0" }), [fakeVendor("a", "a.com", ["0"]), fakeVendor("b", "b.com", ["1"])]);
  assert.deepEqual(r.requests.map((q) => [q.vendor, q.source]), [["a", "env"], ["b", "env"], ["c.com", "annotations"]]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.notes, ["a looked", "b looked"]);
});

test("parseRequests maps CDI vendors to vendor ids from the vendors it is given", () => {
  const r = parseRequests(input([], { "cdi.k8s.io/x": "a.com/dev=0" }), [fakeVendor("a", "a.com", ["0"])]);
  assert.deepEqual(r.requests.map((q) => q.vendor), ["a"]);
});

test("parseRequests lets annotations win over the same vendor's env request", () => {
  const r = parseRequests(input(["A=1", "B=1"], { "cdi.k8s.io/x": "a.com/dev=0" }), [fakeVendor("a", "a.com", ["all"]), fakeVendor("b", "b.com", ["1"])]);
  assert.deepEqual(r.requests.map((q) => [q.vendor, q.source]), [["b", "env"], ["a", "annotations"]]);
  assert.match(r.notes.join(" "), /annotations take precedence/);
});

test("parseRequests collects errors from vendors and annotations", () => {
  const r = parseRequests(input(["A=bad"], { "cdi.k8s.io/x": "nope" }), [fakeVendor("a", "a.com", ["0"])]);
  assert.equal(r.errors.length, 2);
});

test("a vendor parser that throws becomes an error and does not hide the others", () => {
  const r = parseRequests(input(["B=1"]), [fakeVendor("a", "a.com", new Error("boom")), fakeVendor("b", "b.com", ["1"])]);
  assert.deepEqual(r.requests.map((q) => q.vendor), ["b"]);
  assert.match(r.errors[0] ?? "", /^a: internal error: boom/);
});

test("parseRequests uses the configured annotation prefixes", () => {
  const r = parseRequests(input([], { "cdi.k8s.io/x": "a.com/dev=0", "my/x": "a.com/dev=1" }), [fakeVendor("a", "a.com", [])], { annotationPrefixes: ["my/"] });
  assert.deepEqual(r.requests[0]?.devices, ["a.com/dev=1"]);
});

test("no annotation value makes the CDI annotation parser throw", () => {
  const piece = fc.constantFrom("nvidia.com", "/", "gpu", "=", "0", ",", " ", ":", "-", ".", "all");
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom("cdi.k8s.io/a", "cdi.k8s.io/b", "other"), fc.oneof(fc.string(), fc.array(piece, { maxLength: 12 }).map((a) => a.join("")))), (annotations) => {
      const r = parseCdiAnnotationRequests(annotations, opts);
      if (r.errors.length) assert.deepEqual(r.requests, []);
    }),
    { numRuns: 1000 },
  );
});
