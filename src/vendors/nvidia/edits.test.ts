import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HostRoot } from "../../host/host-root.js";
import { createSimHost } from "../../sim/create.js";
import type { Discovery } from "../vendor.js";
import type { ContainerEdits } from "../../edits/container-edits.js";
import { NvidiaVendor } from "./index.js";

let dir: string;
let root: string;
let vendor: NvidiaVendor;
let discovery: Discovery;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nv-edits-"));
  root = path.join(dir, "host");
  createSimHost({ profile: "dgx-h100", dir: root, realDeviceNodes: false });
  vendor = new NvidiaVendor(new HostRoot(root));
  discovery = vendor.discover();
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const hookPath = "/usr/local/bin/actk-hook";
const common = (capabilities: string[]): ContainerEdits => vendor.commonEdits(discovery, { capabilities, options: [] }, { hookPath });
const targets = (e: ContainerEdits): string[] => (e.mounts ?? []).map((m) => m.containerPath);

test("each capability mounts its own driver files (and the SONAME link paths)", () => {
  const table: [string, string[], string[]][] = [
    ["utility", ["/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.54.15", "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "/usr/bin/nvidia-smi", "/run/nvidia-persistenced/socket", "/lib/firmware/nvidia/550.54.15/gsp_ga10x.bin"], ["/usr/lib/x86_64-linux-gnu/libcuda.so.1"]],
    ["compute", ["/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libnvidia-ptxjitcompiler.so.1", "/usr/lib/x86_64-linux-gnu/libnvidia-nvvm.so.4", "/usr/bin/nvidia-cuda-mps-control", "/etc/OpenCL/vendors/nvidia.icd"], ["/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "/usr/bin/nvidia-smi"]],
    ["video", ["/usr/lib/x86_64-linux-gnu/libnvidia-encode.so.1", "/usr/lib/x86_64-linux-gnu/libnvcuvid.so.1", "/usr/lib/x86_64-linux-gnu/libnvidia-opticalflow.so.1", "/usr/lib/x86_64-linux-gnu/vdpau/libvdpau_nvidia.so.1"], ["/usr/lib/x86_64-linux-gnu/libcuda.so.1"]],
    ["graphics", ["/usr/lib/x86_64-linux-gnu/libEGL_nvidia.so.0", "/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0", "/usr/lib/x86_64-linux-gnu/libGLESv2_nvidia.so.2", "/usr/lib/x86_64-linux-gnu/libnvidia-glcore.so.550.54.15", "/usr/lib/x86_64-linux-gnu/libnvidia-eglcore.so.550.54.15", "/usr/lib/x86_64-linux-gnu/libnvidia-tls.so.550.54.15", "/usr/lib/x86_64-linux-gnu/libnvidia-glsi.so.550.54.15", "/usr/share/vulkan/icd.d/nvidia_icd.json", "/usr/share/glvnd/egl_vendor.d/10_nvidia.json", "/etc/vulkan/implicit_layer.d/nvidia_layers.json", "/usr/share/egl/egl_external_platform.d/15_nvidia_gbm.json"], ["/usr/lib/x86_64-linux-gnu/libcuda.so.1"]],
    ["display", ["/usr/lib/xorg/modules/drivers/nvidia_drv.so", "/usr/lib/xorg/modules/extensions/libglxserver_nvidia.so.550.54.15"], ["/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0"]],
    ["ngx", ["/usr/lib/x86_64-linux-gnu/libnvidia-ngx.so.1", "/usr/bin/nvidia-ngx-updater"], ["/usr/lib/x86_64-linux-gnu/libcuda.so.1"]],
  ];
  for (const [cap, present, absent] of table) {
    const got = targets(common([cap]));
    for (const p of present) assert.ok(got.includes(p), `${cap}: ${p} missing from ${got.join(" ")}`);
    for (const p of absent) assert.ok(!got.includes(p), `${cap}: ${p} should not be mounted`);
  }
});

test("library mounts are read-only binds from the host root, the SONAME path bound to the real file", () => {
  const e = common(["compute"]);
  const link = e.mounts?.find((m) => m.containerPath === "/usr/lib/x86_64-linux-gnu/libcuda.so.1");
  assert.deepEqual(link, {
    hostPath: path.join(root, "usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"),
    containerPath: "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
    options: ["ro", "nosuid", "nodev", "rbind", "rprivate"],
  });
  assert.ok(e.mounts?.every((m) => fs.existsSync(m.hostPath) && !fs.lstatSync(m.hostPath).isSymbolicLink()));
});

test("one createContainer hook runs update-ldcache for the library folders with a fixed minimal env", () => {
  assert.deepEqual(common(["compute", "video"]).hooks, [{
    hookName: "createContainer", path: hookPath,
    args: ["actk-hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu", "--folder", "/usr/lib/x86_64-linux-gnu/vdpau"],
    env: ["PATH=/usr/bin:/bin"],
  }]);
  assert.equal(common([]).hooks, undefined);
});

test("common edits always carry the control nodes; no capability means no mounts", () => {
  const e = common([]);
  assert.deepEqual(e.deviceNodes?.map((n) => n.path), ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"]);
  assert.equal(e.mounts, undefined);
  assert.ok(targets(common(["all"])).includes("/usr/lib/x86_64-linux-gnu/libnvidia-ngx.so.1"));
});

test("a discovery read back from JSON still gets its driver files (found again through the host)", () => {
  const plain = JSON.parse(JSON.stringify({ ...discovery, driverFiles: undefined, hostRoot: undefined })) as Discovery;
  assert.deepEqual(vendor.commonEdits(plain, { capabilities: ["compute"], options: [] }, { hookPath }), common(["compute"]));
});

test("device edits are the device's own nodes: GPU + DRM, or MIG caps + parent GPU", () => {
  const gpu = discovery.devices.find((d) => d.index === "2");
  const mig = discovery.devices.find((d) => d.index === "0:2");
  assert.ok(gpu && mig);
  assert.deepEqual(vendor.deviceEdits(gpu, discovery).deviceNodes?.map((n) => n.path), ["/dev/nvidia2", "/dev/dri/card2", "/dev/dri/renderD130"]);
  assert.deepEqual(vendor.deviceEdits(mig, discovery).deviceNodes?.map((n) => n.path), ["/dev/nvidia0", "/dev/nvidia-caps/nvidia-cap21", "/dev/nvidia-caps/nvidia-cap22"]);
});

test("requirements are checked against the driver, CUDA version and each GPU's compute capability", () => {
  const req = (requirements: string[]) => ({
    vendor: "nvidia", source: "env" as const, devices: ["all"], capabilities: [], requirements,
    migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [],
  });
  vendor.checkRequirements(req(["cuda>=12.4", "driver>=550", "arch>=9.0"]), discovery);
  assert.throws(() => vendor.checkRequirements(req(["cuda>=12.5"]), discovery), /cuda>=12\.5/);
});
