/**
 * Validation of CDI specs: the reference library's rules (names, versions,
 * non-empty device edits, env shape, hook names …) plus the rules the CDI
 * spec states but the reference never checks (absolute paths, hook timeout),
 * conflicts between files of the spec directories, and — on request — the
 * live host: device nodes present with the same numbers, mounted files
 * present, hook programs executable.
 *
 * Everything returns Problems (never throws for a bad spec), so `actk cdi
 * validate` and doctor can list them all at once.
 */
import * as fs from "node:fs";
import path from "node:path";
import type { ContainerEdits } from "../edits/container-edits.js";
import type { HostRoot } from "../host/host-root.js";
import { inspectDeviceNode } from "../host/device-node.js";
import { isWithin } from "../host/path-in-root.js";
import { deviceNameError, kindError } from "./names.js";
import type { LoadedSpec } from "./load.js";
import type { CdiSpec } from "./spec.js";
import { compareCdiVersions, earliestCdiVersion, editsWithPlaces, isKnownCdiVersion, knownCdiVersions, normaliseCdiVersion } from "./spec.js";
import { minimumCdiVersion, versionTooOld } from "./version.js";

export interface Problem {
  severity: "error" | "warning";
  file?: string;
  line?: number;
  /** Field path or device ("devices[0] (0).containerEdits.deviceNodes[1].path"). */
  place: string;
  /** The qualified device the problem is about, when it is about one. */
  device?: string;
  message: string;
  fix?: string;
}

/** The command that generated the spec (from its annotations), or a generic one. */
export function regenerateCommand(spec: CdiSpec): string {
  return spec.annotations?.["actk.io/generate-command"] ?? "actk cdi generate --output /etc/cdi";
}

let collator: Intl.Collator | undefined;
/**
 * One collator for all sorting ("gpu=2" before "gpu=10"); creating one per comparison is slow. Created on
 * first use: creating it costs ≈15 ms, which commands that never sort names (cdi generate) should not pay.
 */
export const byNumericName = {
  compare: (a: string, b: string): number => (collator ??= new Intl.Collator("en", { numeric: true })).compare(a, b),
};

const hookNames = new Set(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
const deviceTypes = new Set(["", "b", "c", "u", "p"]);

function envProblems(env: readonly string[] | undefined, place: string): string[] {
  const out: string[] = [];
  (env ?? []).forEach((e, i) => {
    if (e.indexOf("=") <= 0) out.push(`${place}[${i}] "${e}" is not NAME=value`);
  });
  return out;
}

function absolute(p: string | undefined, place: string, what: string): string[] {
  if (p === undefined) return [];
  if (p === "") return [`${place} (${what}) is empty`];
  return p.startsWith("/") ? [] : [`${place} (${what}) "${p}" is not an absolute path`];
}

/** Errors and warnings of one containerEdits block. */
export function editsProblems(e: ContainerEdits, place: string): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  errors.push(...envProblems(e.env, `${place}.env`));
  (e.deviceNodes ?? []).forEach((n, i) => {
    const p = `${place}.deviceNodes[${i}]`;
    errors.push(...absolute(n.path, `${p}.path`, "container path"));
    if (n.hostPath !== undefined && n.hostPath !== "") errors.push(...absolute(n.hostPath, `${p}.hostPath`, "host path"));
    if (n.type !== undefined && !deviceTypes.has(n.type)) errors.push(`${p}.type "${n.type}" is not one of b, c, u, p`);
    if (n.permissions !== undefined && n.permissions !== "") {
      if (n.permissions === "none") warnings.push(`${p}.permissions "none" is understood only by CDI libraries newer than 1.1.0`);
      else if (!/^[rwm]+$/.test(n.permissions)) errors.push(`${p}.permissions "${n.permissions}" may only hold the letters r, w and m`);
    }
  });
  (e.mounts ?? []).forEach((m, i) => {
    const p = `${place}.mounts[${i}]`;
    errors.push(...absolute(m.hostPath, `${p}.hostPath`, "host path"), ...absolute(m.containerPath, `${p}.containerPath`, "container path"));
  });
  (e.hooks ?? []).forEach((h, i) => {
    const p = `${place}.hooks[${i}]`;
    if (!hookNames.has(h.hookName)) errors.push(`${p}.hookName "${h.hookName}" is not one of ${[...hookNames].join(", ")}`);
    errors.push(...absolute(h.path, `${p}.path`, "hook program"));
    errors.push(...envProblems(h.env, `${p}.env`));
    if (h.timeout !== undefined && h.timeout <= 0) errors.push(`${p}.timeout ${h.timeout} must be greater than 0`);
    if (!h.env?.length) warnings.push(`${p} (${h.path}) has no env: say explicitly what the hook gets, so it never depends on the runtime's environment`);
  });
  if (e.intelRdt) {
    const c = e.intelRdt.closID;
    if (c !== undefined && (c.length >= 4096 || c === "." || c === ".." || c.includes("/") || c.includes("\n"))) {
      errors.push(`${place}.intelRdt.closID "${c}" is not a valid resctrl group name`);
    }
  }
  const hostNames = new Set<string>();
  const names = new Set<string>();
  (e.netDevices ?? []).forEach((d, i) => {
    const p = `${place}.netDevices[${i}]`;
    if (!d.hostInterfaceName) errors.push(`${p}.hostInterfaceName is empty`);
    if (!d.name) errors.push(`${p}.name is empty`);
    if (hostNames.has(d.hostInterfaceName)) errors.push(`${p}: host interface "${d.hostInterfaceName}" is listed twice`);
    if (names.has(d.name)) errors.push(`${p}: container interface "${d.name}" is listed twice`);
    hostNames.add(d.hostInterfaceName);
    names.add(d.name);
  });
  return { errors, warnings };
}

