import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ContainerEdits } from "../edits/container-edits.js";
import { HostRoot } from "../host/host-root.js";
import type { LoadedSpec } from "./load.js";
import type { CdiSpec } from "./spec.js";
import { validateAgainstHost, validateSpec, validateSpecSet } from "./validate.js";

const node = { path: "/dev/x0", type: "c" as const, major: 195, minor: 0 };
function spec(edits: ContainerEdits = { deviceNodes: [node] }, over: Partial<CdiSpec> = {}): CdiSpec {
  return { cdiVersion: "0.5.0", kind: "example.com/gpu", devices: [{ name: "0", containerEdits: edits }], ...over };
}
const errors = (s: CdiSpec): string[] => validateSpec(s, "f.yaml").filter((p) => p.severity === "error").map((p) => p.message);
const warnings = (s: CdiSpec): string[] => validateSpec(s, "f.yaml").filter((p) => p.severity === "warning").map((p) => p.message);

const rules: { rule: string; good: CdiSpec; bad: CdiSpec; message: RegExp }[] = [
  { rule: "cdiVersion must be a known version", good: spec(), bad: spec(undefined, { cdiVersion: "0.9.0" }), message: /invalid version "0.9.0"/ },
  { rule: "cdiVersion 0.1.0/0.2.0 never validate", good: spec(undefined, { cdiVersion: "v0.5.0" }), bad: spec(undefined, { cdiVersion: "0.2.0" }), message: /invalid version/ },
  { rule: "cdiVersion must cover the content", good: spec(), bad: spec(undefined, { cdiVersion: "0.4.0" }), message: /cannot express a device name starting with a digit/ },
  { rule: "kind is vendor/class", good: spec(), bad: spec(undefined, { kind: "gpu" }), message: /invalid kind "gpu"/ },
  { rule: "vendor starts with a letter", good: spec(), bad: spec(undefined, { kind: "1x.com/gpu" }), message: /invalid vendor/ },
  { rule: "device names follow the syntax", good: spec(), bad: { ...spec(), devices: [{ name: "-x", containerEdits: { deviceNodes: [node] } }] }, message: /should start with a letter or digit/ },
  { rule: "device names are unique in a file", good: spec(), bad: { ...spec(), devices: [{ name: "a", containerEdits: { deviceNodes: [node] } }, { name: "a", containerEdits: { deviceNodes: [node] } }] }, message: /defined twice/ },
  { rule: "a spec has devices", good: spec(), bad: { ...spec(), devices: [] }, message: /no devices/ },
  { rule: "device edits are not empty", good: spec(), bad: spec({}), message: /no container edits/ },
  { rule: "env entries are NAME=value", good: spec({ env: ["A=", "B=1"] }), bad: spec({ env: ["=x"] }), message: /is not NAME=value/ },
  { rule: "device node paths are absolute", good: spec(), bad: spec({ deviceNodes: [{ ...node, path: "dev/x0" }] }), message: /not an absolute path/ },
  { rule: "device node hostPaths are absolute", good: spec({ deviceNodes: [{ ...node, hostPath: "/r/dev/x0" }] }), bad: spec({ deviceNodes: [{ ...node, hostPath: "r/dev/x0" }] }), message: /not an absolute path/ },
  { rule: "device node types are b, c, u or p", good: spec(), bad: spec({ deviceNodes: [{ ...node, type: "x" as "c" }] }), message: /not one of b, c, u, p/ },
  { rule: "permissions hold only r, w, m", good: spec({ deviceNodes: [{ ...node, permissions: "rw" }] }), bad: spec({ deviceNodes: [{ ...node, permissions: "rwx" }] }), message: /only hold the letters/ },
  { rule: "mount paths are absolute", good: spec({ mounts: [{ hostPath: "/a", containerPath: "/a" }] }), bad: spec({ mounts: [{ hostPath: "/a", containerPath: "a" }] }), message: /container path.*not an absolute path/ },
  { rule: "hook names are OCI hook names", good: spec({ hooks: [{ hookName: "createContainer", path: "/h", env: ["A=1"] }] }), bad: spec({ hooks: [{ hookName: "preStart" as "prestart", path: "/h", env: ["A=1"] }] }), message: /hookName "preStart"/ },
  { rule: "hook paths are absolute", good: spec({ hooks: [{ hookName: "createContainer", path: "/h", env: ["A=1"] }] }), bad: spec({ hooks: [{ hookName: "createContainer", path: "h", env: ["A=1"] }] }), message: /hook program.*not an absolute/ },
  { rule: "hook timeouts are positive", good: spec({ hooks: [{ hookName: "poststop", path: "/h", env: ["A=1"], timeout: 5 }] }), bad: spec({ hooks: [{ hookName: "poststop", path: "/h", env: ["A=1"], timeout: 0 }] }), message: /timeout 0/ },
  { rule: "net devices are unique per edits", good: spec({ netDevices: [{ hostInterfaceName: "a", name: "b" }] }, { cdiVersion: "1.1.0" }), bad: spec({ netDevices: [{ hostInterfaceName: "a", name: "b" }, { hostInterfaceName: "a", name: "c" }] }, { cdiVersion: "1.1.0" }), message: /listed twice/ },
  { rule: "annotation keys are qualified names", good: spec(undefined, { cdiVersion: "0.6.0", annotations: { "actk.io/x": "1" } }), bad: spec(undefined, { cdiVersion: "0.6.0", annotations: { "bad key": "1" } }), message: /not a qualified name/ },
];

