/**
 * Turn a parsed JSON/YAML value into a CdiSpec, strictly as the reference
 * library's parser does: unknown fields, wrong types and missing required
 * fields are errors. Each error names the field path, so the loader can map it
 * to a line and column.
 */
import type { ContainerEdits, DeviceNode, Hook, IntelRdt, Mount, NetDevice } from "../edits/container-edits.js";
import type { CdiDevice, CdiSpec } from "./spec.js";

export type FieldPath = (string | number)[];

export class DecodeError extends Error {
  constructor(message: string, readonly path: FieldPath, readonly atKey = false) {
    super(message);
  }
}

export function formatFieldPath(path: FieldPath): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s === "" ? p : `.${p}`;
  return s || "(top level)";
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function object(v: unknown, path: FieldPath, allowed: readonly string[], required: readonly string[], what: string): Obj {
  if (!isObject(v)) throw new DecodeError(`${formatFieldPath(path)} must be an object (${what})`, path);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      throw new DecodeError(`unknown field "${k}" in ${what}${path.length ? ` at ${formatFieldPath(path)}` : ""} (known: ${allowed.join(", ")})`, [...path, k], true);
    }
  }
  for (const k of required) {
    if (v[k] === undefined || v[k] === null) throw new DecodeError(`${what} is missing the required field "${k}"`, path);
  }
  return v;
}

function str(v: unknown, path: FieldPath): string {
  if (typeof v !== "string") throw new DecodeError(`${formatFieldPath(path)} must be a string`, path);
  return v;
}

function optStr(v: unknown, path: FieldPath): string | undefined {
  return v === undefined || v === null ? undefined : str(v, path);
}

function int(v: unknown, path: FieldPath, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new DecodeError(`${formatFieldPath(path)} must be an integer from ${min} to ${max}`, path);
  }
  return v;
}

function optInt(v: unknown, path: FieldPath, min: number, max: number): number | undefined {
  return v === undefined || v === null ? undefined : int(v, path, min, max);
}

function list<T>(v: unknown, path: FieldPath, item: (x: unknown, p: FieldPath) => T): T[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new DecodeError(`${formatFieldPath(path)} must be a list`, path);
  return v.map((x, i) => item(x, [...path, i]));
}

function stringMap(v: unknown, path: FieldPath): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new DecodeError(`${formatFieldPath(path)} must be a map of strings`, path);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = str(x, [...path, k]);
  return out;
}

const maxInt64 = Number.MAX_SAFE_INTEGER;
const maxUint32 = 0xffffffff;

