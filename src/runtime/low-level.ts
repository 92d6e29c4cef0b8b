/**
 * Which low-level runtime actk-runtime hands over to: the first entry of
 * `runtime.runtimes` that is an executable regular file — a name with "/" is
 * taken as is, a bare name is searched in PATH and then the usual sbin/bin
 * dirs (engines often run with a short PATH). An entry that is actk-runtime
 * itself (same file, or any actk-runtime* name) is refused: it would loop.
 * The sh launcher does the same lookup; keep them in step.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { isExecutableFile } from "../core/executable.js";

export const fallbackDirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

export function lookupProgram(name: string, envPath = process.env.PATH ?? ""): string | undefined {
  if (name.includes("/")) return isExecutableFile(name) ? path.resolve(name) : undefined;
  for (const dir of [...envPath.split(":").filter(Boolean), ...fallbackDirs]) {
    const p = path.join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

/**
 * @param self paths of actk-runtime as started (the launcher, the Node entry); a candidate that is
 *   one of them is a loop.
 */
export function findLowLevelRuntime(candidates: readonly string[], self: readonly string[], envPath = process.env.PATH ?? ""): string {
  for (const c of candidates) {
    const p = lookupProgram(c, envPath);
    if (!p) continue;
    if (path.basename(p).startsWith("actk-runtime") || self.some((s) => sameFile(p, s))) {
      throw new ActkError(`runtime.runtimes names actk-runtime itself (${p}), which would call itself forever`, {
        place: "runtime.runtimes", exitCode: ExitCode.badInput, unchanged: true,
        fix: "list the low-level runtime (runc or crun) in runtime.runtimes, not actk-runtime",
      });
    }
    return p;
  }
  throw new ActkError(`no low-level runtime found from runtime.runtimes [${candidates.join(", ")}]`, {
    place: "runtime.runtimes", exitCode: ExitCode.host, unchanged: true,
    fix: "install runc or crun, or set runtime.runtimes to its absolute path",
  });
}
