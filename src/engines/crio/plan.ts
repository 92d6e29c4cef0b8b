/**
 * CRI-O: a drop-in (/etc/crio/crio.conf.d/99-actk.conf) with
 * `[crio.runtime.runtimes.<name>]` — runtime_path, runtime_type = "oci", and
 * monitor_path when the main config sets one for its default runtime — plus
 * `default_runtime` when asked. The main crio.conf is only read. CRI-O has CDI
 * on always; only `cdi_spec_dirs` can be set.
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import type { ConfigureOptions, EnginePlan } from "../engine.js";
import { planOciHook } from "../oci-hook.js";
import { applyTomlChanges, parseTomlTable, type TomlTable } from "../toml-edit.js";
import { getAt, isPlainObject, planSet, type ValueChange } from "../value-change.js";

function monitorPath(main: TomlTable, name: string): string | undefined {
  const runtimes = getAt(main, ["crio", "runtime", "runtimes"]);
  if (!isPlainObject(runtimes)) return undefined;
  const def = getAt(main, ["crio", "runtime", "default_runtime"]);
  for (const c of [typeof def === "string" && def !== name ? def : undefined, "runc", "crun"]) {
    const r = c ? runtimes[c] : undefined;
    if (isPlainObject(r) && typeof r.monitor_path === "string" && r.monitor_path !== "") return r.monitor_path;
  }
  return undefined;
}

export function planCrio(opts: ConfigureOptions, current: ReadonlyMap<string, string | undefined>): EnginePlan {
  if (opts.configMode === "oci-hook") return planOciHook(opts, current);
  const mainText = current.get(opts.configPath);
  const main = parseTomlTable(mainText ?? "", opts.configPath);
  const file = opts.dropInPath || opts.configPath;
  const text = file === opts.configPath ? mainText : current.get(file);
  const doc = file === opts.configPath ? structuredClone(main) : parseTomlTable(text ?? "", file);
  const notes = opts.cdiEnabled ? ["CRI-O always has CDI enabled; nothing to switch on"] : [];
  const changes: ValueChange[] = [];
  const push = (c: ValueChange | undefined): void => { if (c) changes.push(c); };
  const entry: TomlTable = { runtime_path: opts.runtimePath, runtime_type: "oci" };
  const monitor = monitorPath(main, opts.runtimeName);
  if (monitor) entry.monitor_path = monitor;
  try {
    const existing = getAt(doc, ["crio", "runtime", "runtimes", opts.runtimeName]);
    if (isPlainObject(existing)) {
      for (const [k, v] of Object.entries(entry)) push(planSet(doc, ["crio", "runtime", "runtimes", opts.runtimeName, k], v));
    } else push(planSet(doc, ["crio", "runtime", "runtimes", opts.runtimeName], entry));
    if (opts.setAsDefault) push(planSet(doc, ["crio", "runtime", "default_runtime"], opts.runtimeName));
    if (opts.cdiSpecDirs.length) push(planSet(doc, ["crio", "runtime", "cdi_spec_dirs"], [...opts.cdiSpecDirs]));
  } catch (e) {
    throw new ActkError(`cannot add the runtime: ${(e as Error).message}`, {
      file, place: "crio.runtime", exitCode: ExitCode.badInput, unchanged: true, fix: "make [crio.runtime] a table",
    });
  }
  if (changes.length === 0) return { files: [], notes, restartNeeded: false };
  const { text: after, appended } = applyTomlChanges(text ?? "", file, doc, changes);
  return {
    files: [{ path: file, format: "toml", before: text, after, changes, ...(appended ? { appended } : {}) }],
    notes, restartNeeded: true,
  };
}
