/**
 * Running host programs from a privileged hook. Every child gets an explicit,
 * minimal environment (nothing from the hook's own env, so no LD_PRELOAD or
 * LD_LIBRARY_PATH can reach it), an absolute path to a root-owned binary
 * outside every container rootfs, and a working directory of "/".
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { isWithin } from "../host/path-in-root.js";

/** The only PATH a hook child ever sees. */
export const childPath = "/usr/sbin:/usr/bin:/sbin:/bin";

/** The complete environment of every program the hook starts. */
export function childEnv(): NodeJS.ProcessEnv {
  return { PATH: childPath, LC_ALL: "C" };
}

/** Variables the hook drops from its own environment at start (they could steer libraries it loads later). */
export const droppedOwnEnv = ["LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "NODE_OPTIONS", "NODE_PATH"];

/** Removes loader and Node injection variables from this process's env, so nothing derived from it carries them. */
export function scrubOwnEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const dropped: string[] = [];
  for (const k of droppedOwnEnv) {
    if (k in env) {
      delete env[k];
      dropped.push(k);
    }
  }
  return dropped;
}

/**
 * Absolute path of a host program from the fixed system directories (never
 * PATH, never a container): must be a regular root-owned file not writable by
 * group or others, outside every `forbidden` tree (container rootfs paths).
 */
export function hostProgram(name: string, forbidden: readonly string[] = [], dirs = childPath.split(":")): string {
  const candidates = name.startsWith("/") ? [name] : dirs.map((d) => path.join(d, name));
  for (const c of candidates) {
    // Most candidates are absent (ldconfig.real outside Ubuntu): a test costs less than a thrown ENOENT.
    if (!existsSync(c)) continue;
    let real: string;
    try {
      real = realpathSync.native(c);
    } catch {
      continue;
    }
    const st = statSync(real);
    if (!st.isFile()) continue;
    const ownerOk = st.uid === 0 || st.uid === process.geteuid?.();
    if (!ownerOk || (st.mode & 0o022) !== 0) {
      throw new ActkError(`refusing to run ${real}: it is not owned by root or is writable by group/others`, {
        place: name, exitCode: ExitCode.host, fix: `chown root:root ${real} && chmod go-w ${real}`,
      });
    }
    for (const f of forbidden) {
      if (isWithin(f, real)) {
        throw new ActkError(`refusing to run ${real}: it lies inside a container root filesystem`, {
          place: name, exitCode: ExitCode.host, fix: "install the program on the host (util-linux, libc-bin)",
        });
      }
    }
    return real;
  }
  throw new ActkError(`host program ${name} not found in ${dirs.join(", ")}`, {
    place: name, exitCode: ExitCode.host, fix: `install ${name} on the host`,
  });
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `program` (absolute) with the minimal env; throws ActkError naming `step` when it fails. */
/**
 * Runs a host program (found and checked by hostProgram) with exactly childEnv() and cwd /.
 * `fds` become the child's fds 3, 4, … (a pinned directory for it to act in).
 */
export function runHost(step: string, program: string, args: readonly string[], opts: { allowFail?: boolean; fds?: readonly number[] } = {}): RunResult {
  if (!path.isAbsolute(program)) throw new ActkError(`${step}: program path ${program} is not absolute`, { exitCode: ExitCode.internal });
  const r = spawnSync(program, args, {
    env: childEnv(),
    cwd: "/",
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe", ...(opts.fds ?? [])],
    timeout: 60_000,
  });
  const res: RunResult = { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  if (r.error) {
    throw new ActkError(`${step}: could not run ${program}: ${r.error.message}`, { exitCode: ExitCode.external, cause: r.error });
  }
  if (res.status !== 0 && !opts.allowFail) {
    const detail = (res.stderr || res.stdout).trim().split("\n").slice(-2).join(" / ");
    throw new ActkError(`${step}: ${path.basename(program)} exited with status ${res.status}${detail ? `: ${detail}` : ""}`, {
      exitCode: ExitCode.external,
    });
  }
  return res;
}

/** True when `p` exists as something other than a symlink. */
export function existsNoFollow(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
