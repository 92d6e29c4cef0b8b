/**
 * Fully qualified CDI device names → the edits to apply, like the reference
 * cache's InjectDevices (research cdi-and-vendors.md §A.7): a name defined in
 * several spec dirs comes from the highest-priority (later) dir; any name that
 * cannot be resolved fails the whole injection, listing every unresolved name,
 * with no edits; edits are concatenated in request order, a spec's top-level
 * containerEdits the first time one of its devices is used, then the device's.
 */
import { ActkError, ExitCode } from "../core/errors.js";
import type { ContainerEdits } from "../edits/container-edits.js";
import { mergeEdits } from "../edits/container-edits.js";
import type { LoadedSpec } from "../cdi/load.js";
import { parseQualifiedDeviceName } from "../cdi/names.js";

export interface InjectOptions {
  /** Spec dirs, for the message when a name is not found. */
  specDirs: readonly string[];
}

export function cdiDeviceEdits(names: readonly string[], specs: readonly LoadedSpec[], opts: InjectOptions): ContainerEdits {
  const unresolved: string[] = [];
  const invalid: string[] = [];
  const parts: ContainerEdits[] = [];
  const specsUsed = new Set<LoadedSpec>();
  for (const name of names) {
    const q = parseQualifiedDeviceName(name);
    if ("error" in q) {
      invalid.push(q.error);
      continue;
    }
    const kind = `${q.vendor}/${q.class}`;
    let best: { spec: LoadedSpec; index: number } | undefined;
    for (const spec of specs) {
      if (spec.spec.kind !== kind) continue;
      const index = spec.spec.devices.findIndex((d) => d.name === q.name);
      if (index >= 0 && (!best || spec.priority >= best.spec.priority)) best = { spec, index };
    }
    if (!best) {
      unresolved.push(name);
      continue;
    }
    if (!specsUsed.has(best.spec)) {
      specsUsed.add(best.spec);
      parts.push(best.spec.spec.containerEdits ?? {});
    }
    parts.push(best.spec.spec.devices[best.index]?.containerEdits ?? {});
  }
  if (invalid.length) {
    throw new ActkError(invalid.join("; "), { place: "CDI devices", exitCode: ExitCode.badInput, unchanged: true, fix: "request devices as vendor.com/class=name" });
  }
  if (unresolved.length) {
    throw new ActkError(`unresolvable CDI devices ${unresolved.join(", ")}`, {
      place: "CDI devices", exitCode: ExitCode.host, unchanged: true,
      fix: `generate the specs with \`actk cdi generate\` (searched ${opts.specDirs.join(", ")}; see \`actk cdi list\`)`,
    });
  }
  return mergeEdits(...parts);
}
