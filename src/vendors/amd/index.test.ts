import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { PluginType, Registry } from "../../core/registry.js";
import { HostRoot } from "../../host/host-root.js";
import { SimTree } from "../../sim/tree.js";
import type { Vendor } from "../vendor.js";
import { amdPlugin } from "./index.js";

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
function initialised(root: string): Vendor | undefined {
  const registry = new Registry();
  registry.register({ type: PluginType.host, id: "root", init: () => new HostRoot(root) });
  registry.register(amdPlugin);
  return registry.init().get<Vendor>(PluginType.vendor, "amd");
}

test("the AMD plugin initialises on a host without AMD GPUs and discovers nothing", () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-amd-plugin-"));
  dirs.push(d);
  const vendor = initialised(d);
  assert.ok(vendor);
  assert.equal(vendor.cdiVendor, "amd.com");
  assert.deepEqual(vendor.discover().devices, []);
});

test("the AMD plugin simulates, discovers and builds edits end to end", () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-amd-plugin-"));
  dirs.push(d);
  const vendor = initialised(d)!;
  vendor.simulate?.(new SimTree(d, { realDeviceNodes: false }), { count: 2 });
  const disc = vendor.discover();
  const request = {
    vendor: "amd", source: "env" as const, devices: ["1"], capabilities: [], requirements: [],
    migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [],
  };
  const [dev] = vendor.select(request, disc);
  assert.equal(dev?.kind, "amd.com/gpu");
  assert.doesNotThrow(() => vendor.checkRequirements(request, disc));
  assert.deepEqual(vendor.deviceEdits(dev!, disc).deviceNodes?.map((n) => n.path), ["/dev/dri/card1", "/dev/dri/renderD129"]);
  assert.deepEqual(vendor.commonEdits(disc, request, { hookPath: "/usr/bin/actk-hook" }).deviceNodes?.map((n) => n.path), ["/dev/kfd"]);
});

test("simulate rejects a bad count", () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-amd-plugin-"));
  dirs.push(d);
  const vendor = initialised(d)!;
  assert.throws(() => vendor.simulate?.(new SimTree(d, { realDeviceNodes: false }), { count: -1 }), /integer from 0 to 64/);
});
