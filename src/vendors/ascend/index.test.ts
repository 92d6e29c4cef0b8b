import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { ActkError } from "../../core/errors.js";
import { PluginType, Registry } from "../../core/registry.js";
import { HostRoot } from "../../host/host-root.js";
import { SimTree } from "../../sim/tree.js";
import type { Vendor } from "../vendor.js";
import { ascendPlugin } from "./index.js";

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
function initialised(root: string): Vendor | undefined {
  const registry = new Registry();
  registry.register({ type: PluginType.host, id: "root", init: () => new HostRoot(root) });
  registry.register(ascendPlugin);
  return registry.init().get<Vendor>(PluginType.vendor, "ascend");
}

test("the Ascend plugin initialises on a host without Ascend and discovers nothing", () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-ascend-plugin-"));
  dirs.push(d);
  const vendor = initialised(d);
  assert.ok(vendor);
  assert.equal(vendor.cdiVendor, "ascend.com");
  assert.deepEqual(vendor.discover().devices, []);
});

test("the Ascend plugin simulates, discovers and builds edits end to end", () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-ascend-plugin-"));
  dirs.push(d);
  const vendor = initialised(d)!;
  vendor.simulate?.(new SimTree(d, { realDeviceNodes: false }), { count: 2, chip: "Ascend910B" });
  const disc = vendor.discover();
  const request = {
    vendor: "ascend", source: "env" as const, devices: ["1"], capabilities: [], requirements: [],
    migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [],
  };
  const [dev] = vendor.select(request, disc);
  assert.equal(dev?.kind, "ascend.com/npu");
  assert.doesNotThrow(() => vendor.checkRequirements(request, disc));
  assert.deepEqual(vendor.deviceEdits(dev!, disc).deviceNodes?.map((n) => n.path), ["/dev/davinci1"]);
  assert.ok((vendor.commonEdits(disc, request, { hookPath: "/usr/bin/actk-hook" }).mounts?.length ?? 0) > 0);
});

test("simulate rejects an unknown chip with the chips it knows", () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-ascend-plugin-"));
  dirs.push(d);
  const vendor = initialised(d)!;
  assert.throws(() => vendor.simulate?.(new SimTree(d, { realDeviceNodes: false }), { chip: "Ascend999" }),
    (e: unknown) => e instanceof ActkError && /Ascend910B/.test(e.format()));
});
