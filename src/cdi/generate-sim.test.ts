// generate + validate with the real vendor plugins on simulated hosts (through the registry, as the CLI does).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PluginType } from "../core/registry.js";
import { HostRoot } from "../host/host-root.js";
import { createRegistry } from "../plugins.js";
import { createSimHost } from "../sim/create.js";
import type { Vendor } from "../vendors/vendor.js";
import { generateSpecs } from "./generate.js";
import { parseSpecText } from "./load.js";
import { validateAgainstHost, validateSpec } from "./validate.js";
import { serializeSpec } from "./write.js";

function simHost(t: TestContext, profile: string): HostRoot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `actk-cdi-sim-${profile}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, "host");
  createSimHost({ profile, dir: root });
  return new HostRoot(root);
}

function generate(host: HostRoot, vendor: string, strategies = ["index", "uuid"]) {
  const vendors = createRegistry(host).init().all<Vendor>(PluginType.vendor).filter((v) => v.id === vendor);
  assert.equal(vendors.length, 1, `vendor ${vendor} initialises`);
  return generateSpecs(vendors, {
    strategies, cdiVersion: "minimum", hookPath: "/usr/local/bin/actk-hook", host, annotations: "auto",
    command: `actk cdi generate --vendor ${vendor}`, actkVersion: "test",
  });
}

// `also`: further kinds the vendor writes (NVIDIA lists MIG devices under nvidia.com/mig too).
const profiles: { profile: string; vendor: string; kind: string; devices: string[]; also?: string[] }[] = [
  { profile: "dgx-h100", vendor: "nvidia", kind: "nvidia.com/gpu", devices: ["0", "0:0", "1", "7", "all"], also: ["nvidia.com/mig"] },
  { profile: "ascend-910b", vendor: "ascend", kind: "ascend.com/npu", devices: ["0", "7", "all"] },
  { profile: "amd-mi300", vendor: "amd", kind: "amd.com/gpu", devices: ["0", "3", "all"] },
];

for (const p of profiles) {
  test(`${p.profile}: one ${p.kind} spec at cdiVersion 0.5.0 that validates against the simulated host`, (t) => {
    const host = simHost(t, p.profile);
    const { specs } = generate(host, p.vendor);
    assert.deepEqual(specs.map((s) => s.kind), [p.kind, ...(p.also ?? [])]);
    const spec = specs[0]!.spec;
    const names = spec.devices.map((d) => d.name);
    for (const d of p.devices) assert.ok(names.includes(d), `${d} in ${names.join(",")}`);
    assert.equal(spec.cdiVersion, "0.5.0");
    assert.deepEqual(validateSpec(spec).filter((x) => x.severity === "error"), []);
    const hostProblems = validateAgainstHost(spec, host).filter((x) => !x.place.includes("hooks"));
    assert.deepEqual(hostProblems, []);
    assert.ok((spec.containerEdits?.hooks?.length ?? 0) <= 1, "at most one hook (ldcache)");
    for (const h of spec.containerEdits?.hooks ?? []) assert.ok(h.path.startsWith("/") && h.env?.length, "hooks are absolute with explicit env");
    for (const format of ["yaml", "json"] as const) assert.deepEqual(parseSpecText(serializeSpec(spec, format), "x").spec, spec);
  });
}

test("a device node changed on the host after generation is reported as stale for that device", (t) => {
  const host = simHost(t, "dgx-h100");
  const spec = generate(host, "nvidia").specs[0]!.spec;
  const node = host.hostPath("/dev/nvidia3");
  fs.rmSync(node);
  const problems = validateAgainstHost(spec, host).filter((x) => !x.place.includes("hooks"));
  assert.ok(problems.length > 0);
  assert.ok(problems.some((x) => x.device === "nvidia.com/gpu=3"), problems.map((x) => x.device).join());
  assert.ok(problems.every((x) => /nvidia3/.test(x.message) && /actk cdi generate/.test(x.fix ?? "")));
});