const annotationName = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

function annotationProblems(a: Record<string, string> | undefined, place: string): string[] {
  if (!a) return [];
  const out: string[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(a)) {
    size += k.length + v.length;
    const slash = k.lastIndexOf("/");
    const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    if (!annotationName.test(name) || (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix)))) {
      out.push(`${place} key "${k}" is not a qualified name ([prefix/]name; name ≤ 63 characters, letters, digits, "-", "_", ".")`);
    }
  }
  if (size > 256 * 1024) out.push(`${place} total size ${size} bytes exceeds 256 KiB`);
  return out;
}

/** Problems of one spec on its own. */
export function validateSpec(spec: CdiSpec, file?: string, deviceLines: readonly (number | undefined)[] = []): Problem[] {
  const out: Problem[] = [];
  const add = (severity: Problem["severity"], place: string, message: string, extra: Partial<Problem> = {}): void => {
    out.push({ severity, ...(file ? { file } : {}), place, message, ...extra });
  };
  const v = normaliseCdiVersion(spec.cdiVersion);
  if (!isKnownCdiVersion(v) || compareCdiVersions(v, earliestCdiVersion) < 0) {
    add("error", "cdiVersion", `invalid version "${spec.cdiVersion}"`, {
      fix: `use ${minimumCdiVersion(spec)} (known: ${knownCdiVersions.filter((k) => compareCdiVersions(k, earliestCdiVersion) >= 0).join(", ")})`,
    });
  } else {
    const tooOld = versionTooOld(spec, v);
    if (tooOld) add("error", "cdiVersion", tooOld, { fix: `set cdiVersion to ${minimumCdiVersion(spec)}` });
  }
  const ke = kindError(spec.kind);
  if (ke) add("error", "kind", ke, { fix: "write the kind as vendor.com/class, e.g. nvidia.com/gpu" });
  for (const m of annotationProblems(spec.annotations, "annotations")) add("error", "annotations", m);
  if (spec.devices.length === 0) add("error", "devices", "the spec has no devices", { fix: "a CDI spec needs at least one device" });
  const seen = new Map<string, number>();
  spec.devices.forEach((d, i) => {
    const place = `devices[${i}] (${d.name})`;
    const device = `${spec.kind}=${d.name}`;
    const line = deviceLines[i];
    const extra = { device, ...(line !== undefined ? { line } : {}) };
    const ne = deviceNameError(d.name);
    if (ne) add("error", `devices[${i}].name`, ne, extra);
    const prev = seen.get(d.name);
    if (prev !== undefined) add("error", place, `device "${d.name}" is defined twice in this file (also devices[${prev}])`, { ...extra, fix: "give every device its own name" });
    else seen.set(d.name, i);
    for (const m of annotationProblems(d.annotations, `${place}.annotations`)) add("error", `${place}.annotations`, m, extra);
    const e = d.containerEdits;
    if (!e || (!e.env?.length && !e.deviceNodes?.length && !e.mounts?.length && !e.hooks?.length && !e.additionalGids?.length && !e.intelRdt && !e.netDevices?.length)) {
      add("error", `${place}.containerEdits`, "the device has no container edits (the reference library rejects the whole file for this)", { ...extra, fix: "give the device at least one device node, mount, env entry or hook, or remove it" });
    }
  });
  for (const { place, edits } of editsWithPlaces(spec)) {
    const deviceIndex = /^devices\[(\d+)\]/.exec(place)?.[1];
    const d = deviceIndex !== undefined ? spec.devices[Number(deviceIndex)] : undefined;
    const line = deviceIndex !== undefined ? deviceLines[Number(deviceIndex)] : undefined;
    const extra = { ...(d ? { device: `${spec.kind}=${d.name}` } : {}), ...(line !== undefined ? { line } : {}) };
    const { errors, warnings } = editsProblems(edits, place);
    for (const m of errors) add("error", place, m, extra);
    for (const m of warnings) add("warning", place, m, extra);
  }
  return out;
}

/**
 * Devices defined in more than one file. In the same directory the reference
 * drops the device and reports both files (an error); across directories the
 * later directory wins (a warning, since the earlier copy is ignored).
 */
