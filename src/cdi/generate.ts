/**
 * Build CDI specs from the vendor plugins: discover, then per device the names
 * of every requested naming strategy with that device's edits, spec-level
 * edits for every capability the vendor has, and an `all` device. The result
 * uses the lowest cdiVersion its content allows, so the oldest engines read it.
 *
 * Vendors are given to us (from the registry); this module never imports a
 * vendor folder, and it adds no hooks of its own.
 */
import { createHash } from "node:crypto";
import { ActkError, ExitCode } from "../core/errors.js";
import type { ContainerEdits, DeviceNode } from "../edits/container-edits.js";
import { isEmptyEdits, mergeEdits } from "../edits/container-edits.js";
import type { HostRoot } from "../host/host-root.js";
import { isWithin } from "../host/path-in-root.js";
import type { Discovery, Vendor, VendorDevice } from "../vendors/vendor.js";
import { classNameError, deviceNameError, kindError, parseKind, vendorNameError } from "./names.js";
import type { CdiDevice, CdiSpec } from "./spec.js";
import { compareCdiVersions } from "./spec.js";
import { chooseCdiVersion } from "./version.js";
import { specFileBaseName } from "./write.js";

export const deviceNameStrategies = ["index", "uuid", "type-index"] as const;
export const defaultStrategies = ["index", "uuid"];

/**
 * What commonEdits is asked for in a spec: every capability. Vendors expand
 * "all" to the capabilities they support (NVIDIA: the seven driver
 * capabilities), the same as NVIDIA_DRIVER_CAPABILITIES=all.
 */
export const allCapabilitiesRequest = { capabilities: ["all"], options: [] as string[] };

export const annotationKeys = {
  generatedBy: "actk.io/generated-by",
  command: "actk.io/generate-command",
  hostRoot: "actk.io/host-root",
  driverVersion: "actk.io/driver-version",
  contentHash: "actk.io/content-hash",
} as const;

export type AnnotationMode = "auto" | "always" | "never";

export interface GenerateOptions {
  /** Naming strategies, in order (default index, uuid). */
  strategies: readonly string[];
  /** Override of the vendor part of the kind ("example.com"). */
  kindVendor?: string;
  /** Override of the class part of the kind ("gpu"). */
  kindClass?: string;
  /** "minimum" or x.y.z. */
  cdiVersion: string;
  /** actk-hook's absolute path, passed to vendors for the few edits that need a hook. */
  hookPath: string;
  /** The host the vendors discovered (hostPaths are made to point under it). */
  host: HostRoot;
  /** Where device nodes are on the host, when not under `host` (--dev-root). */
  devRoot?: HostRoot;
  /** auto: annotate only when the content needs cdiVersion ≥ 0.6.0 anyway (annotations need 0.6.0). */
  annotations: AnnotationMode;
  /** Add an `all` device (default true). */
  allDevice?: boolean;
  /**
   * Build the specs of alias kinds (nvidia.com/mig; default true). False where they would be dropped
   * anyway (a spec printed or written to one file), so they are not built for nothing.
   */
  aliasKinds?: boolean;
  /** The canonical command line that repeats this generation (recorded in the spec). */
  command: string;
  /** actk's version, recorded in the spec. */
  actkVersion: string;
}

export interface GeneratedSpec {
  vendor: string;
  kind: string;
  /** File name without extension: `<vendor id>-<class>`. */
  baseName: string;
  spec: CdiSpec;
  /**
   * True for a kind that only holds devices listed under it through `aliasKinds` (nvidia.com/mig): it
   * repeats devices of the vendor's main spec, so it is written only as its own file in a directory.
   */
  alias?: boolean;
  /** Comment lines for YAML output (the generation record, also when annotations are left out). */
  header: string[];
  driverVersion?: string;
}

export interface GenerateResult {
  specs: GeneratedSpec[];
  /** Why a vendor produced no spec, and discovery notes, one sentence each. */
  notes: string[];
}

