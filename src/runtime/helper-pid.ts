/**
 * Whether a runtime helper serves a directory: its pid file names a live
 * process whose command line is the helper's. Apart from helper.ts so that
 * `actk doctor` can ask without loading the runtime. Also the /proc reads that
 * tell which process a pid is (command line, start time), which the helper
 * uses to check whom it signals.
 */
import * as fs from "node:fs";
import path from "node:path";

/** The pid of a live helper serving dir, if there is one. */
export function runningHelper(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dir, "pid"), "utf8").trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  const cmdline = readCmdline(pid);
  return cmdline.some((a) => a === "helper") ? pid : undefined;
}

/** The argv of pid; empty when it cannot be read (no such process). */
export function readCmdline(pid: number, proc = "/proc"): string[] {
  try {
    return fs.readFileSync(`${proc}/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

/**
 * Field 22 of a /proc/<pid>/stat line: when the process started, in clock ticks since boot. A
 * process that reuses a pid started later, and exec keeps the start time: with the command line it
 * tells "the same process, still running the same program". Only ever compared, so kept as text.
 */
export function startTimeOf(stat: string): string | undefined {
  // Field 2 (comm) is in parentheses and may itself hold spaces and ")": the rest starts after the last ")".
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  const v = stat.slice(close + 1).trim().split(" ")[22 - 3];
  return v !== undefined && /^\d+$/.test(v) ? v : undefined;
}

/** pid's start time (startTimeOf), or undefined when its stat cannot be read (no such process). */
export function readStartTime(pid: number, proc = "/proc"): string | undefined {
  try {
    return startTimeOf(fs.readFileSync(`${proc}/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}
