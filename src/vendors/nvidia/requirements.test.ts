import { test } from "node:test";
import assert from "node:assert/strict";
import { ActkError, ExitCode } from "../../core/errors.js";
import type { DeviceRequest } from "../../request/types.js";
import { checkNvidiaRequirements, type NvidiaHostFacts } from "./requirements.js";

function request(requirements: string[]): DeviceRequest {
  return {
    vendor: "nvidia", source: "env", devices: ["all"], capabilities: ["compute", "utility"], requirements,
    migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [],
  };
}

const h100: NvidiaHostFacts = { driverVersion: "550.54.15", cudaVersion: "12.4", devices: [{ arch: "9.0", brand: "nvidia", model: "NVIDIA H100 80GB HBM3" }] };
const t4Old: NvidiaHostFacts = { driverVersion: "470.82.01", cudaVersion: "11.4", devices: [{ arch: "7.5", brand: "tesla", model: "Tesla T4" }] };
const mixed: NvidiaHostFacts = { driverVersion: "535.104.05", cudaVersion: "12.2", devices: [{ arch: "8.0", brand: "tesla" }, { arch: "7.5", brand: "geforce" }] };

const cases: { name: string; requirements: string[]; facts: NvidiaHostFacts; error?: RegExp }[] = [
  { name: "no requirements are always met", requirements: [], facts: t4Old },
  { name: "cuda>=12.0 on a CUDA 12.4 driver is met", requirements: ["cuda>=12.0"], facts: h100 },
  { name: "cuda>=12.0 on a CUDA 11.4 driver names the constraint and the host value", requirements: ["cuda>=12.0"], facts: t4Old, error: /unsatisfied condition: cuda>=12\.0 \(host cuda=11\.4\)/ },
  { name: "driver>=535 on 470 fails", requirements: ["driver>=535"], facts: t4Old, error: /driver>=535 \(host driver=470\.82\.01\)/ },
  { name: "arch is checked on every GPU", requirements: ["arch>=8.0"], facts: mixed, error: /is not met by GPU 1: unsatisfied condition: arch>=8\.0 \(host arch=7\.5\)/ },
  { name: "brand is checked on every GPU", requirements: ["brand=tesla"], facts: mixed, error: /brand=tesla \(host brand=geforce\)/ },
  { name: "the CUDA image OR list passes through its driver branch", requirements: ["cuda>=12.2 brand=tesla,driver>=470,driver<471"], facts: t4Old },
  { name: "the CUDA image OR list fails listing every alternative", requirements: ["cuda>=12.2 brand=nvidia,driver>=535,driver<536"], facts: t4Old, error: /none of its alternatives holds: cuda>=12\.2 \(host cuda=11\.4\); brand=nvidia \(host brand=tesla\)/ },
  { name: "all expressions must hold", requirements: ["cuda>=11.0", "driver>=535"], facts: t4Old, error: /driver>=535/ },
  { name: "unknown host facts are assumed to meet the constraint", requirements: ["cuda>=99.0", "arch>=99"], facts: { devices: [] } },
  { name: "without device facts arch and brand are not checked", requirements: ["arch>=99", "brand=quadro"], facts: { driverVersion: "550.1", devices: [] } },
];
for (const c of cases) {
  test(`checkNvidiaRequirements: ${c.name}`, () => {
    if (!c.error) {
      checkNvidiaRequirements(request(c.requirements), c.facts);
      return;
    }
    assert.throws(() => checkNvidiaRequirements(request(c.requirements), c.facts), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.match(e.message, c.error as RegExp);
      assert.match(e.fix ?? "", /NVIDIA_DISABLE_REQUIRE/);
      assert.equal(e.exitCode, ExitCode.failed);
      return true;
    });
  });
}
