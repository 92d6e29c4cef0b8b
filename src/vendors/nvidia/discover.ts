/**
 * NVIDIA discovery from procfs, sysfs and /dev, all through the HostRoot
 * (`actk info` reports "source: procfs"; nvml.ts adds NVML's facts on top). GPUs come from
 * /proc/driver/nvidia/gpus/<bus>/information, ordered by PCI bus id like
 * NVML's indices; majors from /proc/devices; MIG instances from
 * /proc/driver/nvidia/capabilities/gpu<minor>/mig/gi<G>/ci<C>/access; the
 * driver version from /proc/driver/nvidia/version or libcuda.so.<version>;
 * driver files from ld.so.cache + search paths (libraries.ts).
 */
import path from "node:path";
import { splitRdev } from "../../host/device-node.js";
import type { HostRoot } from "../../host/host-root.js";
import { parseProcDevices } from "../../host/proc-devices.js";
import type { ContainerEdits, DeviceNode } from "../../edits/container-edits.js";
import { isActkError } from "../../core/errors.js";
import type { Discovery, VendorDevice } from "../vendor.js";
import { cudaVersionForDriver } from "./cuda-version.js";
import {
  defaultDriverSearchOptions, driverVersionFromLibraries, locateDriverFiles, readHostLdCache,
  type DriverFiles, type DriverSearchOptions,
} from "./libraries.js";
import type { LdCacheEntry } from "../../host/ldcache.js";
import { parseCapabilityFile, parseDriverVersionFile, parseGpuInformation, parseMigMinors, type GpuInformation } from "./information.js";
import { modelByName } from "./models.js";
import { discoverNvidiaFeatures, type NvidiaFeatures } from "./features.js";
import { discoverTegra } from "./tegra.js";
import { isTegra } from "../../host/tegra.js";
import type { NvidiaScope } from "./scope.js";

export const NVIDIA_VENDOR = "nvidia";
export const NVIDIA_GPU_KIND = "nvidia.com/gpu";
/** MIG devices are listed under this kind too (nvidia-mig.yaml), besides nvidia.com/gpu=G:I as nvidia-ctk names them. */
export const NVIDIA_MIG_KIND = "nvidia.com/mig";
const NVIDIACTL_MINOR = 255;
const NVIDIA_MODESET_MINOR = 254;
const DRM_MAJOR = 226;

export interface NvidiaDiscovery extends Discovery {
  /** The host root the paths were read under ("/" on a real host). */
  hostRoot: string;
  cudaVersion?: string;
  /** Majors from /proc/devices: nvidia (or nvidia-frontend), nvidia-uvm, nvidia-caps. */
  majors: Record<string, number>;
  /** Driver files by capability; absent when the driver version is unknown. */
  driverFiles?: DriverFiles;
  /** Tegra: the CSV lists' mounts (source "csv"), used instead of driverFiles. */
  csvEdits?: ContainerEdits;
  /** Nodes and files for IMEX channels, gated feature modes and MIG management (features.ts). */
  features?: NvidiaFeatures;
}

export function isNvidiaDiscovery(d: Discovery): d is NvidiaDiscovery {
  return d.vendor === NVIDIA_VENDOR && typeof (d as Partial<NvidiaDiscovery>).hostRoot === "string";
}

/**
 * A device node entry: type/major/minor/fileMode from stat when the host has
 * a real char device there, else from what the driver would have created.
 */
export function deviceNode(host: HostRoot, p: string, fallback: { major: number; minor: number; mode?: number }): DeviceNode {
  const st = host.stat(p);
  const node: DeviceNode = { path: p, type: "c", permissions: "rwm" };
  if (!host.isRealHost) node.hostPath = host.hostPath(p);
  if (st?.isCharacterDevice()) {
    const { major, minor } = splitRdev(st.rdev);
    Object.assign(node, { major, minor, fileMode: st.mode & 0o777 });
    if (st.gid !== 0) node.gid = st.gid;
  } else {
    Object.assign(node, { major: fallback.major, minor: fallback.minor, fileMode: fallback.mode ?? 0o666 });
  }
  return node;
}

/** "auto": CSV lists on a Tegra board without discrete GPUs, procfs otherwise; or one forced. */
export type NvidiaDiscoveryMode = "auto" | "procfs" | "csv";

/**
 * `scope`: read the nodes of the GPUs it names only (the others are listed, without them), MIG devices only of
 * GPUs it names a MIG device of, and the driver files of its capabilities only; no feature nodes (scope.ts).
 */
