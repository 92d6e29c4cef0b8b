/** Finding and running the engine programs used for verification (containerd, dockerd). */
import path from "node:path";
import { spawnSync } from "node:child_process";
import { isExecutableFile } from "../core/executable.js";

const extraDirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Absolute path of an executable on PATH (or the sbin/bin dirs), or undefined. */
export function findProgram(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of [...(env.PATH ?? "").split(":").filter(Boolean), ...extraDirs]) {
    const p = path.join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

/** Major version from `<program> --version` output ("containerd github.com/… 1.6.20~ds1 …" → 1). */
export function programMajor(program: string): number | undefined {
  const r = spawnSync(program, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const m = /\bv?(\d+)\.(\d+)\.\d+/.exec(`${r.stdout ?? ""}`);
  return m ? Number(m[1]) : undefined;
}
