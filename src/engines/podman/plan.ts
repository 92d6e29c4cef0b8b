/**
 * Podman is daemonless: a containers.conf drop-in
 * (/etc/containers/containers.conf.d/99-actk.conf) adds
 * `[engine.runtimes] <name> = ["<path>"]` and, when asked, `[engine] runtime`;
 * or (oci-hook mode) a hooks.d file. Podman always has CDI on.
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import type { ConfigureOptions, EnginePlan } from "../engine.js";
import { planOciHook } from "../oci-hook.js";
import { applyTomlChanges, parseTomlTable } from "../toml-edit.js";
import { planSet, type ValueChange } from "../value-change.js";

export function planPodman(opts: ConfigureOptions, current: ReadonlyMap<string, string | undefined>): EnginePlan {
  if (opts.configMode === "oci-hook") return planOciHook(opts, current);
  const file = opts.dropInPath || opts.configPath;
  const text = current.get(file);
  const doc = parseTomlTable(text ?? "", file);
  const changes: ValueChange[] = [];
  const push = (c: ValueChange | undefined): void => { if (c) changes.push(c); };
  try {
    push(planSet(doc, ["engine", "runtimes", opts.runtimeName], [opts.runtimePath]));
    if (opts.setAsDefault) push(planSet(doc, ["engine", "runtime"], opts.runtimeName));
    if (opts.cdiSpecDirs.length) push(planSet(doc, ["engine", "cdi_spec_dirs"], [...opts.cdiSpecDirs]));
  } catch (e) {
    throw new ActkError(`cannot add the runtime: ${(e as Error).message}`, {
      file, place: "engine", exitCode: ExitCode.badInput, unchanged: true, fix: "make [engine] and [engine.runtimes] tables",
    });
  }
  const notes = ["podman is daemonless: new containers use the change, nothing to restart"];
  if (opts.cdiEnabled) notes.push("podman always has CDI enabled; nothing to switch on");
  if (changes.length === 0) return { files: [], notes, restartNeeded: false };
  const { text: after, appended } = applyTomlChanges(text ?? "", file, doc, changes);
  return {
    files: [{ path: file, format: "toml", before: text, after, changes, ...(appended ? { appended } : {}) }],
    notes, restartNeeded: false,
  };
}
