/**
 * Apply ContainerEdits to an OCI runtime spec the way the CDI reference
 * library does (container-device-interface pkg/cdi/container-edits.go, see
 * research cdi-and-vendors.md §A.8), in its order: env, device nodes and their
 * cgroup rules, net devices, mounts (then sorted by depth), hooks, intelRdt,
 * additional gids. Differences, on purpose: injected bind mounts always get
 * `rprivate,nosuid,nodev`; NVIDIA's legacy prestart hook is removed (so
 * `docker --gpus` plus actk does not inject twice); the spec is marked with an
 * annotation, and a marked spec is left alone, so a second pass is a no-op.
 *
 * Pure apart from `statHost` (injected; the default lstat's the host path),
 * which fills device type/major/minor the spec leaves out.
 */
import { lstatSync } from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import type { ContainerEdits, DeviceNode, HookName, Mount } from "../edits/container-edits.js";

/** Annotation set on every spec actk edited; its value is the mode ("jit", "cdi", "legacy", "csv"). */
export const editedAnnotation = "io.actk.edited";

/** Basenames of NVIDIA's legacy hooks that `docker --gpus` or nvidia-container-runtime insert. */
export const nvidiaHookNames = ["nvidia-container-runtime-hook", "nvidia-container-toolkit"];

/** Options every injected bind mount carries. */
export const bindMountOptions = ["rprivate", "nosuid", "nodev"];

// The OCI types are kept loose on purpose: unknown fields must survive a rewrite untouched.
export interface OciDevice {
  path: string;
  type: string;
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
  [k: string]: unknown;
}
export interface OciDeviceCgroup { allow: boolean; type?: string; major?: number; minor?: number; access?: string; [k: string]: unknown }
export interface OciMount { destination: string; source?: string; type?: string; options?: string[]; [k: string]: unknown }
export interface OciHook { path: string; args?: string[]; env?: string[]; timeout?: number; [k: string]: unknown }
export interface OciSpec {
  ociVersion?: string;
  process?: { env?: string[]; user?: { uid?: number; gid?: number; additionalGids?: number[]; [k: string]: unknown }; [k: string]: unknown };
  mounts?: OciMount[];
  hooks?: Partial<Record<HookName, OciHook[]>> & Record<string, unknown>;
  annotations?: Record<string, string>;
  linux?: {
    devices?: OciDevice[];
    resources?: { devices?: OciDeviceCgroup[]; [k: string]: unknown };
    intelRdt?: Record<string, unknown>;
    netDevices?: Record<string, { name?: string }>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface HostDeviceInfo {
  type: "c" | "b" | "p" | "u" | "other";
  major: number;
  minor: number;
  /** Permission bits. */
  mode: number;
}

export interface ApplyOptions {
  /** Value of the edited annotation (the mode). */
  mode: string;
  /** Host facts for a device node; undefined when the path does not exist. Default: lstat. */
  statHost?: (hostPath: string) => HostDeviceInfo | undefined;
}

export interface ApplyResult {
  /** False when the spec was already marked as edited (nothing was done). */
  changed: boolean;
  /** NVIDIA hooks removed (their paths). */
  removedHooks: string[];
}

const hookNames: readonly HookName[] = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];

/** Linux's major()/minor() of a dev_t (glibc's encoding). */
export function devMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}
export function devMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

export function lstatHostDevice(hostPath: string): HostDeviceInfo | undefined {
  let st;
  try {
    st = lstatSync(hostPath);
  } catch {
    return undefined;
  }
  const type = st.isCharacterDevice() ? "c" : st.isBlockDevice() ? "b" : st.isFIFO() ? "p" : "other";
  return { type, major: devMajor(st.rdev), minor: devMinor(st.rdev), mode: st.mode & 0o777 };
}

/** True when an edited annotation is present (a second pass must be a no-op). */
export function isEdited(spec: OciSpec): boolean {
  return spec.annotations?.[editedAnnotation] !== undefined;
}

/** Mutates `spec`. Throws ActkError (and leaves nothing half-applied the caller will write) on a bad device node. */
export function applyEdits(spec: OciSpec, edits: ContainerEdits, opts: ApplyOptions): ApplyResult {
  if (isEdited(spec)) return { changed: false, removedHooks: [] };
  const statHost = opts.statHost ?? lstatHostDevice;
  // Resolve every device first: an error must come before any change.
  const devices = (edits.deviceNodes ?? []).map((n) => completeDevice(n, statHost));

  const removedHooks = removeNvidiaHooks(spec);
  applyEnv(spec, edits.env ?? []);
  applyDevices(spec, devices);
  if (edits.netDevices?.length) {
    spec.linux ??= {};
    spec.linux.netDevices ??= {};
    for (const d of edits.netDevices) spec.linux.netDevices[d.hostInterfaceName] = { name: d.name };
  }
  if (edits.mounts?.length) applyMounts(spec, edits.mounts);
  for (const h of edits.hooks ?? []) {
    if (!hookNames.includes(h.hookName)) {
      throw new ActkError(`unknown hook name "${h.hookName}"`, { exitCode: ExitCode.badInput, fix: `use one of ${hookNames.join(", ")}` });
    }
    spec.hooks ??= {};
    const list = (spec.hooks[h.hookName] ??= []);
    const hook: OciHook = { path: h.path };
    if (h.args?.length) hook.args = [...h.args];
    if (h.env?.length) hook.env = [...h.env];
    if (h.timeout !== undefined) hook.timeout = h.timeout;
    list.push(hook);
  }
  if (edits.intelRdt) {
    spec.linux ??= {};
    spec.linux.intelRdt = { ...edits.intelRdt };
  }
  const gids = (edits.additionalGids ?? []).filter((g) => g !== 0);
  if (gids.length) {
    spec.process ??= {};
    spec.process.user ??= {};
    const list = (spec.process.user.additionalGids ??= []);
    for (const g of gids) if (!list.includes(g)) list.push(g);
  }
  spec.annotations = { ...(spec.annotations ?? {}), [editedAnnotation]: opts.mode };
  return { changed: true, removedHooks };
}

