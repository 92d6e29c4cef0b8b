import { test } from "node:test";
import assert from "node:assert/strict";
import { ActkError } from "../core/errors.js";
import { HostRoot } from "../host/host-root.js";
import { annotationKeys, contentHash, generateSpecs, rootHostPaths, type GenerateOptions } from "./generate.js";
import { fakeVendor, gpu } from "./fake-vendor.test-support.js";
import { validateSpec } from "./validate.js";
import { parseSpecText } from "./load.js";
import { serializeSpec } from "./write.js";

function options(over: Partial<GenerateOptions> = {}): GenerateOptions {
  return {
    strategies: ["index", "uuid"], cdiVersion: "minimum", hookPath: "/usr/local/bin/actk-hook", host: new HostRoot("/"),
    annotations: "auto", command: "actk cdi generate --vendor fake", actkVersion: "0.1.0", ...over,
  };
}

test("one device per name strategy, plus an all device, in the minimum version", () => {
  const { specs } = generateSpecs([fakeVendor()], options());
  assert.equal(specs.length, 1);
  const s = specs[0]!;
  assert.equal(s.kind, "example.com/gpu");
  assert.equal(s.baseName, "fake-gpu");
  assert.deepEqual(s.spec.devices.map((d) => d.name), ["0", "GPU-00000000-aaaa-bbbb-cccc-dddddddddddd", "1", "GPU-00000001-aaaa-bbbb-cccc-dddddddddddd", "all"]);
  assert.equal(s.spec.cdiVersion, "0.5.0"); // index names start with a digit
  assert.equal(s.spec.annotations, undefined); // would force 0.6.0
  const all = s.spec.devices.find((d) => d.name === "all")!;
  assert.deepEqual(all.containerEdits.deviceNodes?.map((n) => n.path), ["/dev/fake0", "/dev/fake1"]);
  assert.deepEqual(validateSpec(s.spec).filter((p) => p.severity === "error"), []);
});

test("spec-level edits ask the vendor for all capabilities and are not repeated in devices", () => {
  const v = fakeVendor();
  const { specs } = generateSpecs([v], options());
  assert.deepEqual(v.commonRequests, [["all"]]);
  const s = specs[0]!.spec;
  assert.deepEqual(s.containerEdits?.deviceNodes?.map((n) => n.path), ["/dev/fakectl"]);
  assert.equal(s.containerEdits?.hooks?.length, 1, "the generator adds no hooks of its own");
  assert.ok(s.devices.every((d) => !d.containerEdits.deviceNodes?.some((n) => n.path === "/dev/fakectl")));
});

test("partitions go into their parent's spec with their own names (nvidia.com/gpu=0:1)", () => {
  const devices = [gpu("0", 0), { ...gpu("0:1", 0), kind: "example.com/mig", parent: "0", uuid: "MIG-1111" }];
  const { specs } = generateSpecs([fakeVendor({ devices })], options({ strategies: ["index", "type-index"] }));
  assert.equal(specs.length, 1);
  assert.deepEqual(specs[0]!.spec.devices.map((d) => d.name), ["0", "gpu0", "0:1", "mig0:1", "all"]);
});

test("kinds of different vendors give one spec each, named <vendor>-<class>", () => {
  const npu = fakeVendor({ id: "npu", cdiVendor: "npu.example", devices: [{ ...gpu("0", 0), kind: "npu.example/npu" }] });
  const { specs } = generateSpecs([fakeVendor(), npu], options());
  assert.deepEqual(specs.map((s) => [s.kind, s.baseName]), [["example.com/gpu", "fake-gpu"], ["npu.example/npu", "npu-npu"]]);
});

test("a vendor without devices gives a note, not a spec", () => {
  const res = generateSpecs([fakeVendor({ devices: [] })], options());
  assert.deepEqual(res.specs, []);
  assert.match(res.notes.join("\n"), /no devices found/);
});