/** Copies only defined fields, so a decoded spec serialises back without nulls. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function deviceNode(v: unknown, p: FieldPath): DeviceNode {
  const o = object(v, p, ["path", "hostPath", "type", "major", "minor", "fileMode", "permissions", "uid", "gid"], ["path"], "a device node");
  const type = optStr(o.type, [...p, "type"]);
  return defined({
    path: str(o.path, [...p, "path"]),
    hostPath: optStr(o.hostPath, [...p, "hostPath"]),
    type: type as DeviceNode["type"],
    major: optInt(o.major, [...p, "major"], -maxInt64, maxInt64),
    minor: optInt(o.minor, [...p, "minor"], -maxInt64, maxInt64),
    fileMode: optInt(o.fileMode, [...p, "fileMode"], 0, maxUint32),
    permissions: optStr(o.permissions, [...p, "permissions"]),
    uid: optInt(o.uid, [...p, "uid"], 0, maxUint32),
    gid: optInt(o.gid, [...p, "gid"], 0, maxUint32),
  });
}

function mount(v: unknown, p: FieldPath): Mount {
  const o = object(v, p, ["hostPath", "containerPath", "options", "type"], ["hostPath", "containerPath"], "a mount");
  return defined({
    hostPath: str(o.hostPath, [...p, "hostPath"]),
    containerPath: str(o.containerPath, [...p, "containerPath"]),
    options: list(o.options, [...p, "options"], str),
    type: optStr(o.type, [...p, "type"]),
  });
}

function hook(v: unknown, p: FieldPath): Hook {
  const o = object(v, p, ["hookName", "path", "args", "env", "timeout"], ["hookName", "path"], "a hook");
  return defined({
    hookName: str(o.hookName, [...p, "hookName"]) as Hook["hookName"],
    path: str(o.path, [...p, "path"]),
    args: list(o.args, [...p, "args"], str),
    env: list(o.env, [...p, "env"], str),
    timeout: optInt(o.timeout, [...p, "timeout"], -maxInt64, maxInt64),
  });
}

function intelRdt(v: unknown, p: FieldPath): IntelRdt | undefined {
  if (v === undefined || v === null) return undefined;
  const o = object(v, p, ["closID", "l3CacheSchema", "memBwSchema", "schemata", "enableMonitoring"], [], "intelRdt");
  if (o.enableMonitoring !== undefined && typeof o.enableMonitoring !== "boolean") {
    throw new DecodeError(`${formatFieldPath([...p, "enableMonitoring"])} must be true or false`, [...p, "enableMonitoring"]);
  }
  return defined({
    closID: optStr(o.closID, [...p, "closID"]),
    l3CacheSchema: optStr(o.l3CacheSchema, [...p, "l3CacheSchema"]),
    memBwSchema: optStr(o.memBwSchema, [...p, "memBwSchema"]),
    schemata: list(o.schemata, [...p, "schemata"], str),
    enableMonitoring: o.enableMonitoring as boolean | undefined,
  });
}

function netDevice(v: unknown, p: FieldPath): NetDevice {
  const o = object(v, p, ["hostInterfaceName", "name"], ["hostInterfaceName", "name"], "a net device");
  return { hostInterfaceName: str(o.hostInterfaceName, [...p, "hostInterfaceName"]), name: str(o.name, [...p, "name"]) };
}

export function decodeContainerEdits(v: unknown, p: FieldPath): ContainerEdits {
  const o = object(v ?? {}, p, ["env", "deviceNodes", "mounts", "hooks", "additionalGids", "intelRdt", "netDevices"], [], "containerEdits");
  return defined({
    env: list(o.env, [...p, "env"], str),
    deviceNodes: list(o.deviceNodes, [...p, "deviceNodes"], deviceNode),
    mounts: list(o.mounts, [...p, "mounts"], mount),
    hooks: list(o.hooks, [...p, "hooks"], hook),
    additionalGids: list(o.additionalGids, [...p, "additionalGids"], (x, q) => int(x, q, 0, maxUint32)),
    intelRdt: intelRdt(o.intelRdt, [...p, "intelRdt"]),
    netDevices: list(o.netDevices, [...p, "netDevices"], netDevice),
  });
}

function device(v: unknown, p: FieldPath): CdiDevice {
  const o = object(v, p, ["name", "annotations", "containerEdits"], ["name", "containerEdits"], "a device");
  return defined({
    name: str(o.name, [...p, "name"]),
    annotations: stringMap(o.annotations, [...p, "annotations"]),
    containerEdits: decodeContainerEdits(o.containerEdits, [...p, "containerEdits"]),
  });
}

export function decodeSpec(v: unknown): CdiSpec {
  const o = object(v, [], ["cdiVersion", "kind", "annotations", "devices", "containerEdits"], ["cdiVersion", "kind", "devices"], "a CDI spec");
  const devices = list(o.devices, ["devices"], device) ?? [];
  return defined({
    cdiVersion: str(o.cdiVersion, ["cdiVersion"]),
    kind: str(o.kind, ["kind"]),
    annotations: stringMap(o.annotations, ["annotations"]),
    devices,
    containerEdits: o.containerEdits === undefined || o.containerEdits === null ? undefined : decodeContainerEdits(o.containerEdits, ["containerEdits"]),
  });
}