function removeNvidiaHooks(spec: OciSpec): string[] {
  const prestart = spec.hooks?.prestart;
  if (!prestart?.length) return [];
  const removed = prestart.filter((h) => nvidiaHookNames.includes(path.posix.basename(h.path)));
  if (removed.length && spec.hooks) spec.hooks.prestart = prestart.filter((h) => !removed.includes(h));
  return removed.map((h) => h.path);
}

function applyEnv(spec: OciSpec, env: readonly string[]): void {
  if (!env.length) return;
  spec.process ??= {};
  const list = (spec.process.env ??= []);
  for (const entry of env) {
    const key = entry.split("=", 1)[0] as string;
    const i = list.findIndex((e) => e === key || e.startsWith(key + "="));
    if (i >= 0) list[i] = entry;
    else list.push(entry);
  }
}

interface CompleteDevice {
  node: DeviceNode;
  type: "c" | "b" | "u" | "p";
  major: number;
  minor: number;
  fileMode?: number;
}

/** CDI's "minimally specified" rule: type set and (major ≠ 0 or a fifo); otherwise fill from the host. */
function completeDevice(node: DeviceNode, statHost: (p: string) => HostDeviceInfo | undefined): CompleteDevice {
  const hostPath = node.hostPath ?? node.path;
  const minimal = node.type !== undefined && (node.major !== undefined && node.major !== 0 || node.type === "p");
  let type = node.type;
  let major = node.major ?? 0;
  let minor = node.minor ?? 0;
  let fileMode = node.fileMode;
  const host = minimal && fileMode !== undefined ? undefined : statHost(hostPath);
  if (!minimal) {
    if (!host) {
      throw new ActkError(`device node ${node.path}: ${hostPath} does not exist on the host and the edit gives no type/major/minor`, {
        file: hostPath, exitCode: ExitCode.host, unchanged: true,
        fix: "load the driver (or regenerate the CDI spec with `actk cdi generate`)",
      });
    }
    if (host.type === "other") {
      throw new ActkError(`device node ${node.path}: ${hostPath} is not a device node`, {
        file: hostPath, exitCode: ExitCode.host, unchanged: true, fix: "point the edit at the device node itself, not a symlink or file",
      });
    }
    if (type !== undefined && type !== host.type) {
      throw new ActkError(`device node ${node.path}: the edit says type "${type}" but ${hostPath} is type "${host.type}"`, {
        file: hostPath, exitCode: ExitCode.badInput, unchanged: true, fix: "correct the type in the spec or regenerate it",
      });
    }
    type = host.type;
    if (type !== "p" && major === 0) {
      major = host.major;
      minor = host.minor;
    }
  }
  if (fileMode === undefined && host) fileMode = host.mode;
  return { node, type: type as CompleteDevice["type"], major, minor, fileMode };
}

function applyDevices(spec: OciSpec, devices: readonly CompleteDevice[]): void {
  if (!devices.length) return;
  spec.linux ??= {};
  const list = (spec.linux.devices ??= []);
  const user = spec.process?.user;
  for (const d of devices) {
    const dev: OciDevice = { path: d.node.path, type: d.type, major: d.major, minor: d.minor };
    if (d.fileMode !== undefined) dev.fileMode = d.fileMode;
    const uid = d.node.uid ?? (user?.uid && user.uid > 0 ? user.uid : undefined);
    const gid = d.node.gid ?? (user?.gid && user.gid > 0 ? user.gid : undefined);
    if (uid !== undefined) dev.uid = uid;
    if (gid !== undefined) dev.gid = gid;
    const i = list.findIndex((o) => o.path === dev.path);
    if (i >= 0) list.splice(i, 1);
    list.push(dev);
    if (d.type === "b" || d.type === "c") {
      spec.linux.resources ??= {};
      const rules = (spec.linux.resources.devices ??= []);
      const access = d.node.permissions === undefined || d.node.permissions === "" ? "rwm" : d.node.permissions === "none" ? "" : d.node.permissions;
      rules.push({ allow: true, type: d.type, major: d.major, minor: d.minor, access });
    }
  }
}

function isBind(m: Mount): boolean {
  return m.type === "bind" || (m.options ?? []).some((o) => o === "bind" || o === "rbind");
}

function applyMounts(spec: OciSpec, mounts: readonly Mount[]): void {
  const list = (spec.mounts ??= []);
  for (const m of mounts) {
    const options = [...(m.options ?? [])];
    if (m.type === undefined || isBind(m)) {
      if (!options.includes("bind") && !options.includes("rbind")) options.push("bind");
      for (const o of bindMountOptions) if (!options.includes(o)) options.push(o);
    }
    const mount: OciMount = { destination: m.containerPath, source: m.hostPath };
    mount.type = m.type ?? "bind";
    mount.options = options;
    const i = list.findIndex((o) => o.destination === m.containerPath);
    if (i >= 0) list.splice(i, 1);
    list.push(mount);
  }
  // Parents before children: a stable sort by the number of components.
  const depth = (m: OciMount): number => path.posix.normalize(m.destination).split("/").length;
  spec.mounts = list.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i).map((x) => x.m);
}
