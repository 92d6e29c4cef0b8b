import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { ActkError, ExitCode } from "../../core/errors.js";
import { HostRoot } from "../../host/host-root.js";
import type { DeviceRequest } from "../../request/types.js";
import { SimTree } from "../../sim/tree.js";
import { discoverAmd } from "./discover.js";
import { amdCdiDeviceNames, amdCommonEdits, amdDeviceEdits, selectAmd } from "./edits.js";
import { gfxTarget, parseKfdProperties, pciBusId } from "./kfd-topology.js";
import { amdSimGpus, drmMajor, simAmdgpuVersion, simKfdMajor, simulateAmd } from "./simulate.js";

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
function simulated(count: number): { tree: SimTree; host: HostRoot } {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-amd-"));
  dirs.push(d);
  const tree = new SimTree(d, { realDeviceNodes: false });
  simulateAmd(tree, { count });
  return { tree, host: new HostRoot(d) };
}
function request(devices: string[]): DeviceRequest {
  return {
    vendor: "amd", source: "env", devices, capabilities: [], requirements: [],
    migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [],
  };
}

describe("KFD topology parsing", () => {
  test("properties keep 64-bit ids exact and skip lines that are not name/value", () => {
    const p = parseKfdProperties("unique_id 18446744073709551615\ndrm_render_minor 128\n\ngarbage\nname gfx942\n");
    assert.equal(p.get("unique_id"), 18446744073709551615n);
    assert.equal(p.get("drm_render_minor"), 128n);
    assert.equal(p.has("name"), false);
  });
  const buses: [number, number, string][] = [[0, 0x0500, "0000:05:00.0"], [0, 0xe500, "0000:e5:00.0"], [1, 0x2609, "0001:26:01.1"]];
  for (const [domain, loc, want] of buses) test(`location_id ${loc} in domain ${domain} is ${want}`, () => assert.equal(pciBusId(domain, loc), want));
  const targets: [number, string | undefined][] = [[90402, "gfx942"], [90010, "gfx90a"], [110000, "gfx1100"], [0, undefined]];
  for (const [v, want] of targets) test(`gfx_target_version ${v} is ${want}`, () => assert.equal(gfxTarget(v), want));
});

describe("discoverAmd on a simulated MI300X host", () => {
  test("finds each GPU with its card and render nodes and skips the CPU node", () => {
    const { host } = simulated(8);
    const d = discoverAmd(host);
    assert.equal(d.devices.length, 8);
    assert.equal(d.driverVersion, simAmdgpuVersion);
    const g3 = d.devices[3]!;
    const sim = amdSimGpus(8)[3]!;
    assert.equal(g3.index, "3");
    assert.equal(g3.busId, sim.busId);
    assert.equal(g3.uuid, `0x${sim.uniqueId.toString(16)}`);
    assert.equal(g3.model, "AMD Instinct MI300X");
    assert.equal(g3.details?.gfxTarget, "gfx942");
    assert.deepEqual(g3.deviceNodes.map((n) => [n.path, n.major, n.minor]), [
      ["/dev/dri/card3", drmMajor, 3], ["/dev/dri/renderD131", drmMajor, 131],
    ]);
    assert.deepEqual(d.controlNodes.map((n) => [n.path, n.major]), [["/dev/kfd", simKfdMajor]]);
  });

  test("a host without amdkfd gives no devices and a note, never an error", () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-amd-none-"));
    dirs.push(d);
    const disc = discoverAmd(new HostRoot(d));
    assert.deepEqual(disc.devices, []);
    assert.match(disc.notes.join(" "), /not loaded/);
  });

  test("a GPU whose card node is missing keeps its render node and says so", () => {
    const { tree, host } = simulated(2);
    fs.rmSync(tree.hostPath("/dev/dri/card1"));
    const d = discoverAmd(host);
    assert.deepEqual(d.devices[1]?.deviceNodes.map((n) => n.path), ["/dev/dri/renderD129"]);
    assert.match(d.notes.join(" "), /\/dev\/dri\/card1 is missing/);
  });
});

describe("AMD selection and edits", () => {
  const { host } = simulated(4);
  const disc = discoverAmd(host);
  const uid2 = disc.devices[2]!.uuid!;
  const cases: [string, string[], string[]][] = [
    ["indices in request order", ["3", "1"], ["3", "1"]],
    ["all", ["all"], ["0", "1", "2", "3"]],
    ["a unique id, case-insensitively", [uid2.toUpperCase().replace("0X", "0x")], ["2"]],
    ["a bare hex unique id", [uid2.slice(2)], ["2"]],
    ["duplicates once", ["1", "1"], ["1"]],
  ];
  for (const [what, devices, want] of cases) {
    test(`selects ${what}`, () => assert.deepEqual(selectAmd(request(devices), disc).map((d) => d.index), want));
  }
  test("an unknown GPU is an error listing indices and unique ids", () => {
    assert.throws(() => selectAmd(request(["7"]), disc), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.match(e.message, /unknown AMD GPU 7; this host has GPUs: 0 \(0x/);
      assert.equal(e.exitCode, ExitCode.host, "the host lacks it, as for NVIDIA");
      return true;
    });
  });
  test("device edits are the GPU's DRM nodes; common edits are /dev/kfd", () => {
    assert.deepEqual(amdDeviceEdits(disc.devices[0]!).deviceNodes?.map((n) => n.path), ["/dev/dri/card0", "/dev/dri/renderD128"]);
    assert.deepEqual(amdCommonEdits(disc).deviceNodes?.map((n) => n.path), ["/dev/kfd"]);
  });
  test("CDI names by index and by unique id", () => {
    assert.deepEqual(amdCdiDeviceNames(disc.devices[2]!, "index"), ["2"]);
    assert.deepEqual(amdCdiDeviceNames(disc.devices[2]!, "uuid"), [uid2]);
    assert.deepEqual(amdCdiDeviceNames(disc.devices[2]!, "type-index"), []);
  });
});
