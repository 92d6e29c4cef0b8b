// NVIDIA's CDI kinds through the shared generator: MIG devices in nvidia.com/gpu (G:I, as nvidia-ctk) and in nvidia.com/mig.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateSpecs, type GenerateOptions } from "../../cdi/generate.js";
import { HostRoot } from "../../host/host-root.js";
import { createSimHost } from "../../sim/create.js";
import { NvidiaVendor } from "./index.js";

let dir: string;
let host: HostRoot;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nv-naming-"));
  createSimHost({ profile: "dgx-h100", dir: path.join(dir, "host"), realDeviceNodes: false });
  host = new HostRoot(path.join(dir, "host"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function generate(extra: Partial<GenerateOptions> = {}, h: HostRoot = host) {
  return generateSpecs([new NvidiaVendor(h)], {
    strategies: ["index", "uuid"], cdiVersion: "minimum", hookPath: "/usr/local/bin/actk-hook", host: h, annotations: "auto",
    command: "actk cdi generate", actkVersion: "test", ...extra,
  });
}

const migNames = ["0:0", "0:1", "0:2", "1:0", "1:1", "1:2"];

test("with MIG enabled, nvidia.com/gpu keeps G:I names and nvidia.com/mig lists the MIG devices (nvidia-mig)", () => {
  const { specs } = generate();
  assert.deepEqual(specs.map((s) => [s.kind, s.baseName, s.alias ?? false]), [["nvidia.com/gpu", "nvidia-gpu", false], ["nvidia.com/mig", "nvidia-mig", true]]);
  const [gpu, mig] = specs;
  const names = gpu!.spec.devices.map((d) => d.name);
  for (const n of ["0", "7", ...migNames, "all"]) assert.ok(names.includes(n), n);
  assert.deepEqual(mig!.spec.devices.map((d) => d.name), [...migNames, "all"]);
  // Same edits under both kinds; each spec carries the common edits so it works on its own.
  const inGpu = gpu!.spec.devices.find((d) => d.name === "1:2");
  const inMig = mig!.spec.devices.find((d) => d.name === "1:2");
  assert.deepEqual(inMig, inGpu);
  assert.deepEqual(mig!.spec.containerEdits, gpu!.spec.containerEdits);
});

test("the all device: every GPU (MIG-enabled ones too, as nvidia-ctk) and MIG device in nvidia.com/gpu; the MIG devices in nvidia.com/mig", () => {
  const { specs } = generate();
  const nodes = (kind: string) => {
    const all = specs.find((s) => s.kind === kind)!.spec.devices.find((d) => d.name === "all");
    return (all?.containerEdits.deviceNodes ?? []).map((n) => n.path);
  };
  const gpuAll = nodes("nvidia.com/gpu");
  for (let i = 0; i < 8; i++) assert.ok(gpuAll.includes(`/dev/nvidia${i}`), `nvidia${i}`);
  assert.ok(gpuAll.includes("/dev/nvidia-caps/nvidia-cap13"));
  const migAll = nodes("nvidia.com/mig");
  assert.ok(migAll.includes("/dev/nvidia0") && migAll.includes("/dev/nvidia1"));
  assert.ok(!migAll.includes("/dev/nvidia2"), "GPUs without MIG are not in nvidia.com/mig=all");
  assert.ok(!migAll.some((p) => p.startsWith("/dev/dri/")), "MIG devices have no DRM nodes");
});

test("naming strategies under nvidia.com/mig: index G:I, type-index migG:I, and no uuid names (procfs has no MIG UUIDs)", () => {
  const { specs, notes } = generate({ strategies: ["index", "uuid", "type-index"] });
  const mig = specs.find((s) => s.kind === "nvidia.com/mig")!;
  assert.deepEqual(mig.spec.devices.map((d) => d.name), [...migNames.flatMap((n) => [n, `mig${n}`]), "all"]);
  assert.ok(notes.some((n) => /MIG devices have no UUID here/.test(n)));
});

test("an explicit --class or --vendor-kind gives one spec: no nvidia.com/mig alias", () => {
  assert.deepEqual(generate({ kindClass: "accel" }).specs.map((s) => s.kind), ["nvidia.com/accel"]);
  assert.deepEqual(generate({ kindVendor: "example.com" }).specs.map((s) => s.kind), ["example.com/gpu"]);
});

test("a host without MIG devices gets no nvidia-mig spec", (t) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nv-naming-nomig-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  createSimHost({ profile: "dgx-h100", dir: path.join(d, "host"), realDeviceNodes: false, vendorOptions: { nvidia: { mig: {} } } });
  const { specs, notes } = generate({}, new HostRoot(path.join(d, "host")));
  assert.deepEqual(specs.map((s) => s.kind), ["nvidia.com/gpu"]);
  assert.ok(!notes.some((n) => /MIG devices have no UUID/.test(n)));
});
