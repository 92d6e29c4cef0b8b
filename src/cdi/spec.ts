/**
 * The CDI spec file model (cdiVersion, kind, annotations, devices,
 * containerEdits), with field names exactly as in the CDI JSON. The edits are
 * the same ContainerEdits the runtime applies, so a spec and jit mode share one
 * shape.
 */
import type { ContainerEdits } from "../edits/container-edits.js";

export interface CdiDevice {
  name: string;
  annotations?: Record<string, string>;
  containerEdits: ContainerEdits;
}

export interface CdiSpec {
  cdiVersion: string;
  kind: string;
  annotations?: Record<string, string>;
  devices: CdiDevice[];
  containerEdits?: ContainerEdits;
}

/** Every cdiVersion a reference library knows, oldest first (0.1.0/0.2.0 can never validate today). */
export const knownCdiVersions = ["0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.1.0"] as const;

/** The newest cdiVersion actk writes and accepts. */
export const currentCdiVersion = "1.1.0";

/** The lowest version the reference's minimum-version check can return. */
export const earliestCdiVersion = "0.3.0";

/** "v0.5.0" → "0.5.0" (the reference strips one leading "v"). */
export function normaliseCdiVersion(v: string): string {
  return v.startsWith("v") ? v.slice(1) : v;
}

export function isKnownCdiVersion(v: string): boolean {
  return (knownCdiVersions as readonly string[]).includes(normaliseCdiVersion(v));
}

/** Compare two x.y.z versions numerically (-1, 0, 1). */
export function compareCdiVersions(a: string, b: string): number {
  const pa = normaliseCdiVersion(a).split(".").map(Number);
  const pb = normaliseCdiVersion(b).split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Spec-level then device edits, each with a JSON-path-like place for messages. */
export function editsWithPlaces(spec: CdiSpec): { place: string; edits: ContainerEdits }[] {
  const out: { place: string; edits: ContainerEdits }[] = [];
  if (spec.containerEdits) out.push({ place: "containerEdits", edits: spec.containerEdits });
  spec.devices.forEach((d, i) => out.push({ place: `devices[${i}] (${d.name}).containerEdits`, edits: d.containerEdits }));
  return out;
}

/** Fully qualified names of the spec's devices. */
export function deviceNamesOf(spec: CdiSpec): string[] {
  return spec.devices.map((d) => `${spec.kind}=${d.name}`);
}
