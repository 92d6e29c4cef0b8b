// A discovery scoped to the requests gives the same containers and the same errors as a whole-host one.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PluginType } from "../../core/registry.js";
import { markContainerStartPath } from "../../core/start-path.js";
import { resolveContainerEdits } from "../../edits/resolve.js";
import { HostRoot } from "../../host/host-root.js";
import { createRegistry } from "../../plugins.js";
import type { RequestInput } from "../../request/types.js";
import { createSimHost } from "../../sim/create.js";
import type { Vendor } from "../vendor.js";
import { nvidiaScopeOf } from "./scope.js";

// Scopes are for container starts (where NVML is never merged in), as in actk-runtime and actk-hook.
markContainerStartPath();

function simVendors(t: TestContext, profile: string): Vendor[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `actk-scope-${profile}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  createSimHost({ profile, dir: path.join(dir, "host") });
  return createRegistry(new HostRoot(path.join(dir, "host"))).init().all<Vendor>(PluginType.vendor);
}

const input = (env: string[]): RequestInput => ({ env, mounts: [], annotations: {}, privileged: false });

function resolveBoth(vendors: Vendor[], env: string[]) {
  const opts = { hookPath: "/usr/local/bin/actk-hook" };
  const scoped = resolveContainerEdits(input(env), vendors, opts);
  const whole = resolveContainerEdits(input(env), vendors, { ...opts, scopedDiscovery: false });
  return { scoped, whole };
}

const visible = ["0", "3", "1,3", "0:0", "0:1,2", "7", "all", "none", "9", "0,9", "4:0"];
const capabilities = [undefined, "compute", "utility", "all", "graphics,display", "compute,compat32", "video"];

test("dgx-h100: every device list and capability set gives the same edits and errors scoped as whole-host", (t) => {
  const vendors = simVendors(t, "dgx-h100");
  const uuid = vendors.find((v) => v.id === "nvidia")?.discover().devices.filter((d) => d.parent === undefined)[2]?.uuid;
  assert.ok(uuid, "the simulated GPUs have UUIDs");
  let scopedRuns = 0;
  for (const devices of [...visible, uuid, `1,${uuid.toLowerCase()}`]) {
    for (const caps of capabilities) {
      const env = [`NVIDIA_VISIBLE_DEVICES=${devices}`, ...(caps ? [`NVIDIA_DRIVER_CAPABILITIES=${caps}`] : [])];
      const { scoped, whole } = resolveBoth(vendors, env);
      const label = env.join(" ");
      assert.deepEqual(scoped.edits, whole.edits, label);
      assert.deepEqual(scoped.errors.map((e) => e.format()), whole.errors.map((e) => e.format()), label);
      assert.deepEqual(scoped.requests.map((r) => r.devices.map((d) => d.index)), whole.requests.map((r) => r.devices.map((d) => d.index)), label);
      if (scoped.discoveries.get("nvidia")?.scoped) scopedRuns++;
    }
  }
  assert.ok(scopedRuns >= 40, `most of these starts read less than the whole host (${scopedRuns})`);
});

test("extras, requirements and MIG management give the same containers scoped as whole-host", (t) => {
  const vendors = simVendors(t, "mixed");
  for (const env of [
    ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=12.0"],
    ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"],
    ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_ARCH=hopper"],
    ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_GDS=enabled"],
    ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_CONFIG_DEVICES=all"],
    ["NVIDIA_VISIBLE_DEVICES=1", "ASCEND_VISIBLE_DEVICES=0"],
  ]) {
    const { scoped, whole } = resolveBoth(vendors, env);
    assert.deepEqual(scoped.edits, whole.edits, env.join(" "));
    assert.deepEqual(scoped.errors.map((e) => e.format()), whole.errors.map((e) => e.format()), env.join(" "));
  }
});

test("only requests that name GPUs and ask for no extras are scoped", () => {
  const request = (devices: string[], more: Record<string, unknown> = {}) => ({
    vendor: "nvidia", source: "env" as const, devices, capabilities: ["compute", "utility"], requirements: [],
    migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [], ...more,
  });
  assert.equal(nvidiaScopeOf(undefined), undefined);
  const scope = nvidiaScopeOf({ requests: [request(["0", "2:1", "GPU-ABC"])] });
  assert.deepEqual([...(scope?.gpus ?? [])], ["0", "2", "gpu-abc"]);
  assert.deepEqual([...(scope?.migParents ?? [])], ["2"]);
  assert.deepEqual([...(nvidiaScopeOf({ requests: [request([])] })?.capabilities ?? [])].sort(), ["compute", "utility"]);
  for (const r of [
    request(["all"]), request(["MIG-1234"]), request(["0"], { options: ["imex-channels=0"] }),
    request(["0"], { migConfigDevices: ["all"] }), request(["0"], { cdiDevices: ["nvidia.com/gpu=0"] }),
  ]) {
    assert.equal(nvidiaScopeOf({ requests: [request(["1"]), r] }), undefined, JSON.stringify(r));
  }
});
