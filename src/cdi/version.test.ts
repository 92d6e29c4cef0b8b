import { test } from "node:test";
import assert from "node:assert/strict";
import type { ContainerEdits } from "../edits/container-edits.js";
import type { CdiSpec } from "./spec.js";
import { chooseCdiVersion, minimumCdiVersion, versionReasons, versionTooOld } from "./version.js";
import { ActkError } from "../core/errors.js";

const node = { path: "/dev/x", type: "c" as const, major: 1, minor: 3 };
function spec(over: Partial<CdiSpec> = {}, edits: ContainerEdits = { deviceNodes: [node] }, name = "dev"): CdiSpec {
  return { cdiVersion: "0.3.0", kind: "example.com/gpu", devices: [{ name, containerEdits: edits }], ...over };
}

const cases: { why: string; spec: CdiSpec; version: string }[] = [
  { why: "plain device nodes need only the earliest version", spec: spec(), version: "0.3.0" },
  { why: "a mount type needs 0.4.0", spec: spec({}, { mounts: [{ hostPath: "/a", containerPath: "/a", type: "bind" }] }), version: "0.4.0" },
  { why: "a mount without type stays at 0.3.0", spec: spec({}, { mounts: [{ hostPath: "/a", containerPath: "/a" }] }), version: "0.3.0" },
  { why: "a device-node hostPath needs 0.5.0", spec: spec({}, { deviceNodes: [{ ...node, hostPath: "/r/dev/x" }] }), version: "0.5.0" },
  { why: "a device name starting with a digit needs 0.5.0", spec: spec({}, undefined, "0"), version: "0.5.0" },
  { why: "spec annotations need 0.6.0", spec: spec({ annotations: { "a.io/b": "c" } }), version: "0.6.0" },
  { why: "empty annotations do not count", spec: spec({ annotations: {} }), version: "0.3.0" },
  { why: "device annotations need 0.6.0", spec: { ...spec(), devices: [{ name: "d", annotations: { k: "v" }, containerEdits: { deviceNodes: [node] } }] }, version: "0.6.0" },
  { why: "a dot in the class needs 0.6.0", spec: spec({ kind: "example.com/gpu.coherent" }), version: "0.6.0" },
  { why: "a dot in the vendor does not", spec: spec({ kind: "a.b.example.com/gpu" }), version: "0.3.0" },
  { why: "additionalGids need 0.7.0", spec: spec({}, { deviceNodes: [node], additionalGids: [44] }), version: "0.7.0" },
  { why: "intelRdt needs 0.7.0", spec: spec({}, { deviceNodes: [node], intelRdt: { closID: "g" } }), version: "0.7.0" },
  { why: "intelRdt schemata need 1.1.0, even empty", spec: spec({}, { deviceNodes: [node], intelRdt: { schemata: [] } }), version: "1.1.0" },
  { why: "intelRdt enableMonitoring needs 1.1.0", spec: spec({}, { deviceNodes: [node], intelRdt: { enableMonitoring: true } }), version: "1.1.0" },
  { why: "netDevices need 1.1.0", spec: spec({}, { netDevices: [{ hostInterfaceName: "eth1", name: "net0" }] }), version: "1.1.0" },
  { why: "spec-level edits count like device edits", spec: spec({ containerEdits: { additionalGids: [5] } }), version: "0.7.0" },
];

for (const c of cases) {
  test(`minimum version: ${c.why}`, () => {
    assert.equal(minimumCdiVersion(c.spec), c.version);
  });
}

test("the reasons name the field that forces each version, newest first", () => {
  const s = spec({}, { deviceNodes: [{ ...node, hostPath: "/r/dev/x" }], additionalGids: [44], mounts: [{ hostPath: "/a", containerPath: "/a", type: "bind" }] }, "0");
  assert.deepEqual(versionReasons(s).map((r) => [r.version, r.place]), [
    ["0.7.0", "devices[0] (0).containerEdits.additionalGids"],
    ["0.5.0", "devices[0] (0).containerEdits.deviceNodes[0].hostPath"],
    ["0.5.0", 'devices[0].name "0"'],
    ["0.4.0", "devices[0] (0).containerEdits.mounts[0].type"],
  ]);
});

test("a requested version lower than the content needs is refused with the field", () => {
  const s = spec({}, { deviceNodes: [{ ...node, hostPath: "/r/dev/x" }] });
  assert.match(versionTooOld(s, "0.4.0") ?? "", /cannot express deviceNodes\[\]\.hostPath .*needs 0\.5\.0/);
  assert.equal(versionTooOld(s, "0.5.0"), undefined);
  assert.throws(() => chooseCdiVersion(s, "0.4.0"), (e: unknown) => e instanceof ActkError && /needs 0\.5\.0/.test(e.message) && e.exitCode === 2);
  assert.equal(chooseCdiVersion(s, "minimum"), "0.5.0");
  assert.equal(chooseCdiVersion(s, "v0.6.0"), "0.6.0");
  assert.equal(chooseCdiVersion(s, "1.1.0"), "1.1.0");
});

test("unknown and pre-0.3.0 versions are refused", () => {
  for (const v of ["0.2.0", "1.2.0", "0.9.0", "latest"]) {
    assert.throws(() => chooseCdiVersion(spec(), v), (e: unknown) => e instanceof ActkError && /unknown or unsupported CDI version/.test(e.message), v);
  }
});
