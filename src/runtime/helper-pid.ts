/**
 * Whether a runtime helper serves a directory: its pid file names a live
 * process whose command line is the helper's. Apart from helper.ts so that
 * `actk doctor` can ask without loading the runtime.
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

export function readCmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}