test("--vendor-kind/--class override the kind; invalid ones are refused", () => {
  const { specs } = generateSpecs([fakeVendor()], options({ kindVendor: "acme.io", kindClass: "accel" }));
  assert.equal(specs[0]!.kind, "acme.io/accel");
  assert.throws(() => generateSpecs([fakeVendor()], options({ kindClass: "bad/class" })), ActkError);
  assert.throws(() => generateSpecs([fakeVendor()], options({ strategies: ["serial"] })), /invalid device name strategy "serial"/);
});

test("with a host root, host paths point under it and container paths stay real", () => {
  const host = new HostRoot("/tmp/sim");
  const { specs } = generateSpecs([fakeVendor({ hostRoot: "/tmp/sim" })], options({ host }));
  const s = specs[0]!.spec;
  assert.equal(s.devices[0]!.containerEdits.deviceNodes![0]!.path, "/dev/fake0");
  assert.equal(s.devices[0]!.containerEdits.deviceNodes![0]!.hostPath, "/tmp/sim/dev/fake0");
  assert.equal(s.containerEdits?.mounts?.[0]?.hostPath, "/tmp/sim/usr/lib/libfake.so.550.54.15");
  assert.equal(s.containerEdits?.mounts?.[0]?.containerPath, "/usr/lib/libfake.so.550.54.15");
  assert.equal(s.containerEdits?.hooks?.[0]?.path, "/usr/local/bin/actk-hook");
});

test("host paths given either way by a vendor end up under the root once", () => {
  const host = new HostRoot("/r");
  const e = rootHostPaths({ deviceNodes: [{ path: "/dev/a" }, { path: "/dev/b", hostPath: "/r/dev/b" }], mounts: [{ hostPath: "/lib/x", containerPath: "/lib/x" }, { hostPath: "/r/lib/y", containerPath: "/lib/y" }] }, host, new HostRoot("/devroot"));
  assert.deepEqual(e.deviceNodes?.map((n) => n.hostPath), ["/devroot/dev/a", "/devroot/dev/b"]);
  assert.deepEqual(e.mounts?.map((m) => m.hostPath), ["/r/lib/x", "/r/lib/y"]);
});

test("annotations record the generation when the version allows them, and always as YAML comments", () => {
  const auto = generateSpecs([fakeVendor()], options()).specs[0]!;
  assert.ok(auto.header.some((h) => h.includes("actk cdi generate --vendor fake")));
  assert.ok(auto.header.some((h) => h.startsWith(`${annotationKeys.driverVersion}: 550.54.15`)));
  const always = generateSpecs([fakeVendor()], options({ annotations: "always" })).specs[0]!.spec;
  assert.equal(always.cdiVersion, "0.6.0");
  assert.equal(always.annotations?.[annotationKeys.command], "actk cdi generate --vendor fake");
  assert.equal(always.annotations?.[annotationKeys.contentHash], contentHash(always));
  const explicit = generateSpecs([fakeVendor()], options({ cdiVersion: "0.7.0" })).specs[0]!.spec;
  assert.equal(explicit.cdiVersion, "0.7.0");
  assert.ok(explicit.annotations);
  assert.throws(() => generateSpecs([fakeVendor()], options({ cdiVersion: "0.4.0" })), /needs 0\.5\.0/);
});

test("the generated file parses back identically", () => {
  const g = generateSpecs([fakeVendor()], options({ annotations: "always" })).specs[0]!;
  for (const format of ["yaml", "json"] as const) {
    const text = serializeSpec(g.spec, format, g.header);
    assert.deepEqual(parseSpecText(text, "x").spec, g.spec);
  }
});

test("--dev-root outside a nested driver root moves device nodes only", () => {
  const host = new HostRoot("/r/run/nvidia/driver");
  const e = rootHostPaths({ deviceNodes: [{ path: "/dev/a", hostPath: "/r/run/nvidia/driver/dev/a" }], mounts: [{ hostPath: "/r/run/nvidia/driver/lib/x", containerPath: "/lib/x" }] }, host, new HostRoot("/r"));
  assert.deepEqual(e.deviceNodes?.map((n) => n.hostPath), ["/r/dev/a"]);
  assert.deepEqual(e.mounts?.map((m) => m.hostPath), ["/r/run/nvidia/driver/lib/x"]);
});
