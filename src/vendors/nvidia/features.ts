/**
 * Device nodes and files behind NVIDIA's per-request extras: IMEX channels
 * (NVIDIA_IMEX_CHANNELS → option `imexChannels=0,1`), the gated feature modes
 * GPUDirect Storage (`gds`), MOFED/RDMA (`mofed`), GDRCopy (`gdrcopy`) and
 * NVSwitch (`nvswitch`), and the MIG management capabilities
 * (NVIDIA_MIG_CONFIG_DEVICES / NVIDIA_MIG_MONITOR_DEVICES).
 *
 * `discoverNvidiaFeatures` reads the host once (part of discovery);
 * `nvidiaFeatureEdits` is pure over what it found. The node lists are the ones
 * the NVIDIA Container Toolkit's CDI modes inject (`pkg/nvcdi/{gds,mofed,gdrcopy,
 * nvswitch,lib-imex,lib-mig-caps}.go`, research notes §8.8).
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import type { ContainerEdits, DeviceNode, Mount } from "../../edits/container-edits.js";
import { inspectDeviceNode, splitRdev } from "../../host/device-node.js";
import type { HostRoot } from "../../host/host-root.js";
import type { DeviceRequest } from "../../request/types.js";
import type { VendorDevice } from "../vendor.js";
import { parseCapabilityFile } from "./information.js";

export const IMEX_CHANNEL_DIR = "/dev/nvidia-caps-imex-channels";
/** Channel ids NVIDIA accepts (`imex` mode: n ≤ 2^20 − 1, the minor range of a dynamic major). */
export const IMEX_MAX_CHANNEL = 2 ** 20 - 1;

export type GatedFeature = "gds" | "mofed" | "gdrcopy" | "nvswitch";

/** What each gated feature needs on the host, in words (for the note when it is absent). */
const featureText: Record<GatedFeature, { env: string; what: string; nodes: string; fix: string }> = {
  gds: { env: "NVIDIA_GDS", what: "GPUDirect Storage", nodes: "/dev/nvidia-fs*", fix: "load the nvidia-fs module (GDS package)" },
  mofed: { env: "NVIDIA_MOFED", what: "MOFED (RDMA)", nodes: "/dev/infiniband/uverbs*, /dev/infiniband/rdma_cm", fix: "load the MLNX_OFED / rdma-core modules (ib_uverbs, rdma_ucm)" },
  gdrcopy: { env: "NVIDIA_GDRCOPY", what: "GDRCopy", nodes: "/dev/gdrdrv", fix: "load the gdrdrv module" },
  nvswitch: { env: "NVIDIA_NVSWITCH", what: "NVSwitch", nodes: "/dev/nvidia-nvswitchctl, /dev/nvidia-nvswitch*", fix: "this host has no NVSwitch, or the driver did not create its nodes" },
};

export interface FeatureFile {
  /** As the host sees it, resolved. */
  path: string;
  containerPath: string;
}

export interface NvidiaFeatures {
  /** `/dev/nvidia-caps-imex-channels/channel<N>` nodes present on the host. */
  imexChannels: DeviceNode[];
  gds: DeviceNode[];
  /** /run/udev and /etc/cufile.json, mounted with the nvidia-fs nodes (as NVIDIA's gds mode does). */
  gdsFiles: FeatureFile[];
  mofed: DeviceNode[];
  gdrcopy: DeviceNode[];
  nvswitch: DeviceNode[];
  /** The MIG config (nvidia-cap1) and monitor (nvidia-cap2) capability nodes; absent on hosts without MIG support. */
  migConfig?: DeviceNode;
  migMonitor?: DeviceNode;
}

/** A device node that is on the host (a real char device or a simulated-host placeholder), else undefined. */
export function presentNode(host: HostRoot, p: string): DeviceNode | undefined {
  const st = host.stat(p);
  if (!st) return undefined;
  let numbers: { major: number; minor: number; mode: number };
  if (st.isCharacterDevice()) numbers = { ...splitRdev(st.rdev), mode: st.mode };
  else {
    const s = inspectDeviceNode(host, p);
    if (s.state !== "placeholder") return undefined;
    numbers = s;
  }
  const node: DeviceNode = { path: p, type: "c", major: numbers.major, minor: numbers.minor, fileMode: numbers.mode & 0o777, permissions: "rwm" };
  if (!host.isRealHost) node.hostPath = host.hostPath(p);
  if (st.isCharacterDevice() && st.gid !== 0) node.gid = st.gid;
  return node;
}