export function validateSpecSet(specs: readonly LoadedSpec[]): Problem[] {
  const byName = new Map<string, LoadedSpec[]>();
  for (const s of specs) {
    for (const d of new Set(s.spec.devices.map((x) => x.name))) {
      const q = `${s.spec.kind}=${d}`;
      byName.set(q, [...(byName.get(q) ?? []), s]);
    }
  }
  const out: Problem[] = [];
  for (const [device, where] of [...byName].sort((a, b) => byNumericName.compare(a[0], b[0]))) {
    if (where.length < 2) continue;
    for (let i = 0; i < where.length; i++) {
      for (let j = i + 1; j < where.length; j++) {
        const a = where[i] as LoadedSpec;
        const b = where[j] as LoadedSpec;
        if (a.priority === b.priority) {
          out.push({
            severity: "error", file: a.file, place: "devices", device,
            message: `${device} is defined in both ${a.file} and ${b.file}; engines ignore the device in both`,
            fix: `remove one of the two files (or the device from one of them)`,
          });
        } else {
          const [low, high] = a.priority < b.priority ? [a, b] : [b, a];
          out.push({
            severity: "warning", file: low.file, place: "devices", device,
            message: `${device} is defined in both ${low.file} and ${high.file}; the copy in ${high.file} is used`,
            fix: `remove the stale copy from ${low.file}`,
          });
        }
      }
    }
  }
  return out;
}

/** Host path to check for a spec path: a path already under the host root is used as is, others are mapped under it. */
function hostRelative(host: HostRoot, p: string): string {
  if (!host.isRealHost && isWithin(host.root, p)) return "/" + path.relative(host.root, p);
  return p;
}

/** Problems of the spec against the host: stale or missing device nodes, missing mounts, hooks that cannot run. */
export function validateAgainstHost(spec: CdiSpec, host: HostRoot, file?: string): Problem[] {
  const out: Problem[] = [];
  const fix = `run \`${regenerateCommand(spec)}\` again to regenerate the spec for this host`;
  const checked = new Set<string>();
  for (const { place, edits } of editsWithPlaces(spec)) {
    const deviceIndex = /^devices\[(\d+)\]/.exec(place)?.[1];
    const d = deviceIndex !== undefined ? spec.devices[Number(deviceIndex)] : undefined;
    const device = d ? `${spec.kind}=${d.name}` : undefined;
    const add = (p: string, message: string, severity: Problem["severity"] = "error", f = fix): void => {
      out.push({ severity, ...(file ? { file } : {}), place: p, ...(device ? { device } : {}), message, fix: f });
    };
    (edits.deviceNodes ?? []).forEach((n, i) => {
      const hp = n.hostPath || n.path;
      const key = `${device}|node|${hp}`;
      if (checked.has(key)) return;
      checked.add(key);
      const p = `${place}.deviceNodes[${i}]`;
      const st = inspectDeviceNode(host, hostRelative(host, hp));
      const shown = host.hostPath(hostRelative(host, hp));
      if (st.state === "missing") return add(p, `device node ${shown} does not exist (stale spec or the driver is not loaded)`);
      if (st.state === "other") {
        if (n.type === "b" && st.what === "a block device") return;
        return add(p, `${shown} is ${st.what}, not a character device`);
      }
      if (n.type && n.type !== "c") return add(p, `${shown} is a character device but the spec says type "${n.type}"`);
      if (n.major !== undefined && n.minor !== undefined && (n.major !== st.major || n.minor !== st.minor)) {
        add(p, `device node ${shown} is ${st.major}:${st.minor} on the host but ${n.major}:${n.minor} in the spec (stale spec)`);
      }
    });
    (edits.mounts ?? []).forEach((m, i) => {
      const key = `${device}|mount|${m.hostPath}`;
      if (checked.has(key) || !m.hostPath.startsWith("/")) return;
      checked.add(key);
      if (!host.exists(hostRelative(host, m.hostPath))) {
        add(`${place}.mounts[${i}]`, `mounted file ${host.hostPath(hostRelative(host, m.hostPath))} does not exist (driver upgraded or removed?)`);
      }
    });
    (edits.hooks ?? []).forEach((h, i) => {
      if (!h.path.startsWith("/")) return;
      // Hooks run in the runtime's own mount namespace, so their program is checked on the real host.
      let problem: string | undefined;
      try {
        const st = fs.statSync(h.path);
        if (!st.isFile()) problem = `hook program ${h.path} is not a regular file`;
        else fs.accessSync(h.path, fs.constants.X_OK);
      } catch (e) {
        problem = (e as NodeJS.ErrnoException).code === "ENOENT" ? `hook program ${h.path} does not exist` : `hook program ${h.path} is not executable`;
      }
      if (problem) add(`${place}.hooks[${i}]`, problem, "error", `install actk (the hook is ${h.path}) or regenerate the spec with the right hook path: ${regenerateCommand(spec)}`);
    });
  }
  return out;
}

/** Problems of loaded specs (each alone, then together); `host` adds the live-host checks. */
export function validateLoaded(specs: readonly LoadedSpec[], host?: HostRoot): Problem[] {
  const out: Problem[] = [];
  for (const s of specs) {
    out.push(...validateSpec(s.spec, s.file, s.deviceLines));
    if (host) out.push(...validateAgainstHost(s.spec, host, s.file));
  }
  out.push(...validateSpecSet(specs));
  return out;
}
