/**
 * The lowest cdiVersion a spec's content can be written in, with the rules of
 * the reference library (specs-go/version.go, research §A.3): checks run newest
 * first and the first that fires wins; the default is 0.3.0. Producers write
 * this minimum so the oldest engines can still read the file (podman 4.3 stops
 * at 0.5.0).
 */
import { ActkError, ExitCode } from "../core/errors.js";
import type { ContainerEdits } from "../edits/container-edits.js";
import { parseKind } from "./names.js";
import type { CdiSpec } from "./spec.js";
import { compareCdiVersions, currentCdiVersion, earliestCdiVersion, editsWithPlaces, isKnownCdiVersion, knownCdiVersions, normaliseCdiVersion } from "./spec.js";

/** One piece of content that needs at least `version`. */
export interface VersionReason {
  version: string;
  /** Where: "devices[0] (0).containerEdits.deviceNodes[0].hostPath". */
  place: string;
  /** The feature, as the table in docs/cdi.md names it. */
  feature: string;
}

/** Which field forces which version, newest first (the table in docs/cdi.md). */
export const versionFeatures: readonly { version: string; feature: string }[] = [
  { version: "1.1.0", feature: "containerEdits.netDevices" },
  { version: "1.1.0", feature: "containerEdits.intelRdt.schemata or enableMonitoring" },
  { version: "0.7.0", feature: "containerEdits.intelRdt" },
  { version: "0.7.0", feature: "containerEdits.additionalGids" },
  { version: "0.6.0", feature: "annotations (spec or device)" },
  { version: "0.6.0", feature: "a \".\" in the class part of kind" },
  { version: "0.5.0", feature: "a device name starting with a digit" },
  { version: "0.5.0", feature: "deviceNodes[].hostPath" },
  { version: "0.4.0", feature: "mounts[].type" },
];

function editReasons(place: string, e: ContainerEdits): VersionReason[] {
  const out: VersionReason[] = [];
  if (e.netDevices && e.netDevices.length > 0) out.push({ version: "1.1.0", place: `${place}.netDevices`, feature: "containerEdits.netDevices" });
  if (e.intelRdt) {
    if (e.intelRdt.schemata !== undefined || e.intelRdt.enableMonitoring === true) {
      out.push({ version: "1.1.0", place: `${place}.intelRdt`, feature: "containerEdits.intelRdt.schemata or enableMonitoring" });
    } else {
      out.push({ version: "0.7.0", place: `${place}.intelRdt`, feature: "containerEdits.intelRdt" });
    }
  }
  if (e.additionalGids && e.additionalGids.length > 0) out.push({ version: "0.7.0", place: `${place}.additionalGids`, feature: "containerEdits.additionalGids" });
  (e.deviceNodes ?? []).forEach((n, i) => {
    if (n.hostPath) out.push({ version: "0.5.0", place: `${place}.deviceNodes[${i}].hostPath`, feature: "deviceNodes[].hostPath" });
  });
  (e.mounts ?? []).forEach((m, i) => {
    if (m.type) out.push({ version: "0.4.0", place: `${place}.mounts[${i}].type`, feature: "mounts[].type" });
  });
  return out;
}

/** Every piece of content that needs more than 0.3.0, newest version first. */
export function versionReasons(spec: CdiSpec): VersionReason[] {
  const out: VersionReason[] = [];
  for (const { place, edits } of editsWithPlaces(spec)) out.push(...editReasons(place, edits));
  if (spec.annotations && Object.keys(spec.annotations).length > 0) out.push({ version: "0.6.0", place: "annotations", feature: "annotations (spec or device)" });
  spec.devices.forEach((d, i) => {
    if (d.annotations && Object.keys(d.annotations).length > 0) out.push({ version: "0.6.0", place: `devices[${i}] (${d.name}).annotations`, feature: "annotations (spec or device)" });
    if (/^[0-9]/.test(d.name)) out.push({ version: "0.5.0", place: `devices[${i}].name "${d.name}"`, feature: "a device name starting with a digit" });
  });
  const { class: cls } = parseKind(spec.kind);
  if (cls.includes(".")) out.push({ version: "0.6.0", place: `kind "${spec.kind}"`, feature: "a \".\" in the class part of kind" });
  // Stable sort: newest version first, discovery order within a version.
  return out.map((r, i) => ({ r, i })).sort((a, b) => compareCdiVersions(b.r.version, a.r.version) || a.i - b.i).map((x) => x.r);
}

/** The lowest cdiVersion that can express the spec's content. */
export function minimumCdiVersion(spec: CdiSpec): string {
  return versionReasons(spec)[0]?.version ?? earliestCdiVersion;
}

/** Sentence naming why `version` is too old for the spec, or undefined when it is enough. */
export function versionTooOld(spec: CdiSpec, version: string): string | undefined {
  const v = normaliseCdiVersion(version);
  const needing = versionReasons(spec).filter((r) => compareCdiVersions(r.version, v) > 0);
  const first = needing[0];
  if (!first) return undefined;
  return `cdiVersion ${v} cannot express ${first.feature} (at ${first.place}), which needs ${first.version}` +
    (needing.length > 1 ? ` (and ${needing.length - 1} more field${needing.length > 2 ? "s" : ""} needing more than ${v})` : "");
}

/**
 * The version to write for `requested` ("minimum" or x.y.z): "minimum" gives
 * the computed minimum; an explicit version must be known and high enough.
 */
export function chooseCdiVersion(spec: CdiSpec, requested: string, place = "--cdi-version"): string {
  if (requested === "minimum" || requested === "") return minimumCdiVersion(spec);
  const v = normaliseCdiVersion(requested);
  if (!isKnownCdiVersion(v) || compareCdiVersions(v, earliestCdiVersion) < 0) {
    throw new ActkError(`unknown or unsupported CDI version "${requested}"`, {
      place, exitCode: ExitCode.usage,
      fix: `use "minimum" or one of ${knownCdiVersions.filter((k) => compareCdiVersions(k, earliestCdiVersion) >= 0).join(", ")}`,
    });
  }
  const tooOld = versionTooOld(spec, v);
  if (tooOld) {
    throw new ActkError(tooOld, { place, exitCode: ExitCode.usage, fix: `use --cdi-version ${minimumCdiVersion(spec)} (or minimum), or a version up to ${currentCdiVersion}` });
  }
  return v;
}
