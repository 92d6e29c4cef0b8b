/**
 * The OCI hooks.d file (podman, CRI-O) that runs `actk-hook prestart`. Its
 * environment is written out in full: a hook must never inherit the
 * container's (or the engine's) environment.
 */
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import type { ConfigureOptions, EnginePlan } from "./engine.js";

export const hookPathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** `when`: every container, or only those with an annotation whose key matches one of the regexes. */
export function ociHookJson(hookPath: string, annotations: readonly string[] = []): string {
  const hook = {
    version: "1.0.0",
    hook: { path: hookPath, args: [path.posix.basename(hookPath), "prestart"], env: [hookPathEnv] },
    when: annotations.length ? { annotations: Object.fromEntries(annotations.map((a) => [a, ".*"])) } : { always: true },
    stages: ["prestart"],
  };
  return JSON.stringify(hook, null, 2) + "\n";
}

export function planOciHook(opts: ConfigureOptions, current: ReadonlyMap<string, string | undefined>): EnginePlan {
  for (const [flag, p] of [["--hook-path", opts.hookPath], ["--oci-hook-path", opts.ociHookPath]] as const) {
    if (!path.isAbsolute(p)) {
      throw new ActkError(`"${p}" is not an absolute path`, { place: flag, exitCode: ExitCode.usage, fix: `give ${flag} an absolute path` });
    }
  }
  const before = current.get(opts.ociHookPath);
  for (const a of opts.ociHookAnnotations ?? []) {
    try {
      new RegExp(a);
    } catch (e) {
      throw new ActkError(`invalid regular expression "${a}": ${(e as Error).message}`, { place: "--oci-hook-annotation", exitCode: ExitCode.usage, fix: "give a regular expression for annotation keys, e.g. ^cdi\\.k8s\\.io/" });
    }
  }
  const after = ociHookJson(opts.hookPath, opts.ociHookAnnotations);
  if (before === after) return { files: [], notes: [], restartNeeded: false };
  return {
    files: [{ path: opts.ociHookPath, format: "owned", before, after, changes: [] }],
    notes: ["hooks.d is re-read for every container: no restart needed"],
    restartNeeded: false,
  };
}
