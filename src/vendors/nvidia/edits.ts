/**
 * NVIDIA discovery → ContainerEdits. Pure over the discovery: device edits are
 * the device's own nodes; common edits are the control nodes and the driver
 * files for the requested capabilities as read-only bind mounts. Each library
 * is mounted at its real path and again at its SONAME link path, so the
 * container needs no create-symlinks hook; one createContainer hook runs
 * `actk-hook update-ldcache` with a fixed minimal environment (never the
 * container's).
 */
import path from "node:path";
import { mergeEdits, type ContainerEdits, type Hook, type Mount } from "../../edits/container-edits.js";
import type { CommonEditsRequest, Discovery, EditsOptions, VendorDevice } from "../vendor.js";
import { nvidiaFeatureEdits, type NvidiaFeatures } from "./features.js";
import type { DriverFiles } from "./libraries.js";
import { driverCapabilities, type DriverCapability } from "./libraries.js";
import { hostPathIn, type NvidiaDiscovery } from "./discover.js";

export const READ_ONLY_BIND = ["ro", "nosuid", "nodev", "rbind", "rprivate"] as const;
export const IPC_BIND = ["nosuid", "nodev", "rbind", "rprivate", "noexec"] as const;
export const HOOK_ENV = ["PATH=/usr/bin:/bin"] as const;

export function nvidiaDeviceEdits(device: VendorDevice, _discovery: Discovery): ContainerEdits {
  return device.deviceNodes.length ? { deviceNodes: device.deviceNodes.map((n) => ({ ...n })) } : {};
}

/** "all" (or an empty list meaning the driver default is already applied upstream) → every capability. */
export function effectiveCapabilities(capabilities: readonly string[]): Set<DriverCapability> {
  if (capabilities.includes("all")) return new Set(driverCapabilities);
  return new Set(capabilities.filter((c): c is DriverCapability => (driverCapabilities as readonly string[]).includes(c)));
}

/**
 * Control nodes, driver files for the capabilities, then the request's extras
 * (IMEX channels, gated feature modes, MIG management nodes) when `features`
 * and the request name any.
 */
export function nvidiaCommonEdits(
  discovery: NvidiaDiscovery, files: DriverFiles | undefined, request: CommonEditsRequest, opts: EditsOptions,
  features?: NvidiaFeatures,
): ContainerEdits {
  const base = driverEdits(discovery, files, request.capabilities, opts);
  if (!features) return base;
  const gpus = discovery.devices.filter((d) => d.parent === undefined);
  const extra = nvidiaFeatureEdits(features, request, gpus, opts.notes ?? [], (f) => ({
    hostPath: hostPathIn(discovery, f.path), containerPath: f.containerPath, options: [...READ_ONLY_BIND],
  }));
  return extra.deviceNodes || extra.mounts ? mergeEdits(base, extra) : base;
}

function driverEdits(discovery: NvidiaDiscovery, files: DriverFiles | undefined, capabilities: readonly string[], opts: EditsOptions): ContainerEdits {
  const caps = effectiveCapabilities(capabilities);
  const edits: ContainerEdits = {};
  if (discovery.controlNodes.length) edits.deviceNodes = discovery.controlNodes.map((n) => ({ ...n }));
  if (!files) return edits;
  const mounts: Mount[] = [];
  const seen = new Set<string>();
  const mount = (hostPath: string, containerPath: string, options: readonly string[]): void => {
    if (seen.has(containerPath)) return;
    seen.add(containerPath);
    mounts.push({ hostPath: hostPathIn(discovery, hostPath), containerPath, options: [...options] });
  };
  const libDirs: string[] = [];
  for (const lib of files.libraries) {
    // 32-bit builds come with compat32 and only for the capabilities asked for (compat32 + compute → 32-bit libcuda).
    if (!caps.has(lib.capability) || (lib.compat32 && !caps.has("compat32"))) continue;
    mount(lib.path, lib.path, READ_ONLY_BIND);
    if (lib.sonamePath) mount(lib.path, lib.sonamePath, READ_ONLY_BIND);
    const dir = path.posix.dirname(lib.sonamePath ?? lib.path);
    if (!libDirs.includes(dir)) libDirs.push(dir);
  }
  const wanted = (c: DriverCapability): boolean => caps.has(c);
  for (const f of files.binaries) if (wanted(f.capability)) mount(f.path, f.containerPath, READ_ONLY_BIND);
  for (const f of files.configs) if (wanted(f.capability)) mount(f.path, f.containerPath, READ_ONLY_BIND);
  // GSP firmware is read by the kernel driver, but tools in the container (nvidia-smi) check for it.
  if (caps.has("compute") || caps.has("utility")) for (const f of files.firmware) mount(f.path, f.containerPath, READ_ONLY_BIND);
  for (const f of files.ipc) {
    if (wanted(f.capability) || (f.capability === "utility" && caps.has("compute"))) mount(f.path, f.containerPath, IPC_BIND);
  }
  if (mounts.length) edits.mounts = mounts;
  if (libDirs.length) {
    const hook: Hook = {
      hookName: "createContainer",
      path: opts.hookPath,
      args: [path.posix.basename(opts.hookPath), "update-ldcache", ...libDirs.flatMap((d) => ["--folder", d])],
      env: [...HOOK_ENV],
    };
    edits.hooks = [hook];
  }
  return edits;
}
