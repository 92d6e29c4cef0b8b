import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HostRoot } from "../../host/host-root.js";
import { createSimHost } from "../../sim/create.js";
import type { DeviceRequest } from "../../request/types.js";
import { ActkError } from "../../core/errors.js";
import type { Discovery } from "../vendor.js";
import { NvidiaVendor } from "./index.js";

let dir: string;
let vendor: NvidiaVendor;
let discovery: Discovery;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nv-select-"));
  createSimHost({ profile: "dgx-h100", dir: path.join(dir, "host"), realDeviceNodes: false });
  vendor = new NvidiaVendor(new HostRoot(path.join(dir, "host")));
  discovery = vendor.discover();
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function request(devices: string[]): DeviceRequest {
  return {
    vendor: "nvidia", source: "env", devices, capabilities: ["utility"], requirements: [],
    migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [],
  };
}
const select = (devices: string[]): string[] => vendor.select(request(devices), discovery).map((d) => d.index);

test("all selects the GPUs without MIG devices, then every MIG device", () => {
  assert.deepEqual(select(["all"]), ["2", "3", "4", "5", "6", "7", "0:0", "0:1", "0:2", "1:0", "1:1", "1:2"]);
});

test("every device form selects the device it names, in request order, without duplicates", () => {
  const uuid5 = discovery.devices.find((d) => d.index === "5")?.uuid as string;
  const table: [string[], string[]][] = [
    [[], []],
    [["3"], ["3"]],
    [["03"], ["3"]],
    [["7", "0"], ["7", "0"]],
    [["1:2"], ["1:2"]],
    [[uuid5], ["5"]],
    [[uuid5.toUpperCase().replace("GPU-", "GPU-")], ["5"]],
    [["2", uuid5, "2"], ["2", "5"]],
    [["0", "0:0"], ["0", "0:0"]],
  ];
  for (const [ids, want] of table) assert.deepEqual(select(ids), want, ids.join(","));
});

test("an unknown device is an error that lists the devices that exist", () => {
  for (const id of ["8", "2:0", "GPU-00000000-0000-0000-0000-000000000000", "MIG-00000000-0000-0000-0000-000000000000", "foo"]) {
    assert.throws(() => select([id]), (e: unknown) => {
      assert.ok(e instanceof ActkError, id);
      assert.match(e.message, new RegExp(`unknown NVIDIA device "${id}"`));
      assert.match(e.fix ?? "", /use one of: 0 \(GPU-.*1:2/);
      return true;
    });
  }
  assert.throws(() => select(["MIG-x"]), /MIG UUIDs need NVML/);
});

test("CDI names follow NVIDIA's index, uuid and type-index strategies", () => {
  const gpu = discovery.devices.find((d) => d.index === "4");
  const mig = discovery.devices.find((d) => d.index === "1:0");
  assert.ok(gpu && mig);
  assert.deepEqual(vendor.cdiDeviceNames(gpu, "index"), ["4"]);
  assert.deepEqual(vendor.cdiDeviceNames(gpu, "uuid"), [gpu.uuid]);
  assert.deepEqual(vendor.cdiDeviceNames(gpu, "type-index"), ["gpu4"]);
  assert.deepEqual(vendor.cdiDeviceNames(mig, "index"), ["1:0"]);
  assert.deepEqual(vendor.cdiDeviceNames(mig, "uuid"), []);
  assert.deepEqual(vendor.cdiDeviceNames(mig, "type-index"), ["mig1:0"]);
  assert.deepEqual(vendor.cdiDeviceNames(gpu, "nonsense"), []);
});