export function discoverNvidia(
  host: HostRoot, search: DriverSearchOptions = defaultDriverSearchOptions, mode: NvidiaDiscoveryMode = "auto", scope?: NvidiaScope,
): NvidiaDiscovery {
  const notes: string[] = [];
  const out: NvidiaDiscovery = {
    vendor: NVIDIA_VENDOR, source: "procfs", devices: [], controlNodes: [], notes, hostRoot: host.root, majors: {},
  };
  if (mode === "csv" || (mode === "auto" && isTegra(host) && host.readdir("/proc/driver/nvidia/gpus").length === 0)) {
    discoverTegra(host, out);
    return out;
  }
  const devicesText = host.readTextIfExists("/proc/devices");
  if (devicesText !== undefined) {
    try {
      const parsed = parseProcDevices(devicesText, host.hostPath("/proc/devices"));
      for (const name of ["nvidia", "nvidia-frontend", "nvidia-uvm", "nvidia-caps", "nvidia-caps-imex-channels"]) {
        const major = parsed.char.get(name);
        if (major !== undefined) out.majors[name] = major;
      }
    } catch (e) {
      notes.push(`ignored /proc/devices: ${isActkError(e) ? e.format() : String(e)}`);
    }
  } else {
    notes.push("no /proc/devices");
  }
  const nvidiaMajor = out.majors.nvidia ?? out.majors["nvidia-frontend"];

  const versionText = host.readTextIfExists("/proc/driver/nvidia/version");
  const gpuDirs = host.readdir("/proc/driver/nvidia/gpus").filter((e) => e.isDirectory);
  if (versionText === undefined && gpuDirs.length === 0 && nvidiaMajor === undefined) {
    notes.push("no NVIDIA driver is loaded (no /proc/driver/nvidia, no nvidia major in /proc/devices)");
    return out;
  }
  // ld.so.cache is read (and parsed) once, and only when the driver files or the version need it.
  let ldCache: { entries: LdCacheEntry[] | undefined; notes: string[] } | undefined;
  const cache = (): { entries: LdCacheEntry[] | undefined; notes: string[] } => {
    if (!ldCache) {
      const cacheNotes: string[] = [];
      ldCache = { entries: readHostLdCache(host, cacheNotes), notes: cacheNotes };
    }
    return ldCache;
  };
  const version = (versionText && parseDriverVersionFile(versionText)) || driverVersionFromLibraries(host, search, cache().entries);
  if (version) {
    out.driverVersion = version;
    const cuda = cudaVersionForDriver(version);
    if (cuda) out.cudaVersion = cuda;
  } else {
    notes.push("driver version unknown: /proc/driver/nvidia/version is missing and no libcuda.so.<version> was found");
  }
  if (nvidiaMajor === undefined) notes.push("/proc/devices has no nvidia or nvidia-frontend major; assuming 195");
  const major = nvidiaMajor ?? 195;

  const infos: GpuInformation[] = [];
  for (const d of gpuDirs) {
    const file = `/proc/driver/nvidia/gpus/${d.name}/information`;
    const text = host.readTextIfExists(file);
    if (text === undefined) {
      notes.push(`GPU ${d.name}: no information file`);
      continue;
    }
    try {
      infos.push(parseGpuInformation(text, host.hostPath(file)));
    } catch (e) {
      notes.push(`GPU ${d.name}: ${isActkError(e) ? e.format() : String(e)}`);
    }
  }
  // Bus ids are fixed-width lower-case hex: plain comparison is PCI order (and cheaper than localeCompare).
  infos.sort((a, b) => (a.busId < b.busId ? -1 : a.busId > b.busId ? 1 : 0));

  // mig-minors has ~4300 lines and is only a fallback for capability files without DeviceFileMinor: parse on demand.
  let migMinorsMap: Map<string, number> | undefined;
  const migMinors = (): ReadonlyMap<string, number> => {
    if (!migMinorsMap) {
      const text = host.readTextIfExists("/proc/driver/nvidia-caps/mig-minors");
      migMinorsMap = text ? parseMigMinors(text) : new Map<string, number>();
    }
    return migMinorsMap;
  };
  const capsMajor = out.majors["nvidia-caps"];

  if (scope) out.scoped = true;
  infos.forEach((info, i) => {
    if (info.excluded) notes.push(`GPU ${info.busId} is excluded by the driver (NVreg_ExcludedGpus)`);
    const index = String(i);
    if (scope && !scope.gpus.has(index) && !scope.gpus.has(info.uuid.toLowerCase())) {
      out.devices.push(listedGpu(info, index, []));
      return;
    }
    const gpuNode = deviceNode(host, `/dev/nvidia${info.minor}`, { major, minor: info.minor });
    const gpu = listedGpu(info, index, [gpuNode, ...drmNodes(host, info.busId)]);
    const details = gpu.details as Record<string, string | number | boolean>;
    // A whole GPU is selected alike with or without MIG devices: a scope reads them only when it names one.
    if (scope && !scope.migParents.has(index)) {
      out.devices.push(gpu);
      return;
    }
    const children = migDevices(host, info, index, gpuNode, capsMajor, migMinors, notes);
    details.migEnabled = children.length > 0;
    // The driver creates capabilities/gpu<minor>/mig only for GPUs that support MIG.
    details.migCapable = children.length > 0 || host.stat(`/proc/driver/nvidia/capabilities/gpu${info.minor}/mig`)?.isDirectory() === true;
    out.devices.push(gpu, ...children);
  });

  if (out.devices.some((d) => d.parent !== undefined)) {
    notes.push("MIG devices have no UUID here: procfs does not show MIG UUIDs (NVML does), so name them GPU:INDEX (0:1); the uuid naming strategy skips them");
  }

  const control: [string, number | undefined, number][] = [
    ["/dev/nvidiactl", major, NVIDIACTL_MINOR],
    ["/dev/nvidia-uvm", out.majors["nvidia-uvm"], 0],
    ["/dev/nvidia-uvm-tools", out.majors["nvidia-uvm"], 1],
    ["/dev/nvidia-modeset", major, NVIDIA_MODESET_MINOR],
  ];
  const missing: string[] = [];
  for (const [p, maj, minor] of control) {
    if (host.lstat(p) && maj !== undefined) out.controlNodes.push(deviceNode(host, p, { major: maj, minor }));
    else {
      missing.push(p);
      if (maj !== undefined) (out.missingNodes ??= []).push({ path: p, type: "c", major: maj, minor, fileMode: 0o666 });
    }
  }
  // Only requests with extras use the feature nodes; a scope has none (NvidiaVendor.commonEdits reads them when asked).
  if (!scope) out.features = discoverNvidiaFeatures(host, capsMajor, migMinors, (p, fallback) => deviceNode(host, p, fallback));
  if (missing.length) notes.push(`missing control nodes ${missing.join(", ")}: run \`actk system create-device-nodes --control-devices\``);

  if (version) {
    out.driverFiles = locateDriverFiles(host, version, search, cache(), scope?.capabilities);
    notes.push(...out.driverFiles.notes);
  }
  return out;
}

