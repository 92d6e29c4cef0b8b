/**
 * Docker's daemon.json: `runtimes.<name>` ({path, runtimeArgs only when given}),
 * optionally `default-runtime`, `features.cdi` merged into an existing
 * `features` object (other features kept), `cdi-spec-dirs` when given. Every
 * other key and the file's formatting stay as they were.
 */
import type { ConfigureOptions, EnginePlan } from "../engine.js";
import { applyJsonChanges, parseJsonObject } from "../json-edit.js";
import { planSet, type ValueChange } from "../value-change.js";
import { ActkError, ExitCode } from "../../core/errors.js";

export function planDocker(opts: ConfigureOptions, current: ReadonlyMap<string, string | undefined>): EnginePlan {
  if (opts.configMode === "oci-hook") {
    throw new ActkError("docker does not read OCI hook files", {
      place: "--config-mode", exitCode: ExitCode.usage, fix: "use --config-mode config-file with --runtime docker",
    });
  }
  const file = opts.configPath;
  const before = current.get(file);
  const text = before ?? "{}\n";
  const doc = parseJsonObject(text, file);
  const changes: ValueChange[] = [];
  const push = (c: ValueChange | undefined): void => { if (c) changes.push(c); };
  const runtime: Record<string, unknown> = { path: opts.runtimePath };
  if (opts.runtimeArgs.length) runtime.runtimeArgs = [...opts.runtimeArgs];
  if (doc.runtimes !== undefined && (typeof doc.runtimes !== "object" || doc.runtimes === null || Array.isArray(doc.runtimes))) {
    throw new ActkError('"runtimes" is not an object', { file, place: "runtimes", exitCode: ExitCode.badInput, unchanged: true, fix: 'make "runtimes" an object: {"name": {"path": …}}' });
  }
  push(planSet(doc, ["runtimes", opts.runtimeName], runtime));
  if (opts.setAsDefault) push(planSet(doc, ["default-runtime"], opts.runtimeName));
  if (opts.cdiEnabled) {
    if (doc.features !== undefined && (typeof doc.features !== "object" || doc.features === null || Array.isArray(doc.features))) {
      throw new ActkError('"features" is not an object', { file, place: "features", exitCode: ExitCode.badInput, unchanged: true, fix: 'make "features" an object: {"cdi": true}' });
    }
    push(planSet(doc, ["features", "cdi"], true));
  }
  if (opts.cdiSpecDirs.length) push(planSet(doc, ["cdi-spec-dirs"], [...opts.cdiSpecDirs]));
  if (changes.length === 0) return { files: [], notes: [], restartNeeded: false };
  let after = applyJsonChanges(text, changes);
  if (!after.endsWith("\n")) after += "\n";
  return {
    files: [{ path: file, format: "json", before, after, changes }],
    notes: [],
    restartNeeded: true,
  };
}
