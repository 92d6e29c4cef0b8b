/**
 * NVML through the built dist/bin/actk: a dgx-h100 simulated host with the fake libnvidia-ml
 * (test/fixtures/fake-nvml) installed in it, named by the NVIDIA plugin's nvml-library key.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { distBin, tempDir } from "../e2e/harness/requirements.js";
import { buildFakeNvml, fakeNvmlConfig, simMigUuid } from "../fixtures/fake-nvml/fake-nvml.js";

interface InfoJson {
  vendors: { vendor: string; source: string; devices: { index: string; uuid?: string; parent?: string; model?: string; details?: Record<string, unknown> }[]; notes: string[] }[];
}

const dgx = { count: 8, model: "h100-sxm", driverVersion: "550.54.15", mig: { 0: { 1: [0, 1], 2: [0] }, 1: { 7: [0], 8: [0], 9: [0] } } };

function run(program: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(program, args, { encoding: "utf8", env: { PATH: process.env.PATH, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A dgx-h100 host with the fake NVML at /opt/nvml and a config naming it (nvml = mode). */
function hostWithFakeNvml(t: TestContext, nvml = "auto"): { root: string; config: string } | undefined {
  const lib = buildFakeNvml(t);
  if (!lib) return undefined;
  t.after(() => lib.cleanup());
  const dir = tempDir(t, "actk-nvml-it-");
  const root = path.join(dir, "h");
  const c = run(distBin("actk"), ["sim", "create", "--profile", "dgx-h100", root]);
  assert.equal(c.status, 0, c.stderr);
  lib.configure(fakeNvmlConfig({ sim: dgx }));
  const library = lib.installInto(root, "/opt/nvml");
  const config = path.join(dir, "actk.toml");
  fs.writeFileSync(config, `[plugins."actk.vendor.v1".nvidia]\nnvml = "${nvml}"\nnvml-library = "${library}"\n`);
  return { root, config };
}

test("info shows source procfs+nvml with MIG UUIDs and profiles when the host's NVML loads", (t) => {
  const h = hostWithFakeNvml(t);
  if (!h) return;
  const r = run(distBin("actk"), ["--config-file", h.config, "info", "--json", "--host-root", h.root, "--vendor", "nvidia"]);
  assert.equal(r.status, 0, r.stderr);
  const nv = (JSON.parse(r.stdout) as InfoJson).vendors[0];
  assert.equal(nv?.source, "procfs+nvml");
  const gpus = nv?.devices.filter((d) => d.parent === undefined) ?? [];
  const migs = nv?.devices.filter((d) => d.parent !== undefined) ?? [];
  assert.deepEqual(migs.map((m) => [m.index, m.details?.profile]), [
    ["0:0", "1c.3g.40gb"], ["0:1", "1c.3g.40gb"], ["0:2", "3g.40gb"], ["1:0", "1g.10gb"], ["1:1", "1g.10gb"], ["1:2", "1g.10gb"],
  ]);
  for (const m of migs) {
    const parent = gpus.find((g) => g.index === m.parent);
    assert.equal(m.uuid, simMigUuid(parent?.uuid ?? "", m.details?.gpuInstance as number, m.details?.computeInstance as number));
  }
  assert.deepEqual(nv?.notes, []);

  const text = run(distBin("actk"), ["--config-file", h.config, "info", "--host-root", h.root, "--vendor", "nvidia"]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^nvidia: source: procfs\+nvml, driver: 550\.54\.15, devices: 8$/m);
  assert.match(text.stdout, /MIG 1:0: MIG-[0-9a-f-]{36} NVIDIA H100 80GB HBM3 MIG 1g\.10gb \[0000:2a:00\.0\]/);
});

test("cdi generate names MIG devices by the UUIDs NVML reports", (t) => {
  const h = hostWithFakeNvml(t);
  if (!h) return;
  const info = JSON.parse(run(distBin("actk"), ["--config-file", h.config, "info", "--json", "--host-root", h.root, "--vendor", "nvidia"]).stdout) as InfoJson;
  const migUuid = info.vendors[0]?.devices.find((d) => d.index === "1:2")?.uuid ?? "";
  assert.match(migUuid, /^MIG-/);
  const r = run(distBin("actk"), ["--config-file", h.config, "cdi", "generate", "--host-root", h.root, "--vendor", "nvidia", "--format", "json"]);
  assert.equal(r.status, 0, r.stderr);
  const spec = JSON.parse(r.stdout) as { devices: { name: string }[] };
  assert.ok(spec.devices.some((d) => d.name === migUuid), "the MIG device is named by its UUID");
  assert.ok(spec.devices.some((d) => d.name === "1:2"), "and by its index");
});

test("with nvml = \"off\" discovery is procfs only and says nothing about NVML", (t) => {
  const h = hostWithFakeNvml(t, "off");
  if (!h) return;
  const r = run(distBin("actk"), ["--config-file", h.config, "info", "--json", "--host-root", h.root, "--vendor", "nvidia"]);
  assert.equal(r.status, 0, r.stderr);
  const nv = (JSON.parse(r.stdout) as InfoJson).vendors[0];
  assert.equal(nv?.source, "procfs");
  assert.ok(!nv?.notes.some((n) => n.includes("NVML not used")));
  assert.ok(nv?.devices.filter((d) => d.parent !== undefined).every((m) => m.uuid === undefined));
});

test("a bundle that cannot find koffi still runs and falls back to procfs with a note", (t) => {
  const h = hostWithFakeNvml(t);
  if (!h) return;
  // A copy of the bundle outside the repository: no node_modules (so no koffi) above it.
  const lonely = path.join(tempDir(t, "actk-nokoffi-"), "actk.mjs");
  fs.copyFileSync(distBin("actk"), lonely);
  const r = run(process.execPath, [lonely, "--config-file", h.config, "info", "--json", "--host-root", h.root, "--vendor", "nvidia"]);
  assert.equal(r.status, 0, r.stderr);
  const nv = (JSON.parse(r.stdout) as InfoJson).vendors[0];
  assert.equal(nv?.source, "procfs");
  assert.ok(nv?.notes.includes("NVML not used: koffi not available"), JSON.stringify(nv?.notes));
});

test("an nvml value other than auto or off is refused, naming the key", (t) => {
  const h = hostWithFakeNvml(t, "sometimes");
  if (!h) return;
  const r = run(distBin("actk"), ["--config-file", h.config, "info", "--host-root", h.root, "--vendor", "nvidia"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /nvidia\.nvml: nvml must be "auto" or "off", not "sometimes"/);
});
