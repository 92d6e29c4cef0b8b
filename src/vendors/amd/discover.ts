/**
 * AMD GPUs from the amdkfd topology and DRM sysfs only (no ROCm library):
 * each KFD node with a gpu_id and a render minor is a GPU; its card node is
 * found through its PCI device's drm/ directory. /dev/kfd is the shared
 * control node. Never throws for a host without AMD GPUs.
 */
import type { DeviceNode } from "../../edits/container-edits.js";
import { hostDeviceNode } from "../../host/device-node.js";
import type { HostRoot } from "../../host/host-root.js";
import type { Discovery, VendorDevice } from "../vendor.js";
import { amdModel, gfxTarget, kfdTopologyNodes, parseKfdProperties, pciBusId, prop } from "./kfd-topology.js";

/** DRM node names (card<N>, renderD<M>) of a PCI device, from its sysfs drm/ directory. */
function drmNames(host: HostRoot, busId: string, renderMinor: number): string[] {
  let names = host.readdir(`/sys/bus/pci/devices/${busId}/drm`).map((e) => e.name);
  if (!names.length) names = host.readdir(`/sys/class/drm/renderD${renderMinor}/device/drm`).map((e) => e.name);
  return names.filter((n) => /^card\d+$/.test(n) || /^renderD\d+$/.test(n));
}

export function discoverAmd(host: HostRoot): Discovery {
  const notes: string[] = [];
  const devices: VendorDevice[] = [];
  const nodes = host.readdir(kfdTopologyNodes).filter((e) => /^\d+$/.test(e.name));
  if (!nodes.length) {
    notes.push(`no ${kfdTopologyNodes}: no AMD GPU or the amdgpu driver is not loaded.`);
    return { vendor: "amd", source: "sysfs", devices, controlNodes: [], notes };
  }
  for (const n of nodes) {
    const dir = `${kfdTopologyNodes}/${n.name}`;
    const text = host.readTextIfExists(`${dir}/properties`);
    if (text === undefined) {
      notes.push(`${dir}/properties is missing; node ${n.name} skipped.`);
      continue;
    }
    const props = parseKfdProperties(text);
    const gpuId = Number(host.readTextIfExists(`${dir}/gpu_id`)?.trim() ?? "0");
    const renderMinor = prop(props, "drm_render_minor") ?? 0;
    // CPU-only nodes have gpu_id 0 and no render node (simd_count 0).
    if (!gpuId || renderMinor <= 0) continue;
    const busId = pciBusId(prop(props, "domain") ?? 0, prop(props, "location_id") ?? 0);
    const names = drmNames(host, busId, renderMinor);
    const render = `renderD${renderMinor}`;
    if (!names.includes(render)) names.push(render);
    const ordered = [...names.filter((x) => x.startsWith("card")), ...names.filter((x) => x.startsWith("renderD"))];
    const deviceNodes = ordered
      .map((name) => hostDeviceNode(host, `/dev/dri/${name}`, notes, { noteMissing: true }))
      .filter((x): x is DeviceNode => x !== undefined);
    const uniqueId = props.get("unique_id") ?? 0n;
    const deviceId = prop(props, "device_id") ?? 0;
    const target = gfxTarget(prop(props, "gfx_target_version") ?? 0);
    devices.push({
      vendor: "amd",
      kind: "amd.com/gpu",
      index: String(devices.length),
      uuid: uniqueId ? `0x${uniqueId.toString(16)}` : undefined,
      model: amdModel(deviceId),
      busId,
      deviceNodes,
      details: {
        kfdNode: Number(n.name), gpuId, renderMinor, deviceId: `0x${deviceId.toString(16).padStart(4, "0")}`,
        ...(target ? { gfxTarget: target } : {}),
      },
    });
  }
  const controlNodes: DeviceNode[] = [];
  if (devices.length) {
    const kfd = hostDeviceNode(host, "/dev/kfd", notes, { noteMissing: true });
    if (kfd) controlNodes.push(kfd);
  } else {
    notes.push("the KFD topology lists no GPU nodes.");
  }
  const version = host.readTextIfExists("/sys/module/amdgpu/version")?.trim();
  if (devices.length && !version) notes.push("/sys/module/amdgpu/version is missing (in-tree amdgpu); driver version unknown.");
  return { vendor: "amd", source: "sysfs", driverVersion: version || undefined, devices, controlNodes, notes };
}
