/**
 * containerd's config.toml, versions 1, 2 and 3. The CRI plugin lives at
 * `plugins.cri` (v1), `plugins."io.containerd.grpc.v1.cri"` (v2) or
 * `plugins."io.containerd.cri.v1.runtime"` (v3). The new runtime copies the
 * options of the current default runtime (else runc, else crun) so it keeps
 * SystemdCgroup and friends, and sets options.BinaryName.
 *
 * Version 3 configs belong to containerd 2.x, which deep-merges `imports`:
 * actk writes a drop-in and adds it to `imports`. containerd 1.x replaces whole
 * tables on import, so v1/v2 configs are edited in place (format-preserving).
 */
import path from "node:path";
import { ActkError, ExitCode } from "../../core/errors.js";
import type { ConfigureOptions, EnginePlan, FileChange } from "../engine.js";
import { applyTomlChanges, parseTomlTable, type TomlTable } from "../toml-edit.js";
import { getAt, isPlainObject, planAppend, planSet, type ValueChange } from "../value-change.js";

export type ContainerdConfigVersion = 1 | 2 | 3;

export const criPluginPath: Record<ContainerdConfigVersion, string[]> = {
  1: ["plugins", "cri"],
  2: ["plugins", "io.containerd.grpc.v1.cri"],
  3: ["plugins", "io.containerd.cri.v1.runtime"],
};

/** 1-based line of the top-level `version` key, for error messages. */
function versionLine(text: string): number | undefined {
  const i = text.split(/\r?\n/).findIndex((l) => /^\s*version\s*=/.test(l));
  return i < 0 ? undefined : i + 1;
}

/** The config version: the `version` key, 1 when a non-empty file lacks it, undefined for no file. */
export function containerdConfigVersion(doc: TomlTable, text: string | undefined, file: string): ContainerdConfigVersion | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const v = doc.version;
  if (v === undefined) return 1;
  if (v === 1 || v === 2 || v === 3) return v;
  throw new ActkError(`unknown containerd config version ${JSON.stringify(v)}`, {
    file, line: versionLine(text), column: 1, place: "version", exitCode: ExitCode.badInput, unchanged: true,
    fix: "containerd configs are version 1, 2 or 3; fix the `version` key",
  });
}

/** Options of the runtime the new one should copy: the default runtime, else runc, else crun. */
function baseRuntime(doc: TomlTable, plugin: string[], name: string): TomlTable | undefined {
  const runtimes = getAt(doc, [...plugin, "containerd", "runtimes"]);
  if (!isPlainObject(runtimes)) return undefined;
  const def = getAt(doc, [...plugin, "containerd", "default_runtime_name"]);
  for (const candidate of [typeof def === "string" && def !== name ? def : undefined, "runc", "crun"]) {
    const r = candidate ? runtimes[candidate] : undefined;
    if (isPlainObject(r)) return structuredClone(r);
  }
  return undefined;
}

function runtimeTable(source: TomlTable, plugin: string[], opts: ConfigureOptions): TomlTable {
  const rt = baseRuntime(source, plugin, opts.runtimeName) ?? {};
  if (typeof rt.runtime_type !== "string" || rt.runtime_type === "") rt.runtime_type = "io.containerd.runc.v2";
  const options = isPlainObject(rt.options) ? rt.options : {};
  options.BinaryName = opts.runtimePath;
  rt.options = options;
  return rt;
}

/** The CRI-plugin changes (runtime, default, CDI) on `target`, copying runtime options from `source`. */
function criChanges(target: TomlTable, source: TomlTable, version: ContainerdConfigVersion, opts: ConfigureOptions, file: string, notes: string[]): ValueChange[] {
  const plugin = criPluginPath[version];
  const changes: ValueChange[] = [];
  const push = (c: ValueChange | undefined): void => { if (c) changes.push(c); };
  try {
    const existing = getAt(source, [...plugin, "containerd", "runtimes", opts.runtimeName]);
    const wanted = runtimeTable(source, plugin, opts);
    if (!isPlainObject(existing) && !baseRuntime(source, plugin, opts.runtimeName)) {
      notes.push("no default/runc/crun runtime entry to copy options from: the new runtime has containerd's defaults (set SystemdCgroup yourself if kubelet uses the systemd cgroup driver)");
    }
    if (isPlainObject(existing)) {
      // Re-configure: only the values actk owns, so the user's tuning of the entry stays.
      push(planSet(target, [...plugin, "containerd", "runtimes", opts.runtimeName, "options", "BinaryName"], opts.runtimePath));
      if (typeof existing.runtime_type !== "string" || existing.runtime_type === "") {
        push(planSet(target, [...plugin, "containerd", "runtimes", opts.runtimeName, "runtime_type"], wanted.runtime_type));
      }
    } else {
      push(planSet(target, [...plugin, "containerd", "runtimes", opts.runtimeName], wanted));
    }
    if (opts.setAsDefault) push(planSet(target, [...plugin, "containerd", "default_runtime_name"], opts.runtimeName));
    if (opts.cdiEnabled) push(planSet(target, [...plugin, "enable_cdi"], true));
    if (opts.cdiSpecDirs.length) push(planSet(target, [...plugin, "cdi_spec_dirs"], [...opts.cdiSpecDirs]));
  } catch (e) {
    throw new ActkError(`cannot add the runtime: ${(e as Error).message}`, {
      file, place: plugin.join("."), exitCode: ExitCode.badInput, unchanged: true,
      fix: "make the CRI plugin section a table as in `containerd config default`",
    });
  }
  return changes;
}

