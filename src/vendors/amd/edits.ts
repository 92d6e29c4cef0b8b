/**
 * AMD GPUs → ContainerEdits, and device selection. A GPU is its card and
 * render nodes; every container with a GPU also gets /dev/kfd (ROCm compute).
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import type { ContainerEdits } from "../../edits/container-edits.js";
import type { DeviceRequest } from "../../request/types.js";
import type { Discovery, VendorDevice } from "../vendor.js";

export function amdDeviceEdits(device: VendorDevice): ContainerEdits {
  return { deviceNodes: device.deviceNodes.map((n) => ({ ...n })) };
}

export function amdCommonEdits(discovery: Discovery): ContainerEdits {
  return discovery.controlNodes.length ? { deviceNodes: discovery.controlNodes.map((n) => ({ ...n })) } : {};
}

/** "0x3F6C…" or a bare hex id longer than 8 digits (as ROCm's runtime accepts) → "0x3f6c…". */
function asUniqueId(id: string): string | undefined {
  const m = /^(?:0x([0-9a-f]+)|([0-9a-f]{9,}))$/i.exec(id);
  const hex = m?.[1] ?? m?.[2];
  return hex === undefined ? undefined : `0x${hex.toLowerCase().replace(/^0+(?=.)/, "")}`;
}

/** The GPUs a request selects (index, "all", unique id), in request order, duplicates dropped. */
export function selectAmd(request: DeviceRequest, discovery: Discovery): VendorDevice[] {
  if (request.devices.some((d) => d.trim().toLowerCase() === "all")) return [...discovery.devices];
  const out: VendorDevice[] = [];
  const missing: string[] = [];
  for (const raw of request.devices) {
    const id = raw.trim();
    const uid = /^\d+$/.test(id) ? undefined : asUniqueId(id);
    const found = uid !== undefined
      ? discovery.devices.find((d) => d.uuid === uid)
      : /^\d+$/.test(id) ? discovery.devices.find((d) => d.index === String(Number(id))) : undefined;
    if (!found) missing.push(raw);
    else if (!out.includes(found)) out.push(found);
  }
  if (missing.length) {
    const have = discovery.devices.map((d) => `${d.index} (${d.uuid ?? "no unique id"})`).join(", ") || "none";
    // The host lacks the device (exit 4), as for an unknown NVIDIA GPU: docs/exit-codes.md.
    throw new ActkError(`unknown AMD GPU ${missing.join(", ")}; this host has GPUs: ${have}`, {
      place: "AMD_VISIBLE_DEVICES", exitCode: ExitCode.host,
      fix: "ask for GPUs by index, by unique id (0x…), or all",
    });
  }
  return out;
}

export function amdCdiDeviceNames(device: VendorDevice, strategy: string): string[] {
  if (strategy === "index") return [device.index];
  if (strategy === "uuid") return device.uuid ? [device.uuid] : [];
  return [];
}