/** A GPU as procfs describes it, with its nodes. */
function listedGpu(info: GpuInformation, index: string, deviceNodes: DeviceNode[]): VendorDevice {
  const model = modelByName(info.model);
  const details: Record<string, string | number | boolean> = { minor: info.minor };
  if (info.videoBios) details.videoBios = info.videoBios;
  if (model) Object.assign(details, { architecture: model.architecture, computeCapability: model.computeCapability, brand: model.brand });
  return { vendor: NVIDIA_VENDOR, kind: NVIDIA_GPU_KIND, index, uuid: info.uuid, model: info.model, busId: info.busId, deviceNodes, details };
}

/** /dev/dri nodes of a GPU: the entries of /sys/bus/pci/devices/<bus>/drm. */
function drmNodes(host: HostRoot, busId: string): DeviceNode[] {
  const out: DeviceNode[] = [];
  for (const e of host.readdir(`/sys/bus/pci/devices/${busId}/drm`)) {
    const m = /^(card|renderD)(\d+)$/.exec(e.name);
    if (!m) continue;
    out.push(deviceNode(host, `/dev/dri/${e.name}`, { major: DRM_MAJOR, minor: Number(m[2]) }));
  }
  return out;
}

function migDevices(
  host: HostRoot, info: GpuInformation, gpuIndex: string, gpuNode: DeviceNode, capsMajor: number | undefined,
  migMinors: () => ReadonlyMap<string, number>, notes: string[],
): VendorDevice[] {
  const base = `/proc/driver/nvidia/capabilities/gpu${info.minor}/mig`;
  const gis = host.readdir(base).filter((e) => e.isDirectory && /^gi\d+$/.test(e.name));
  if (gis.length === 0) return [];
  if (capsMajor === undefined) {
    notes.push(`GPU ${gpuIndex} has MIG instances but /proc/devices has no nvidia-caps major; its MIG devices are left out`);
    return [];
  }
  const capNode = (rel: string): DeviceNode | undefined => {
    const text = host.readTextIfExists(`${base}/${rel}`);
    const parsed = text ? parseCapabilityFile(text) : {};
    const minor = parsed.minor ?? migMinors().get(`gpu${info.minor}/${rel}`);
    if (minor === undefined) return undefined;
    return deviceNode(host, `/dev/nvidia-caps/nvidia-cap${minor}`, { major: capsMajor, minor, mode: parsed.mode ?? 0o444 });
  };
  const out: VendorDevice[] = [];
  for (const gi of gis) {
    const giId = Number(gi.name.slice(2));
    const giNode = capNode(`${gi.name}/access`);
    const cis = host.readdir(`${base}/${gi.name}`).filter((e) => e.isDirectory && /^ci\d+$/.test(e.name));
    for (const ci of cis) {
      const ciNode = capNode(`${gi.name}/${ci.name}/access`);
      if (!giNode || !ciNode) {
        notes.push(`GPU ${gpuIndex} MIG ${gi.name}/${ci.name}: no capability minor; left out`);
        continue;
      }
      const index = `${gpuIndex}:${out.length}`;
      out.push({
        vendor: NVIDIA_VENDOR, kind: NVIDIA_GPU_KIND, aliasKinds: [NVIDIA_MIG_KIND], index, model: `${info.model} MIG`, busId: info.busId,
        parent: gpuIndex, deviceNodes: [gpuNode, giNode, ciNode],
        details: { gpuInstance: giId, computeInstance: Number(ci.name.slice(2)), parentUuid: info.uuid },
      });
    }
  }
  return out;
}

/** Hosts paths of a path read through `host`, for edits built from a discovery (kept pure). */
export function hostPathIn(discovery: NvidiaDiscovery, p: string): string {
  return discovery.hostRoot === "/" ? p : path.join(discovery.hostRoot, p);
}
