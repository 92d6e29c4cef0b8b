import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HostRoot } from "../../host/host-root.js";
import { createSimHost } from "../../sim/create.js";
import { discoverNvidia } from "./discover.js";
import { migCiMinor, migGiMinor, simDynamicMajors } from "./simulate.js";

function simHost(t: { after(fn: () => void): void }, profile: string, realDeviceNodes: boolean): HostRoot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nv-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  createSimHost({ profile, dir: path.join(dir, "host"), realDeviceNodes });
  return new HostRoot(path.join(dir, "host"));
}

test("a fresh dgx-h100 host shows 8 GPUs, MIG devices on GPUs 0 and 1, the driver version and majors", (t) => {
  const d = discoverNvidia(simHost(t, "dgx-h100", false));
  assert.equal(d.source, "procfs");
  assert.equal(d.driverVersion, "550.54.15");
  assert.equal(d.cudaVersion, "12.4");
  assert.deepEqual(d.majors, { "nvidia-frontend": 195, ...simDynamicMajors });
  const gpus = d.devices.filter((x) => x.parent === undefined);
  assert.deepEqual(gpus.map((g) => g.index), ["0", "1", "2", "3", "4", "5", "6", "7"]);
  assert.ok(gpus.every((g) => g.model === "NVIDIA H100 80GB HBM3" && /^GPU-[0-9a-f-]{36}$/.test(g.uuid ?? "")));
  assert.deepEqual(gpus.map((g) => g.busId), ["0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0", "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0"]);
  assert.deepEqual(d.devices.filter((x) => x.parent !== undefined).map((m) => `${m.index}@${m.parent}`),
    ["0:0@0", "0:1@0", "0:2@0", "1:0@1", "1:1@1", "1:2@1"]);
  assert.equal(gpus[0]?.details?.migEnabled, true);
  assert.equal(gpus[2]?.details?.migEnabled, false);
  assert.equal(gpus[0]?.details?.computeCapability, "9.0");
  assert.deepEqual(d.controlNodes.map((n) => `${n.path} ${n.major}:${n.minor}`),
    ["/dev/nvidiactl 195:255", "/dev/nvidia-uvm 509:0", "/dev/nvidia-uvm-tools 509:1", "/dev/nvidia-modeset 195:254"]);
  // The only note: MIG devices cannot have UUIDs from procfs.
  assert.deepEqual(d.notes.map((n) => n.slice(0, 28)), ["MIG devices have no UUID her"]);
  assert.equal(gpus[2]?.details?.migCapable, true, "the driver made capabilities/gpu2/mig");
});

test("each GPU's nodes are /dev/nvidiaN and its DRM card and render nodes, with host paths under the root", (t) => {
  const host = simHost(t, "dgx-h100", false);
  const gpu3 = discoverNvidia(host).devices.find((x) => x.index === "3");
  assert.deepEqual(gpu3?.deviceNodes.map((n) => [n.path, n.type, n.major, n.minor, n.fileMode]), [
    ["/dev/nvidia3", "c", 195, 3, 0o666], ["/dev/dri/card3", "c", 226, 3, 0o666], ["/dev/dri/renderD131", "c", 226, 131, 0o666],
  ]);
  assert.equal(gpu3?.deviceNodes[0]?.hostPath, path.join(host.root, "dev/nvidia3"));
});

test("a MIG device's nodes are the parent GPU node and its GI and CI capability nodes", (t) => {
  const d = discoverNvidia(simHost(t, "dgx-h100", false));
  const mig = d.devices.find((x) => x.index === "0:1");
  assert.deepEqual(mig?.details, { gpuInstance: 1, computeInstance: 1, parentUuid: d.devices[0]?.uuid });
  assert.deepEqual(mig?.deviceNodes.map((n) => `${n.path} ${n.major}:${n.minor} ${n.fileMode?.toString(8)}`), [
    "/dev/nvidia0 195:0 666",
    `/dev/nvidia-caps/nvidia-cap${migGiMinor(0, 1)} 511:${migGiMinor(0, 1)} 444`,
    `/dev/nvidia-caps/nvidia-cap${migCiMinor(0, 1, 1)} 511:${migCiMinor(0, 1, 1)} 444`,
  ]);
});

test("as root the nodes are real character devices and discovery reads major/minor/mode with stat", { skip: process.getuid?.() !== 0 && "needs root" }, (t) => {
  const host = simHost(t, "dgx-h100", true);
  assert.ok(fs.statSync(host.hostPath("/dev/nvidia-uvm")).isCharacterDevice());
  const d = discoverNvidia(host);
  assert.deepEqual(d.controlNodes.map((n) => `${n.major}:${n.minor}`), ["195:255", "509:0", "509:1", "195:254"]);
  const cap = d.devices.find((x) => x.index === "1:2")?.deviceNodes[2];
  assert.deepEqual([cap?.major, cap?.minor, cap?.fileMode], [511, migCiMinor(1, 9, 0), 0o444]);
});

test("driver files are found through the tree's ld.so.cache, with SONAME link paths", (t) => {
  const d = discoverNvidia(simHost(t, "dgx-h100", false));
  const files = d.driverFiles;
  assert.ok(files);
  assert.equal(files.librarySource, "ld.so.cache + search paths"); // vdpau/ is not in ld.so.conf, like on real hosts
  const cuda = files.libraries.find((l) => l.soname === "libcuda.so.1");
  assert.deepEqual(cuda, { capability: "compute", path: "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15", soname: "libcuda.so.1", sonamePath: "/usr/lib/x86_64-linux-gnu/libcuda.so.1" });
  assert.equal(files.libraries.find((l) => l.soname === "libvdpau_nvidia.so.1")?.path, "/usr/lib/x86_64-linux-gnu/vdpau/libvdpau_nvidia.so.550.54.15");
  assert.deepEqual(files.binaries.map((b) => b.containerPath).sort(), ["/usr/bin/nvidia-cuda-mps-control", "/usr/bin/nvidia-cuda-mps-server", "/usr/bin/nvidia-debugdump", "/usr/bin/nvidia-ngx-updater", "/usr/bin/nvidia-persistenced", "/usr/bin/nvidia-smi"]);
  assert.deepEqual(files.firmware.map((f) => f.path), ["/lib/firmware/nvidia/550.54.15/gsp_ga10x.bin", "/lib/firmware/nvidia/550.54.15/gsp_tu10x.bin"]);
  assert.deepEqual(files.ipc.map((f) => f.containerPath), ["/run/nvidia-persistenced/socket"]);
});

test("a host without the NVIDIA driver gives no devices and a note, never an error", (t) => {
  const d = discoverNvidia(simHost(t, "empty", false));
  assert.deepEqual(d.devices, []);
  assert.match(d.notes.join(" "), /no NVIDIA driver/);
});

test("a missing control node is reported with the command that creates it", (t) => {
  const host = simHost(t, "dgx-h100", false);
  fs.rmSync(host.hostPath("/dev/nvidia-uvm"));
  const d = discoverNvidia(host);
  assert.ok(!d.controlNodes.some((n) => n.path === "/dev/nvidia-uvm"));
  assert.match(d.notes.join(" "), /\/dev\/nvidia-uvm.*create-device-nodes/);
});
