import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HostRoot } from "../../host/host-root.js";
import { createSimHost } from "../../sim/create.js";
import { ActkError } from "../../core/errors.js";
import { discoverNvidia } from "./discover.js";
import { checkNvidiaPluginConfig, defaultNvidiaPluginConfig, NvidiaVendor } from "./index.js";
import { parseTegraRelease } from "./tegra.js";
import type { DeviceRequest } from "../../request/types.js";

function simHost(t: { after(fn: () => void): void }, profile: string): HostRoot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-tegra-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  createSimHost({ profile, dir: path.join(dir, "host"), realDeviceNodes: false });
  return new HostRoot(path.join(dir, "host"));
}

const request = (devices: string[]): DeviceRequest => ({
  vendor: "nvidia", source: "env", devices, capabilities: ["compute", "utility"], requirements: [],
  migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [],
});

test("/etc/nv_tegra_release gives the L4T version", () => {
  const cases: [string, string | undefined][] = [
    ["# R36 (release), REVISION: 3.0, GCID: 36923193, BOARD: generic, EABI: aarch64\n", "36.3.0"],
    ["# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref\n", "35.4.1"],
    ["# R32 (release), REVISION: 7\n", "32.7.0"],
    ["garbage\n", undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseTegraRelease(text), want, text);
});

test("a Jetson host is discovered from its CSV lists: one integrated GPU with the dev entries as nodes", (t) => {
  const d = discoverNvidia(simHost(t, "jetson-orin"));
  assert.equal(d.source, "csv");
  assert.equal(d.driverVersion, "36.3.0");
  assert.deepEqual(d.devices.map((x) => [x.index, x.model]), [["0", "NVIDIA Jetson AGX Orin Developer Kit"]]);
  assert.ok(d.devices[0]?.deviceNodes.some((n) => n.path === "/dev/nvmap" && n.major === 10 && n.minor === 125));
  assert.match(d.notes.join(" "), /nvhost-nvdla0.*does not exist/);
});

test("Tegra common edits mount the CSV libraries (links at their own path) and add one update-ldcache hook", (t) => {
  const host = simHost(t, "jetson-orin");
  const v = new NvidiaVendor(host);
  const d = v.discover();
  const [gpu] = v.select(request(["0"]), d);
  assert.equal(gpu?.index, "0");
  assert.deepEqual(v.select(request(["all"]), d).map((x) => x.index), ["0"]);
  const e = v.commonEdits(d, { capabilities: ["compute"], options: [] }, { hookPath: "/usr/local/bin/actk-hook" });
  const lib = "/usr/lib/aarch64-linux-gnu/tegra";
  const byPath = new Map((e.mounts ?? []).map((m) => [m.containerPath, m]));
  assert.equal(byPath.get(`${lib}/libcuda.so.1`)?.hostPath, path.join(host.root, `${lib}/libcuda.so.1.1`));
  assert.deepEqual(byPath.get(`${lib}/libcuda.so.1`)?.options, ["ro", "nosuid", "nodev", "rbind", "rprivate"]);
  assert.ok(byPath.has("/usr/share/nvidia"));
  assert.equal(e.hooks?.length, 1);
  assert.deepEqual(e.hooks?.[0]?.args, ["actk-hook", "update-ldcache", "--folder", lib]);
  assert.deepEqual(e.hooks?.[0]?.env, ["PATH=/usr/bin:/bin"]);
});

test("a dGPU host is not read as Tegra, and discovery-mode csv forces the CSV lists", (t) => {
  assert.equal(discoverNvidia(simHost(t, "dgx-h100")).source, "procfs");
  const d = discoverNvidia(simHost(t, "empty"), undefined, "csv");
  assert.equal(d.source, "csv");
  assert.equal(d.devices.length, 0);
  assert.match(d.notes.join(" "), /without CSV mount lists/);
});

test("plugin config values the schema cannot check fail the plugin's init with the place and the fix", () => {
  const bad: [Partial<typeof defaultNvidiaPluginConfig>, RegExp][] = [
    [{ discoveryMode: "nvml" as never }, /discovery-mode "nvml" is not one of auto, procfs, csv/],
    [{ librarySearchPaths: ["usr/lib"] } as never, /"usr\/lib" is not an absolute path/],
  ];
  for (const [over, message] of bad) {
    assert.throws(() => checkNvidiaPluginConfig({ ...defaultNvidiaPluginConfig, ...over }), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.match(e.message, message);
      assert.ok(e.fix);
      return true;
    });
  }
  checkNvidiaPluginConfig(defaultNvidiaPluginConfig);
});
