import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isActkError } from "../../core/errors.js";
import type { ContainerEdits } from "../../edits/container-edits.js";
import { resolveContainerEdits } from "../../edits/resolve.js";
import { HostRoot } from "../../host/host-root.js";
import { createSimHost } from "../../sim/create.js";
import type { CommonEditsRequest } from "../vendor.js";
import { NvidiaVendor } from "./index.js";
import { simDynamicMajors, simExtraMajors } from "./simulate.js";

const hookPath = "/usr/local/bin/actk-hook";

function simVendor(t: { after(fn: () => void): void }, nvidia: Record<string, unknown> = {}, tweak?: (root: string) => void): { vendor: NvidiaVendor; root: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nv-features-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, "host");
  createSimHost({ profile: "dgx-h100", dir: root, realDeviceNodes: false, vendorOptions: { nvidia } });
  tweak?.(root);
  return { vendor: new NvidiaVendor(new HostRoot(root)), root };
}

function edits(vendor: NvidiaVendor, request: Partial<CommonEditsRequest>, notes?: string[]): ContainerEdits {
  return vendor.commonEdits(vendor.discover(), { capabilities: [], options: [], ...request }, { hookPath, ...(notes ? { notes } : {}) });
}

const nodePaths = (e: ContainerEdits): string[] => (e.deviceNodes ?? []).map((n) => n.path);
const controlNodes = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"];

test("imexChannels=0,2 injects those channel nodes with the nvidia-caps-imex-channels major", (t) => {
  const { vendor, root } = simVendor(t);
  const e = edits(vendor, { options: ["imexChannels=0,2"] });
  const channels = (e.deviceNodes ?? []).filter((n) => n.path.startsWith("/dev/nvidia-caps-imex-channels/"));
  assert.deepEqual(channels, [0, 2].map((c) => ({
    path: `/dev/nvidia-caps-imex-channels/channel${c}`, hostPath: path.join(root, `dev/nvidia-caps-imex-channels/channel${c}`),
    type: "c", major: simDynamicMajors["nvidia-caps-imex-channels"], minor: c, fileMode: 0o666, permissions: "rwm",
  })));
});

test("an IMEX channel the host lacks is an error naming it and the channels that exist", (t) => {
  const { vendor } = simVendor(t);
  assert.throws(() => edits(vendor, { options: ["imexChannels=9"] }), (e: unknown) => {
    assert.ok(isActkError(e));
    assert.equal(e.exitCode, 4);
    assert.equal(e.place, "NVIDIA_IMEX_CHANNELS");
    assert.match(e.message, /channel9/);
    assert.match(e.fix ?? "", /0, 1, 2, 3/);
    return true;
  });
});

test("gated features inject their nodes when the host has them (gds also /run/udev and /etc/cufile.json)", (t) => {
  const { vendor, root } = simVendor(t, { extras: ["gds", "mofed", "gdrcopy", "nvswitch"] });
  const table: [string, string[], string[]][] = [
    ["gds", Array.from({ length: 16 }, (_, i) => `/dev/nvidia-fs${i}`), ["/run/udev", "/etc/cufile.json"]],
    ["mofed", ["/dev/infiniband/rdma_cm", ...Array.from({ length: 8 }, (_, i) => `/dev/infiniband/uverbs${i}`)], []],
    ["gdrcopy", ["/dev/gdrdrv"], []],
    ["nvswitch", ["/dev/nvidia-nvswitch0", "/dev/nvidia-nvswitch1", "/dev/nvidia-nvswitch2", "/dev/nvidia-nvswitch3", "/dev/nvidia-nvswitchctl"], []],
  ];
  for (const [option, nodes, mounts] of table) {
    const notes: string[] = [];
    const e = edits(vendor, { options: [option] }, notes);
    assert.deepEqual(nodePaths(e), [...controlNodes, ...nodes], option);
    assert.deepEqual((e.mounts ?? []).map((m) => m.containerPath), mounts, option);
    assert.deepEqual(notes, [], option);
  }
  const gdr = edits(vendor, { options: ["gdrcopy"] }).deviceNodes?.at(-1);
  assert.deepEqual(gdr, { path: "/dev/gdrdrv", hostPath: path.join(root, "dev/gdrdrv"), type: "c", major: simExtraMajors.gdrdrv, minor: 0, fileMode: 0o666, permissions: "rwm" });
  const gds = edits(vendor, { options: ["gds"] }).mounts?.find((m) => m.containerPath === "/etc/cufile.json");
  assert.deepEqual(gds, { hostPath: path.join(root, "etc/cufile.json"), containerPath: "/etc/cufile.json", options: ["ro", "nosuid", "nodev", "rbind", "rprivate"] });
});