/** Entries of `dir` whose names match, as present nodes, in the directory's (numeric) order. */
function nodesIn(host: HostRoot, dir: string, names: RegExp, entries = host.readdir(dir)): DeviceNode[] {
  const out: DeviceNode[] = [];
  for (const e of entries) {
    if (e.isDirectory || !names.test(e.name)) continue;
    const n = presentNode(host, `${dir === "/" ? "" : dir}/${e.name}`);
    if (n) out.push(n);
  }
  return out;
}

/**
 * The MIG config/monitor capability node: minor (and mode) from
 * /proc/driver/nvidia/capabilities/mig/<cap>, else from mig-minors.
 */
function migCapNode(
  host: HostRoot, cap: "config" | "monitor", capsMajor: number | undefined, migMinors: () => ReadonlyMap<string, number>,
  node: (p: string, fallback: { major: number; minor: number; mode?: number }) => DeviceNode,
): DeviceNode | undefined {
  if (capsMajor === undefined) return undefined;
  const text = host.readTextIfExists(`/proc/driver/nvidia/capabilities/mig/${cap}`);
  const parsed = text ? parseCapabilityFile(text) : {};
  const minor = parsed.minor ?? migMinors().get(cap);
  if (minor === undefined) return undefined;
  return node(`/dev/nvidia-caps/nvidia-cap${minor}`, { major: capsMajor, minor, mode: parsed.mode ?? (cap === "config" ? 0o400 : 0o444) });
}

export function discoverNvidiaFeatures(
  host: HostRoot, capsMajor: number | undefined, migMinors: () => ReadonlyMap<string, number>,
  node: (p: string, fallback: { major: number; minor: number; mode?: number }) => DeviceNode,
): NvidiaFeatures {
  const dev = host.readdir("/dev");
  const has = (name: string): boolean => dev.some((e) => e.name === name);
  const gds = nodesIn(host, "/dev", /^nvidia-fs\d+$/, dev);
  const gdsFiles: FeatureFile[] = [];
  if (gds.length) {
    if (host.stat("/run/udev")?.isDirectory()) gdsFiles.push({ path: host.resolveRelative("/run/udev"), containerPath: "/run/udev" });
    if (host.stat("/etc/cufile.json")?.isFile()) gdsFiles.push({ path: host.resolveRelative("/etc/cufile.json"), containerPath: "/etc/cufile.json" });
  }
  const out: NvidiaFeatures = {
    imexChannels: has("nvidia-caps-imex-channels") ? nodesIn(host, IMEX_CHANNEL_DIR, /^channel\d+$/) : [],
    gds,
    gdsFiles,
    mofed: has("infiniband") ? nodesIn(host, "/dev/infiniband", /^(uverbs\d+|rdma_cm)$/) : [],
    gdrcopy: nodesIn(host, "/dev", /^gdrdrv$/, dev),
    nvswitch: nodesIn(host, "/dev", /^nvidia-nvswitch(ctl|\d+)$/, dev),
  };
  const config = migCapNode(host, "config", capsMajor, migMinors, node);
  const monitor = migCapNode(host, "monitor", capsMajor, migMinors, node);
  if (config) out.migConfig = config;
  if (monitor) out.migMonitor = monitor;
  return out;
}

export type FeatureRequest = Pick<DeviceRequest, "options"> & Partial<Pick<DeviceRequest, "migConfigDevices" | "migMonitorDevices">>;

/** `imexChannels=0,1` → ["0", "1"]; [] when the option is absent. */
export function imexChannelsOption(options: readonly string[]): string[] {
  const opt = options.find((o) => o.startsWith("imexChannels="));
  return opt ? opt.slice("imexChannels=".length).split(",").filter((s) => s !== "") : [];
}

