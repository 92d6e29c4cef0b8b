/**
 * Ascend devices and request options → ContainerEdits. Pure over an
 * AscendDiscovery: control nodes always; the driver files named by the mount
 * lists unless NODRV; every mount read-only, as Ascend's CDI mode does.
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import type { ContainerEdits, Mount } from "../../edits/container-edits.js";
import type { DeviceRequest } from "../../request/types.js";
import type { Discovery, VendorDevice } from "../vendor.js";
import { type AscendDiscovery, isAscendDiscovery } from "./discover.js";
import { checkListName, mountListDir, type ResolvedListEntry } from "./mount-list.js";

export const ascendMountOptions = ["ro", "nosuid", "nodev", "rbind", "rprivate"];

export interface AscendOptions {
  /** NODRV: no driver file mounts (device nodes still added). */
  noDriver: boolean;
  /** VIRTUAL: the request names vNPUs (/dev/vdavinci<N> → /dev/davinci<N>). */
  virtual: boolean;
  /** Mount list names, default ["base"]. */
  mounts: string[];
}

/** Request options ("NODRV", "VIRTUAL", "mounts=base,extra", repeated "mounts=x") → AscendOptions. */
export function ascendOptions(options: readonly string[]): AscendOptions {
  let noDriver = false;
  let virtual = false;
  let mounts: string[] | undefined;
  for (const raw of options) {
    const opt = raw.trim();
    const eq = opt.indexOf("=");
    const key = (eq < 0 ? opt : opt.slice(0, eq)).trim().toLowerCase();
    if (key === "nodrv") noDriver = true;
    else if (key === "virtual") virtual = true;
    else if (key === "mounts" && eq >= 0) {
      const names = opt.slice(eq + 1).split(",").map((n) => n.trim()).filter((n) => n !== "");
      mounts = [...(mounts ?? []), ...names];
    }
  }
  return { noDriver, virtual, mounts: [...new Set(mounts ?? ["base"])] };
}

function bindMount(e: ResolvedListEntry): Mount {
  return { hostPath: e.hostPath, containerPath: e.path, type: "bind", options: [...ascendMountOptions] };
}

export function ascendDeviceEdits(device: VendorDevice): ContainerEdits {
  return { deviceNodes: device.deviceNodes.map((n) => ({ ...n })) };
}

export function ascendCommonEdits(discovery: Discovery, request: Pick<DeviceRequest, "options">): ContainerEdits {
  const edits: ContainerEdits = {};
  if (discovery.controlNodes.length) edits.deviceNodes = discovery.controlNodes.map((n) => ({ ...n }));
  const opts = ascendOptions(request.options);
  if (opts.noDriver || !isAscendDiscovery(discovery)) return edits;
  const mounts = new Map<string, Mount>();
  for (const name of opts.mounts) {
    checkListName(name);
    // Own keys only: "constructor" or "toString" from the container must not find Object.prototype's.
    const lists = (discovery as AscendDiscovery).mountLists;
    const list = Object.hasOwn(lists, name) ? lists[name] : undefined;
    if (!list) {
      throw new ActkError(`mount list "${name}" does not exist`, {
        file: `${mountListDir}/${name}.list`, place: "ASCEND_RUNTIME_MOUNTS", exitCode: ExitCode.host,
        fix: `create the file, or ask for one of: ${Object.keys(discovery.mountLists).join(", ") || "(none installed)"}`,
      });
    }
    if ("error" in list) throw list.error;
    for (const e of list.entries) if (e.exists && !mounts.has(e.path)) mounts.set(e.path, bindMount(e));
  }
  for (const e of discovery.optionalMounts) if (!mounts.has(e.path)) mounts.set(e.path, bindMount(e));
  if (mounts.size) edits.mounts = [...mounts.values()];
  return edits;
}

const namedDevice = /^(?:Ascend(?:910|310B|310P|310)|npu)-(\d+)$/;

/** The devices a request selects, in request order, duplicates dropped. */
export function selectAscend(request: DeviceRequest, discovery: Discovery): VendorDevice[] {
  const { virtual } = ascendOptions(request.options);
  const pool = discovery.devices.filter((d) => (d.details?.virtual === true) === virtual);
  if (request.devices.length === 1 && request.devices[0]?.toLowerCase() === "all") return pool;
  const out: VendorDevice[] = [];
  const missing: string[] = [];
  for (const raw of request.devices) {
    const id = raw.trim();
    const index = namedDevice.exec(id)?.[1] ?? id;
    const found = pool.find((d) => d.index === String(Number(index)) && /^\d+$/.test(index));
    if (!found) missing.push(raw);
    else if (!out.includes(found)) out.push(found);
  }
  if (missing.length) {
    const what = virtual ? "vNPU" : "NPU";
    const have = pool.map((d) => d.index).join(", ") || "none";
    // The host lacks the device (exit 4), as for an unknown NVIDIA GPU: docs/exit-codes.md.
    throw new ActkError(`unknown Ascend ${what} ${missing.join(", ")}; this host has ${what}s: ${have}`, {
      place: "ASCEND_VISIBLE_DEVICES", exitCode: ExitCode.host,
      fix: `ask for ${what}s that exist (${virtual ? "/dev/vdavinci<N>" : "/dev/davinci<N>"} on the host)`,
    });
  }
  return out;
}

/** Chip family a named device list implies ("Ascend910" covers 910, 910B and 910_93, as Huawei's runtime does). */
function chipMatches(deviceType: string, chip: string): boolean {
  if (deviceType === "Ascend910") return chip.startsWith("Ascend910");
  return deviceType === chip;
}

/**
 * What the request needs from the host beyond its devices: named devices
 * (deviceType=Ascend910) must match the host's chip when it is known, and a
 * vNPU template (vnpu=vir04) needs DCMI to carve the vNPU, which actk does not do.
 */
export function checkAscendRequirements(request: Pick<DeviceRequest, "options">, discovery: Discovery): void {
  for (const opt of request.options) {
    const [key, value = ""] = opt.split("=", 2) as [string, string?];
    if (key === "deviceType" && isAscendDiscovery(discovery) && discovery.chip && !chipMatches(value, discovery.chip)) {
      throw new ActkError(`the request names ${value} devices but this host's NPUs are ${discovery.chip}`, {
        place: "ASCEND_VISIBLE_DEVICES", exitCode: ExitCode.failed,
        fix: `name the devices as ${discovery.chip.startsWith("Ascend910") ? "Ascend910" : discovery.chip}-<id>, or by plain ids`,
      });
    }
    if (key === "vnpu") {
      throw new ActkError(`creating a virtual NPU from template ${value} needs Huawei's DCMI library, which actk does not call`, {
        place: "ASCEND_VNPU_SPECS", exitCode: ExitCode.host,
        fix: "create the vNPU with npu-smi beforehand and request it with ASCEND_VISIBLE_DEVICES=<vnpu id> and ASCEND_RUNTIME_OPTIONS=VIRTUAL",
      });
    }
  }
}

export function ascendCdiDeviceNames(device: VendorDevice, strategy: string): string[] {
  switch (strategy) {
    case "index":
      return [device.index];
    case "type-index": {
      const chip = device.details?.chip;
      return typeof chip === "string" && device.details?.virtual !== true ? [`${chip}-${device.index}`] : [];
    }
    default:
      return [];
  }
}
