/**
 * Which discovered NVIDIA devices a request names. Forms, as NVIDIA accepts
 * them in NVIDIA_VISIBLE_DEVICES: "all", a GPU index ("3"), a MIG device
 * "G:I" (GPU index : MIG device index on that GPU), a GPU UUID ("GPU-…") and a
 * MIG UUID ("MIG-…", only known when the discovery source knows them).
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import type { DeviceRequest } from "../../request/types.js";
import type { Discovery, VendorDevice } from "../vendor.js";

/** `all`: every GPU not split into MIG devices, then every MIG device (NVIDIA's order). */
export function allSelectable(discovery: Discovery): VendorDevice[] {
  const parents = new Set(discovery.devices.filter((d) => d.parent !== undefined).map((d) => d.parent));
  const gpus = discovery.devices.filter((d) => d.parent === undefined && !parents.has(d.index));
  const migs = discovery.devices.filter((d) => d.parent !== undefined);
  return [...gpus, ...migs];
}

export function findNvidiaDevice(id: string, discovery: Discovery): VendorDevice | undefined {
  const t = id.trim();
  if (/^\d+$/.test(t)) return discovery.devices.find((d) => d.parent === undefined && d.index === String(Number(t)));
  const mig = /^(\d+):(\d+)$/.exec(t);
  if (mig) return discovery.devices.find((d) => d.parent !== undefined && d.index === `${Number(mig[1])}:${Number(mig[2])}`);
  if (/^(GPU|MIG)-/i.test(t)) return discovery.devices.find((d) => d.uuid?.toLowerCase() === t.toLowerCase());
  return undefined;
}

export function selectNvidiaDevices(request: DeviceRequest, discovery: Discovery): VendorDevice[] {
  if (request.devices.includes("all")) return allSelectable(discovery);
  const out: VendorDevice[] = [];
  for (const id of request.devices) {
    const found = findNvidiaDevice(id, discovery);
    if (!found) throw unknownDevice(id, discovery);
    if (!out.includes(found)) out.push(found);
  }
  return out;
}

function unknownDevice(id: string, discovery: Discovery): ActkError {
  const known = discovery.devices.map((d) => (d.uuid ? `${d.index} (${d.uuid})` : d.index));
  const form = /^(\d+|\d+:\d+|(GPU|MIG)-.+)$/i.test(id.trim()) ? "" : " (not an index, G:I MIG index or GPU-/MIG- UUID)";
  const nvmlNote = discovery.notes.find((n) => n.startsWith("NVML not used:"));
  const hint = /^MIG-/i.test(id) && discovery.source === "procfs"
    ? `; MIG UUIDs need NVML, which procfs discovery does not have${nvmlNote ? ` (${nvmlNote})` : ""}: name MIG devices as GPU:INDEX`
    : "";
  return new ActkError(`unknown NVIDIA device ${JSON.stringify(id)}${form}${hint}`, {
    place: "NVIDIA_VISIBLE_DEVICES",
    exitCode: ExitCode.host,
    fix: known.length ? `use one of: ${known.join(", ")}` : "this host has no NVIDIA devices (see `actk info`)",
  });
}