test("a gated feature the host lacks adds nothing and says so in a note", (t) => {
  const { vendor } = simVendor(t);
  const notes: string[] = [];
  const e = edits(vendor, { options: ["gds", "mofed", "gdrcopy", "nvswitch"] }, notes);
  assert.deepEqual(nodePaths(e), controlNodes);
  assert.equal(e.mounts, undefined);
  assert.equal(notes.length, 4);
  assert.match(notes[0] ?? "", /^NVIDIA_GDS=enabled, but this host has no GPUDirect Storage devices \(\/dev\/nvidia-fs\*\)/);
  assert.match(notes[3] ?? "", /^NVIDIA_NVSWITCH=enabled/);
});

test("MIG config/monitor lists give the nvidia-cap1 / nvidia-cap2 nodes with the modes of their capability files", (t) => {
  const { vendor, root } = simVendor(t);
  const cap = (minor: number, mode: number) => ({
    path: `/dev/nvidia-caps/nvidia-cap${minor}`, hostPath: path.join(root, `dev/nvidia-caps/nvidia-cap${minor}`),
    type: "c", major: simDynamicMajors["nvidia-caps"], minor, fileMode: mode, permissions: "rwm",
  });
  const table: [Partial<CommonEditsRequest>, unknown[]][] = [
    [{ migConfigDevices: ["all"] }, [cap(1, 0o400)]],
    [{ migMonitorDevices: ["0", "1"] }, [cap(2, 0o444)]],
    [{ migConfigDevices: ["0"], migMonitorDevices: ["all"] }, [cap(1, 0o400), cap(2, 0o444)]],
    [{ migConfigDevices: null, migMonitorDevices: [] }, []],
  ];
  for (const [request, want] of table) {
    assert.deepEqual((edits(vendor, request).deviceNodes ?? []).slice(controlNodes.length), want, JSON.stringify(request));
  }
});

test("MIG management for an unknown GPU, or on a host without MIG support, is an error", (t) => {
  const { vendor } = simVendor(t);
  assert.throws(() => edits(vendor, { migConfigDevices: ["12"] }), /NVIDIA_MIG_CONFIG_DEVICES: unknown GPU "12"/);
  assert.throws(() => edits(vendor, { migMonitorDevices: ["0:1"] }), /unknown GPU "0:1"/);
  const noMig = simVendor(t, { mig: {} }, (root) => {
    fs.rmSync(path.join(root, "proc/driver/nvidia/capabilities/mig"), { recursive: true });
    fs.rmSync(path.join(root, "proc/driver/nvidia-caps/mig-minors"));
  });
  assert.throws(() => edits(noMig.vendor, { migConfigDevices: ["all"] }), (e: unknown) => {
    assert.ok(isActkError(e));
    assert.equal(e.exitCode, 4);
    assert.match(e.message, /not MIG capable/);
    return true;
  });
});

test("through resolve: NVIDIA_IMEX_CHANNELS and NVIDIA_MIG_CONFIG_DEVICES in a privileged container reach the edits", (t) => {
  const { vendor } = simVendor(t);
  const input = {
    env: ["NVIDIA_VISIBLE_DEVICES=2", "NVIDIA_IMEX_CHANNELS=1", "NVIDIA_MIG_CONFIG_DEVICES=all", "NVIDIA_GDS=enabled"],
    mounts: [], annotations: {}, privileged: true,
  };
  const r = resolveContainerEdits(input, [vendor], { hookPath });
  assert.deepEqual(r.errors, []);
  const paths = nodePaths(r.edits);
  for (const p of ["/dev/nvidia-caps-imex-channels/channel1", "/dev/nvidia-caps/nvidia-cap1", "/dev/nvidia2"]) assert.ok(paths.includes(p), p);
  assert.ok(!paths.includes("/dev/nvidia-caps/nvidia-cap2"));
  assert.ok(!paths.some((p) => p.startsWith("/dev/nvidia-fs")));
});
