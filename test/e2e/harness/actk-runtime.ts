/**
 * actk-runtime as an engine would start it: the built dist/bin/actk-runtime
 * (the native launcher, or the sh launcher in a build without one), with a private config (runc as the low-level runtime),
 * a private log file and, for simulated hosts, ACTK_HOST_ROOT.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestContext } from "node:test";
import { distBin, program, tempDir } from "./requirements.js";

export interface ActkRuntimeSetup {
  /** dist/bin/actk-runtime */
  runtime: string;
  /** Environment to start it (or the daemon that starts it) with. */
  env: NodeJS.ProcessEnv;
  logFile: string;
  configFile: string;
  /**
   * A sh wrapper that sets `env`'s ACTK_* variables and execs actk-runtime, for engines that
   * start the runtime with an environment of their own (podman's conmon passes none of ours).
   */
  wrapper: string;
  /** The log's text ("" when nothing was logged). */
  log(): string;
}

export function actkRuntime(t: TestContext, opts: { hostRoot?: string; mode?: string; helperDir?: string } = {}): ActkRuntimeSetup {
  const dir = tempDir(t, "actk-rt-");
  const logFile = path.join(dir, "actk-runtime.log");
  const configFile = path.join(dir, "config.toml");
  const lines = ["[runtime]", `runtimes = [${JSON.stringify(program("runc"))}]`, `log-file = ${JSON.stringify(logFile)}`, `log-level = "debug"`];
  if (opts.mode) lines.push(`mode = ${JSON.stringify(opts.mode)}`);
  lines.push("[hook]", `path = ${JSON.stringify(distBin("actk-hook"))}`);
  writeFileSync(configFile, lines.join("\n") + "\n");
  // No runtime helper unless a test starts one (runtime-runc.test.ts): a helper on the machine must not decide what is tested.
  const env: NodeJS.ProcessEnv = { ...process.env, ACTK_CONFIG_FILE: configFile, ACTK_RUNTIME_LOG_FILE: logFile, ACTK_RUNTIME_HELPER: opts.helperDir ?? "off" };
  if (opts.hostRoot) env.ACTK_HOST_ROOT = opts.hostRoot;
  else delete env.ACTK_HOST_ROOT;
  const wrapper = path.join(dir, "actk-runtime-wrapper");
  const exports = Object.entries(env).filter(([k]) => k.startsWith("ACTK_")).map(([k, v]) => `export ${k}='${String(v).replace(/'/g, "'\\''")}'`);
  writeFileSync(wrapper, ["#!/bin/sh", ...exports, `exec '${distBin("actk-runtime")}' "$@"`, ""].join("\n"), { mode: 0o755 });
  return {
    runtime: distBin("actk-runtime"), env, logFile, configFile, wrapper,
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
  };
}