/**
 * Edits for the request's extras. `gpus` are the host's full GPUs (for the
 * MIG device lists); `notes` gets one sentence per requested feature the host
 * lacks; `mountOf` makes the bind mount of a found file. Throws ActkError for an IMEX channel that is not on the host and for
 * MIG management on a host (or GPU) without MIG.
 */
export function nvidiaFeatureEdits(
  features: NvidiaFeatures, request: FeatureRequest, gpus: readonly VendorDevice[], notes: string[],
  mountOf: (f: FeatureFile) => Mount,
): ContainerEdits {
  const nodes: DeviceNode[] = [];
  const mounts: Mount[] = [];

  for (const id of imexChannelsOption(request.options)) {
    const p = `${IMEX_CHANNEL_DIR}/channel${id}`;
    if (!/^\d+$/.test(id) || Number(id) > IMEX_MAX_CHANNEL) {
      throw new ActkError(`invalid IMEX channel id "${id}"`, { place: "NVIDIA_IMEX_CHANNELS", exitCode: ExitCode.badInput, fix: `use channel numbers from 0 to ${IMEX_MAX_CHANNEL}` });
    }
    const found = features.imexChannels.find((n) => n.path === p);
    if (!found) {
      const have = features.imexChannels.map((n) => n.path.slice(IMEX_CHANNEL_DIR.length + "/channel".length));
      throw new ActkError(`IMEX channel ${id} is not on this host (no ${p})`, {
        place: "NVIDIA_IMEX_CHANNELS", exitCode: ExitCode.host,
        fix: have.length ? `request one of the channels that exist: ${have.join(", ")}` : "create the channel node (load nvidia with NVreg_CreateImexChannel0=1, or mknod it with the nvidia-caps-imex-channels major from /proc/devices)",
      });
    }
    nodes.push({ ...found });
  }

  for (const feature of ["gds", "mofed", "gdrcopy", "nvswitch"] as const) {
    if (!request.options.includes(feature)) continue;
    const found = features[feature];
    const t = featureText[feature];
    if (found.length === 0) {
      notes.push(`${t.env}=enabled, but this host has no ${t.what} devices (${t.nodes}), so nothing is added for it: ${t.fix}`);
      continue;
    }
    nodes.push(...found.map((n) => ({ ...n })));
    if (feature === "gds") for (const f of features.gdsFiles) mounts.push(mountOf(f));
  }

  const mig = (cap: "config" | "monitor", ids: readonly string[] | null | undefined): void => {
    if (!ids?.length) return;
    const place = cap === "config" ? "NVIDIA_MIG_CONFIG_DEVICES" : "NVIDIA_MIG_MONITOR_DEVICES";
    const node = cap === "config" ? features.migConfig : features.migMonitor;
    if (!node) {
      throw new ActkError(`cannot give MIG ${cap} access: this host is not MIG capable (no /proc/driver/nvidia/capabilities/mig/${cap} or no nvidia-caps major)`, {
        place, exitCode: ExitCode.host, fix: `unset ${place}, or run on a host whose GPUs support MIG`,
      });
    }
    for (const id of ids) {
      if (id === "all") continue;
      const gpu = gpus.find((g) => g.index === String(Number(id)) && /^\d+$/.test(id)) ??
        gpus.find((g) => g.uuid !== undefined && g.uuid.toLowerCase() === id.toLowerCase());
      if (!gpu) {
        throw new ActkError(`${place}: unknown GPU "${id}" (MIG ${cap} access is given per GPU: an index or a GPU-… UUID, or all)`, {
          place, exitCode: ExitCode.host, fix: `use one of: all, ${gpus.map((g) => g.index).join(", ")}`,
        });
      }
      if (gpu.details?.migCapable === false) {
        throw new ActkError(`${place}: GPU ${gpu.index} is not MIG capable`, { place, exitCode: ExitCode.host, fix: "list only MIG-capable GPUs, or all" });
      }
    }
    nodes.push({ ...node });
  };
  mig("config", request.migConfigDevices);
  mig("monitor", request.migMonitorDevices);

  const out: ContainerEdits = {};
  if (nodes.length) out.deviceNodes = nodes;
  if (mounts.length) out.mounts = mounts;
  return out;
}