function tomlFile(file: string, before: string | undefined, doc: TomlTable, changes: ValueChange[], base = before ?? ""): FileChange | undefined {
  if (changes.length === 0) return undefined;
  const { text, appended } = applyTomlChanges(base, file, doc, changes);
  return { path: file, format: "toml", before, after: text, changes, ...(appended ? { appended } : {}) };
}

export function planContainerd(opts: ConfigureOptions, current: ReadonlyMap<string, string | undefined>): EnginePlan {
  if (opts.configMode === "oci-hook") {
    throw new ActkError("containerd does not run OCI hook files", {
      place: "--config-mode", exitCode: ExitCode.usage, fix: "use --config-mode config-file with --runtime containerd",
    });
  }
  const mainFile = opts.configPath;
  const mainText = current.get(mainFile);
  const main = parseTomlTable(mainText ?? "", mainFile);
  const detected = containerdConfigVersion(main, mainText, mainFile);
  const notes: string[] = [];
  const version: ContainerdConfigVersion = detected ?? ((opts.engineMajor ?? 1) >= 2 ? 3 : 2);
  const useDropIn = version === 3 && opts.dropInPath !== "";
  const files: FileChange[] = [];

  if (!useDropIn) {
    if (version === 3) notes.push(`editing ${mainFile} in place (--drop-in-config "")`);
    else notes.push(`config version ${version} (containerd 1.x replaces whole tables on import): editing ${mainFile} in place`);
    const changes: ValueChange[] = [];
    if (detected === undefined) {
      const c = planSet(main, ["version"], version);
      if (c) changes.push(c);
    }
    changes.push(...criChanges(main, structuredClone(main), version, opts, mainFile, notes));
    const f = tomlFile(mainFile, mainText, main, changes);
    if (f) files.push(f);
    return { files, notes, restartNeeded: files.length > 0 };
  }

  const dropIn = opts.dropInPath;
  if (!path.isAbsolute(dropIn)) {
    throw new ActkError(`the drop-in path "${dropIn}" is not absolute`, { place: "--drop-in-config", exitCode: ExitCode.usage, fix: "give an absolute path such as /etc/containerd/conf.d/99-actk.toml" });
  }
  notes.push(`config version 3 (containerd 2.x deep-merges imports): writing ${dropIn} and importing it from ${mainFile}`);
  const dropText = current.get(dropIn);
  // A new drop-in starts as `version = 3`; unconfigure removes a drop-in left with nothing else.
  const dropBase = dropText ?? "version = 3\n";
  const drop = parseTomlTable(dropBase, dropIn);
  const dropChanges: ValueChange[] = [];
  const vc = planSet(drop, ["version"], 3);
  if (vc) dropChanges.push(vc);
  // Runtime options come from the main config, overlaid by what the drop-in already has.
  const source = structuredClone(main);
  mergeInto(source, drop);
  dropChanges.push(...criChanges(drop, source, 3, opts, dropIn, notes));
  const df = tomlFile(dropIn, dropText, drop, dropChanges, dropBase);
  if (df) files.push({ ...df, importedBy: mainFile });

  // `version` and the import serve every runtime whose drop-in the import covers, not just this
  // one: a later runtime finds them there and records nothing, so they are marked shared and
  // handed on by unconfigure while another runtime's drop-in relies on them.
  const mainChanges: ValueChange[] = [];
  if (detected === undefined) {
    const c = planSet(main, ["version"], 3);
    if (c) mainChanges.push({ ...c, shared: true });
  }
  const imports = Array.isArray(main.imports) ? main.imports.filter((x): x is string => typeof x === "string") : [];
  const glob = path.posix.join(path.posix.dirname(dropIn), "*.toml");
  if (!imports.includes(glob) && !imports.includes(dropIn)) {
    try {
      const c = planAppend(main, ["imports"], dropIn.endsWith(".toml") ? glob : dropIn);
      if (c) mainChanges.push({ ...c, shared: true });
    } catch (e) {
      throw new ActkError(`cannot add the drop-in import: ${(e as Error).message}`, { file: mainFile, place: "imports", exitCode: ExitCode.badInput, unchanged: true, fix: "make `imports` an array of strings" });
    }
  }
  const mf = tomlFile(mainFile, mainText, main, mainChanges);
  if (mf) files.push(mf);
  return { files, notes, restartNeeded: files.length > 0 };
}

function mergeInto(target: TomlTable, over: TomlTable): void {
  for (const [k, v] of Object.entries(over)) {
    const t = target[k];
    if (isPlainObject(t) && isPlainObject(v)) mergeInto(t, v);
    else target[k] = structuredClone(v);
  }
}