function uniqueBy<T>(items: readonly T[] | undefined, key: (x: T) => string): T[] | undefined {
  if (!items?.length) return undefined;
  const seen = new Set<string>();
  return items.filter((x) => {
    const k = key(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The same edits without duplicates (by full identity); gids sorted. */
export function simplifyEdits(e: ContainerEdits): ContainerEdits {
  const out: ContainerEdits = {};
  const env = uniqueBy(e.env, (x) => x);
  if (env) out.env = env;
  const nodes = uniqueBy(e.deviceNodes, (x) => JSON.stringify(x));
  if (nodes) out.deviceNodes = nodes;
  const mounts = uniqueBy(e.mounts, (x) => JSON.stringify(x));
  if (mounts) out.mounts = mounts;
  const hooks = uniqueBy(e.hooks, (x) => JSON.stringify(x));
  if (hooks) out.hooks = hooks;
  if (e.additionalGids?.length) out.additionalGids = [...new Set(e.additionalGids)].sort((a, b) => a - b);
  if (e.intelRdt) out.intelRdt = e.intelRdt;
  const net = uniqueBy(e.netDevices, (x) => JSON.stringify(x));
  if (net) out.netDevices = net;
  return out;
}

/** Device edits minus what the spec-level edits already give, unless that leaves nothing (as NVIDIA does). */
function withoutCommon(e: ContainerEdits, common: CommonIndex): ContainerEdits {
  const out: ContainerEdits = { ...e };
  const keep = <K extends "env" | "deviceNodes" | "mounts" | "hooks">(k: K): void => {
    const list = e[k] as unknown[] | undefined;
    if (!list) return;
    const left = list.filter((x) => !common.has(`${k}:${typeof x === "string" ? x : JSON.stringify(x)}`));
    if (left.length) (out as Record<string, unknown>)[k] = left;
    else delete out[k];
  };
  keep("env");
  keep("deviceNodes");
  keep("mounts");
  keep("hooks");
  return isEmptyEdits(out) ? e : out;
}

type CommonIndex = Set<string>;

function indexEdits(e: ContainerEdits): CommonIndex {
  const set: CommonIndex = new Set();
  for (const k of ["env", "deviceNodes", "mounts", "hooks"] as const) {
    for (const x of (e[k] ?? []) as unknown[]) set.add(`${k}:${typeof x === "string" ? x : JSON.stringify(x)}`);
  }
  return set;
}

/**
 * Host paths under the host root (and device nodes under the dev root), container
 * paths as the host knows them. Vendors may give host paths either way; paths
 * already under the root stay as they are.
 */
export function rootHostPaths(e: ContainerEdits, host: HostRoot, devRoot: HostRoot = host): ContainerEdits {
  if (host.isRealHost && devRoot.isRealHost) return e;
  const out: ContainerEdits = { ...e };
  if (e.deviceNodes) {
    out.deviceNodes = e.deviceNodes.map((n): DeviceNode => {
      let hp = n.hostPath || n.path;
      // The discovery root first: it may lie inside the dev root (--driver-root under --host-root).
      if (!host.isRealHost && isWithin(host.root, hp)) hp = "/" + hp.slice(host.root.length).replace(/^\/+/, "");
      else if (!devRoot.isRealHost && isWithin(devRoot.root, hp)) return { ...n, hostPath: hp };
      const mapped = devRoot.hostPath(hp);
      const node: DeviceNode = { ...n, hostPath: mapped };
      if (mapped === n.path) delete node.hostPath;
      return node;
    });
  }
  if (e.mounts && !host.isRealHost) {
    out.mounts = e.mounts.map((m) => (isWithin(host.root, m.hostPath) ? m : { ...m, hostPath: host.hostPath(m.hostPath) }));
  }
  return out;
}

/**
 * Canonical JSON (sorted keys) for the content hash. `done` holds the text of objects already written:
 * devices share edits objects (one per device for all its names), which are then written once.
 */
function canonical(v: unknown, done: Map<object, string>): string {
  if (!v || typeof v !== "object") return JSON.stringify(v);
  let text = done.get(v);
  if (text === undefined) {
    text = Array.isArray(v)
      ? `[${v.map((x) => canonical(x, done)).join(",")}]`
      : `{${Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x, done)}`).join(",")}}`;
    done.set(v, text);
  }
  return text;
}

/** sha256 over kind, devices and edits (not version or annotations), to spot hand edits later. */
export function contentHash(spec: CdiSpec): string {
  const body = { kind: spec.kind, devices: spec.devices.map((d) => ({ name: d.name, containerEdits: d.containerEdits })), containerEdits: spec.containerEdits ?? {} };
  return "sha256:" + createHash("sha256").update(canonical(body, new Map())).digest("hex");
}

function kindFor(vendor: Vendor, device: VendorDevice, byIndex: Map<string, VendorDevice>, opts: GenerateOptions): string {
  // Partitions (MIG "0:1") live in their parent's spec, as NVIDIA names them nvidia.com/gpu=0:1.
  const own = device.parent !== undefined ? (byIndex.get(device.parent)?.kind ?? device.kind) : device.kind;
  const parsed = parseKind(own);
  const vendorPart = opts.kindVendor ?? (parsed.vendor || vendor.cdiVendor);
  const classPart = opts.kindClass ?? parsed.class;
  return `${vendorPart}/${classPart}`;
}

export function checkGenerateOptions(opts: GenerateOptions): void {
  for (const s of opts.strategies) {
    if (!(deviceNameStrategies as readonly string[]).includes(s)) {
      throw new ActkError(`invalid device name strategy "${s}"`, { place: "--device-name-strategy", exitCode: ExitCode.usage, fix: `use one or more of ${deviceNameStrategies.join(", ")}` });
    }
  }
  if (opts.strategies.length === 0) throw new ActkError("no device name strategy given", { place: "--device-name-strategy", exitCode: ExitCode.usage, fix: "use index, uuid or type-index" });
  const ve = opts.kindVendor !== undefined ? vendorNameError(opts.kindVendor) : undefined;
  if (ve) throw new ActkError(ve, { place: "--vendor-kind", exitCode: ExitCode.usage, fix: "use a vendor like example.com" });
  const ce = opts.kindClass !== undefined ? classNameError(opts.kindClass) : undefined;
  if (ce) throw new ActkError(ce, { place: "--class", exitCode: ExitCode.usage, fix: "use a class like gpu" });
}

function specsForVendor(vendor: Vendor, discovery: Discovery, opts: GenerateOptions): GeneratedSpec[] {
  const byIndex = new Map(discovery.devices.map((d) => [d.index, d]));
  const groups = new Map<string, { devices: CdiDevice[]; raw: ContainerEdits[] }>();
  const overridden = opts.kindVendor !== undefined || opts.kindClass !== undefined;
  const mainKinds = new Set<string>();
  for (const device of discovery.devices) {
    const kinds = [kindFor(vendor, device, byIndex, opts)];
    mainKinds.add(kinds[0] as string);
    // Extra kinds a vendor lists the device under too (nvidia.com/mig); one kind when the user names it.
    if (!overridden && opts.aliasKinds !== false) for (const k of device.aliasKinds ?? []) if (!kinds.includes(k)) kinds.push(k);
    const edits = simplifyEdits(rootHostPaths(vendor.deviceEdits(device, discovery), opts.host, opts.devRoot));
    for (const kind of kinds) {
      const group = groups.get(kind) ?? { devices: [], raw: [] };
      groups.set(kind, group);
      if (isEmptyEdits(edits)) continue; // a device without edits would make engines reject the whole file
      group.raw.push(edits);
      for (const strategy of opts.strategies) {
        for (const given of vendor.cdiDeviceNames(device, strategy)) {
          const name = given.includes("=") ? given.slice(given.indexOf("=") + 1) : given;
          const err = deviceNameError(name);
          if (err) throw new ActkError(`vendor ${vendor.id} gave an invalid CDI device name for device ${device.index}: ${err}`, { exitCode: ExitCode.internal });
          if (!group.devices.some((d) => d.name === name)) group.devices.push({ name, containerEdits: edits });
        }
      }
    }
  }
  const common = simplifyEdits(rootHostPaths(vendor.commonEdits(discovery, allCapabilitiesRequest, { hookPath: opts.hookPath }), opts.host, opts.devRoot));
  const out: GeneratedSpec[] = [];
  for (const [kind, group] of groups) {
    if (group.devices.length === 0) continue;
    const ke = kindError(kind);
    if (ke) throw new ActkError(`the kind "${kind}" for vendor ${vendor.id} is invalid: ${ke}`, { place: "--vendor-kind/--class", exitCode: ExitCode.usage, fix: "choose a vendor like example.com and a class like gpu" });
    const commonIndex = indexEdits(common);
    const stripped = new Map<ContainerEdits, ContainerEdits>();
    const strip = (e: ContainerEdits): ContainerEdits => {
      let r = stripped.get(e);
      if (!r) stripped.set(e, (r = withoutCommon(e, commonIndex)));
      return r;
    };
    const devices = group.devices.map((d) => ({ name: d.name, containerEdits: strip(d.containerEdits) }));
    if ((opts.allDevice ?? true) && !devices.some((d) => d.name === "all")) {
      devices.push({ name: "all", containerEdits: withoutCommon(simplifyEdits(mergeEdits(...group.raw)), commonIndex) });
    }
    const spec: CdiSpec = { cdiVersion: "", kind, devices, ...(isEmptyEdits(common) ? {} : { containerEdits: common }) };
    const generated = finish(vendor, spec, discovery, opts);
    if (!mainKinds.has(kind)) generated.alias = true;
    out.push(generated);
  }
  return out;
}

/** Version, generation record (annotations when allowed, YAML comments always). */
function finish(vendor: Vendor, spec: CdiSpec, discovery: Discovery, opts: GenerateOptions): GeneratedSpec {
  const record: Record<string, string> = {
    [annotationKeys.generatedBy]: `actk ${opts.actkVersion}`,
    [annotationKeys.command]: opts.command,
    ...(opts.host.isRealHost ? {} : { [annotationKeys.hostRoot]: opts.host.root }),
    ...(discovery.driverVersion ? { [annotationKeys.driverVersion]: discovery.driverVersion } : {}),
    [annotationKeys.contentHash]: contentHash(spec),
  };
  let version = chooseCdiVersion(spec, opts.cdiVersion);
  const annotate = opts.annotations === "always" || (opts.annotations === "auto" && compareCdiVersions(version, "0.6.0") >= 0);
  if (annotate) {
    spec.annotations = record;
    if (opts.annotations === "always" && opts.cdiVersion !== "minimum" && compareCdiVersions(version, "0.6.0") < 0) {
      throw new ActkError(`annotations need cdiVersion 0.6.0 or later, but --cdi-version is ${version}`, { place: "--annotations", exitCode: ExitCode.usage, fix: "use --annotations auto, or --cdi-version 0.6.0 or later" });
    }
    version = chooseCdiVersion(spec, opts.cdiVersion);
  }
  spec.cdiVersion = version;
  const header = [
    `Generated by actk ${opts.actkVersion}; regenerate with: ${opts.command}`,
    ...Object.entries(record).filter(([k]) => k !== annotationKeys.command && k !== annotationKeys.generatedBy).map(([k, v]) => `${k}: ${v}`),
    ...(annotate ? [] : ["(no annotations: they would raise cdiVersion to 0.6.0, which podman < 4.7 and CRI-O < 1.28 reject)"]),
  ];
  return {
    vendor: vendor.id, kind: spec.kind, baseName: specFileBaseName(vendor.id, spec.kind), spec, header,
    ...(discovery.driverVersion ? { driverVersion: discovery.driverVersion } : {}),
  };
}

/** Specs for every given vendor that has devices; vendors without any are explained in notes. */
export function generateSpecs(vendors: readonly Vendor[], opts: GenerateOptions): GenerateResult {
  checkGenerateOptions(opts);
  const result: GenerateResult = { specs: [], notes: [] };
  for (const vendor of vendors) {
    const discovery = vendor.discover();
    for (const n of discovery.notes) result.notes.push(`${vendor.id}: ${n}`);
    if (discovery.devices.length === 0) {
      result.notes.push(`${vendor.id}: no devices found, so no spec was generated`);
      continue;
    }
    result.specs.push(...specsForVendor(vendor, discovery, opts));
  }
  return result;
}
