// How actk-runtime's native launcher (src/runtime/launcher.c) is compiled: one recipe for the
// build (scripts/build.mjs) and for the tests (test/fixtures/native-launcher.ts, with -Werror).
import { spawnSync } from "node:child_process";
import { chmodSync, renameSync, rmSync } from "node:fs";

/**
 * Compile `src` to `out` with $CC (default cc; it may carry flags of its own, "gcc -m64", as make
 * allows), statically only: each call skips the dynamic loader (≈0.3 ms), and the file runs on any
 * Linux host of its architecture, whatever its C library (a dynamic one could fail every runtime
 * call on a host with an older glibc). Writes `out` only on success.
 * @param {string} src
 * @param {string} out
 * @param {readonly string[]} [extraFlags]
 * @returns {{ built: true } | { built: false, why: string }}
 */
export function compileNativeLauncher(src, out, extraFlags = []) {
  const [cc = "cc", ...ccFlags] = (process.env.CC || "cc").trim().split(/\s+/);
  const tmp = `${out}.tmp-${process.pid}`;
  const flags = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong", "-s", ...extraFlags];
  const r = spawnSync(cc, [...ccFlags, ...flags, "-static", "-o", tmp, src], { encoding: "utf8" });
  if (r.error) return { built: false, why: `no C compiler (${cc}: ${r.error.code ?? r.error.message})` };
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const lines = r.stderr.split("\n");
    return { built: false, why: `${cc} -static failed: ${(lines.find((l) => /error|cannot find/.test(l)) ?? lines[0] ?? "").trim()}` };
  }
  chmodSync(tmp, 0o755);
  renameSync(tmp, out);
  return { built: true };
}