for (const r of rules) {
  test(`validate: ${r.rule}`, () => {
    assert.deepEqual(errors(r.good), []);
    assert.ok(errors(r.bad).some((m) => r.message.test(m)), `${errors(r.bad).join("\n")} should match ${r.message}`);
  });
}

test("validate warns about a hook without env, and only warns", () => {
  const s = spec({ deviceNodes: [node], hooks: [{ hookName: "createContainer", path: "/usr/local/bin/actk-hook" }] });
  assert.deepEqual(errors(s), []);
  assert.match(warnings(s).join(), /has no env/);
});

const loaded = (file: string, priority: number, s: CdiSpec): LoadedSpec => ({ spec: s, file, priority, format: "yaml", deviceLines: [] });

test("a device defined in two files of one directory is an error naming both files", () => {
  const problems = validateSpecSet([loaded("/etc/cdi/a.yaml", 0, spec()), loaded("/etc/cdi/b.yaml", 0, spec())]);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.severity, "error");
  assert.equal(problems[0]?.device, "example.com/gpu=0");
  assert.match(problems[0]?.message ?? "", /\/etc\/cdi\/a\.yaml and \/etc\/cdi\/b\.yaml/);
});

test("a device defined in two directories is a warning: the later directory wins", () => {
  const problems = validateSpecSet([loaded("/etc/cdi/a.yaml", 0, spec()), loaded("/var/run/cdi/a.yaml", 1, spec())]);
  assert.equal(problems[0]?.severity, "warning");
  assert.match(problems[0]?.message ?? "", /the copy in \/var\/run\/cdi\/a\.yaml is used/);
  assert.deepEqual(validateSpecSet([loaded("/a.yaml", 0, spec()), loaded("/b.yaml", 0, spec(undefined, { kind: "other.com/gpu" }))]), []);
});

test("--host: device nodes must exist with the spec's numbers, mounts must exist, hooks must be executable", (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "actk-cdi-host-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, "dev"));
  fs.mkdirSync(path.join(root, "usr/lib"), { recursive: true });
  fs.writeFileSync(path.join(root, "dev/x0"), "actk-sim placeholder char device 195:0\n");
  fs.writeFileSync(path.join(root, "dev/x1"), "actk-sim placeholder char device 195:7\n");
  fs.writeFileSync(path.join(root, "usr/lib/libx.so.1"), "elf");
  const hook = path.join(root, "hook");
  fs.writeFileSync(hook, "#!/bin/sh\n", { mode: 0o755 });
  const host = new HostRoot(root);
  const good = spec({
    deviceNodes: [node, { ...node, path: "/dev/x9", hostPath: path.join(root, "dev/x0") }],
    mounts: [{ hostPath: "/usr/lib/libx.so.1", containerPath: "/usr/lib/libx.so.1" }],
    hooks: [{ hookName: "createContainer", path: hook, env: ["A=1"] }],
  });
  assert.deepEqual(validateAgainstHost(good, host), []);
  const bad: CdiSpec = {
    ...spec(),
    devices: [
      { name: "0", containerEdits: { deviceNodes: [{ ...node, path: "/dev/x1", minor: 1 }] } },
      { name: "1", containerEdits: { deviceNodes: [{ ...node, path: "/dev/x2" }] } },
    ],
    containerEdits: { mounts: [{ hostPath: "/usr/lib/gone.so", containerPath: "/usr/lib/gone.so" }], hooks: [{ hookName: "createContainer", path: path.join(root, "usr/lib/libx.so.1"), env: [] }] },
  };
  const problems = validateAgainstHost(bad, host, "f.yaml");
  const byPlace = problems.map((p) => `${p.device ?? "-"}: ${p.message}`);
  assert.equal(problems.length, 4, byPlace.join("\n"));
  assert.ok(byPlace.some((m) => /example.com\/gpu=0: .*195:7 on the host but 195:1 in the spec \(stale spec\)/.test(m)), byPlace.join("\n"));
  assert.ok(byPlace.some((m) => /example.com\/gpu=1: device node .*dev\/x2 does not exist/.test(m)));
  assert.ok(byPlace.some((m) => /gone\.so does not exist/.test(m)));
  assert.ok(byPlace.some((m) => /is not executable/.test(m)));
  assert.ok(problems.every((p) => p.fix && /actk cdi generate/.test(p.fix)));
});
