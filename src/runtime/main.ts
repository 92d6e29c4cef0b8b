/**
 * actk-runtime's Node part. Normally started by the sh launcher
 * (src/runtime/launcher.sh) with ACTK_RUNTIME_STAGE=prepare, only for a
 * `create` whose config.json may hold a request: it edits config.json and
 * exits 0, and the launcher then execs the low-level runtime itself, so the
 * engine sees the same pid, argv, stdio, extra fds, environment and signals as
 * with bare runc. Started directly (no stage), it also hands over, as a child
 * process with stdio inherited (extra fds beyond 0-2 are not passed: use the
 * launcher).
 *
 * Never writes to stdout. An error before hand-over: one line on stderr and in
 * runc's --log file (where containerd and docker read runtime errors from),
 * details in the log file, config.json unchanged, exit ≠ 0.
 */
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, realpathSync, writeSync } from "node:fs";
import path from "node:path";
import { ActkError, ExitCode, toActkError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { createLogger, type LogLevel } from "../core/log.js";
import { PluginType, type Registry } from "../core/registry.js";
import { loadConfig, type ParsedConfigCache } from "../config/load.js";
import { pluginDefaultsOf } from "../config/schema.js";
import type { ActkConfig } from "../config/types.js";
import { doctorHint } from "../edits/resolve.js";
import { HostRoot } from "../host/host-root.js";
import { createRegistry } from "../plugins.js";
import type { Vendor } from "../vendors/vendor.js";
import { parseRuntimeArgs, type RuntimeArgs } from "./args.js";
import { findLowLevelRuntime } from "./low-level.js";
import { checkMode, modeFromProgramName } from "./mode.js";
import { defaultHelperDir } from "./helper-protocol.js";
import type { RuntimeMode } from "../config/types.js";
import { prepareCreate, type PrepareResult } from "./prepare.js";

export interface RuntimeMainOptions {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Path this program was started as (the launcher passes its own $0 in ACTK_RUNTIME_SELF). */
  self: string;
}

const hookPathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The runtime needs the host and the vendors only: engine and doctor plugins are never initialised here. */
const runtimePluginTypes: ReadonlySet<string> = new Set([PluginType.host, PluginType.vendor]);

export function vendorsFor(host: HostRoot, config: ActkConfig, logger: Logger, registry: Registry = createRegistry(host)): Vendor[] {
  const plugins = registry.init({
    logger,
    filter: (reg) => runtimePluginTypes.has(reg.type),
    configFor: (reg) => {
      const section = config.plugins[`${reg.type.split(".")[1]}.${reg.id}`];
      return section && typeof reg.config === "object" ? { ...(reg.config as object), ...section } : reg.config;
    },
  });
  for (const r of plugins.records) if (r.type === PluginType.vendor && r.status !== "ok") logger.debug(`vendor ${r.id} unavailable`, { error: r.error });
  return plugins.all<Vendor>(PluginType.vendor);
}

/** The JS engine running this part, for the log (bun or node, and its version). */
export function engineName(): string {
  const bun = (process.versions as Record<string, string | undefined>).bun;
  return bun ? `bun ${bun}` : `node ${process.versions.node}`;
}

/** actk-hook's absolute path: the configured one if it exists, else the one beside this program (or its real path). */
export function hookPathFor(config: ActkConfig, self: string): string {
  if (path.isAbsolute(config.hook.path) && existsSync(config.hook.path)) return config.hook.path;
  let real = self;
  try {
    real = realpathSync(self);
  } catch {
    // keep the name as given
  }
  for (const dir of [path.dirname(self), path.dirname(real)]) {
    for (const candidate of [path.join(dir, "actk-hook"), path.join(dir, "..", "bin", "actk-hook")]) {
      if (existsSync(candidate)) return path.resolve(candidate);
    }
  }
  return path.resolve(config.hook.path);
}

/** The one line users see: what failed, the fix, where to look next. */
export function errorLine(e: ActkError): string {
  let text = e.format().replace(/\s*\n\s*/g, " ");
  if (!text.includes(doctorHint)) text += `; ${doctorHint}`;
  return `actk-runtime: ${text}`;
}

/** Append the error to runc's --log file in runc's format, so engines show it. */
function logToRuncLog(args: RuntimeArgs, line: string): void {
  if (!args.log || args.log === "/dev/stderr") return;
  const time = new Date().toISOString();
  const rec = args.logFormat === "json"
    ? JSON.stringify({ level: "error", msg: line, time }) + "\n"
    : `time="${time}" level=error msg=${JSON.stringify(line)}\n`;
  try {
    appendFileSync(args.log, rec);
  } catch {
    // The log of the engine is best effort; stderr already has the line.
  }
}

/** What one `create` needs: the host, the config (and where it came from), the plugins, the logger. */
export interface RuntimeSetup {
  host: HostRoot;
  registry: Registry;
  config: ActkConfig;
  configSource: string;
  logger: Logger;
}

/** Host root, config and logger as the environment says (same lookup as the CLI, so `actk config show` shows what the runtime uses). */
export function setupRuntime(env: NodeJS.ProcessEnv, debug: boolean, parsed?: ParsedConfigCache): RuntimeSetup {
  const host = HostRoot.fromEnvironment(undefined, env);
  // One registry for the config's plugin defaults (so every plugin's keys are checked, as by the
  // CLI) and for the vendors.
  const registry = createRegistry(host);
  // XDG_CONFIG_HOME is a user's setting: the launcher (which picks the low-level runtime from the same file)
  // never reads it, so neither does the part that runs as root for every container.
  const { XDG_CONFIG_HOME: _userConfigHome, ...systemEnv } = env;
  const loaded = loadConfig({ env: systemEnv, hostRoot: host.root, pluginDefaults: pluginDefaultsOf(registry.list()), parsed });
  const config = loaded.config;
  const level: LogLevel = debug ? "debug" : config.runtime.logLevel;
  const logger = createLogger({ file: env.ACTK_RUNTIME_LOG_FILE ?? config.runtime.logFile, level, component: "actk-runtime" });
  return { host, registry, config, configSource: loaded.source, logger };
}

/** The mode: from the program's name (actk-runtime.cdi …), else ACTK_RUNTIME_ALIAS_MODE, ACTK_RUNTIME_MODE, runtime.mode. */
export function runtimeModeFor(self: string, env: NodeJS.ProcessEnv, config: ActkConfig): RuntimeMode {
  const aliasMode = env.ACTK_RUNTIME_ALIAS_MODE || undefined;
  return modeFromProgramName(self) ?? (aliasMode ? checkMode(aliasMode, "program name")
    : env.ACTK_RUNTIME_MODE ? checkMode(env.ACTK_RUNTIME_MODE, "ACTK_RUNTIME_MODE") : config.runtime.mode);
}

/**
 * Edit `<bundle>/config.json` for `create`: the whole of what the JS part does before hand-over.
 * Shared by the launcher's JS part and the per-host helper (./helper.ts), so both edit alike.
 */
export async function prepareBundle(setup: RuntimeSetup, opts: { bundle: string; self: string; env: NodeJS.ProcessEnv }): Promise<PrepareResult> {
  const { host, config, logger, registry } = setup;
  const { env } = opts;
  const mode = runtimeModeFor(opts.self, env, config);
  const vendors = vendorsFor(host, config, logger, registry);
  const hookEnv = [hookPathEnv];
  if (!host.isRealHost) hookEnv.push(`ACTK_HOST_ROOT=${host.root}`);
  if (env.ACTK_CONFIG_FILE) hookEnv.push(`ACTK_CONFIG_FILE=${env.ACTK_CONFIG_FILE}`);
  const prepare = (cdiLib?: typeof import("./cdi-lib.js")): PrepareResult => prepareCreate({
    bundle: opts.bundle, mode, host, vendors, hookPath: hookPathFor(config, opts.self),
    hookEnv, logger, defaultKind: config.cdi.defaultKind, annotationPrefixes: config.cdi.annotationPrefixes,
    ldcacheHook: env.ACTK_RUNTIME_LDCACHE !== "actk-hook",
    // The CDI library (with the YAML parser) is a chunk of its own, loaded only when asked for.
    deferCdi: true,
    cdi: cdiLib && ((names) => {
      const specDirs = config.cdi.specDirs.map((d) => host.hostPath(d));
      const loaded = cdiLib.loadSpecDirs(specDirs);
      for (const e of loaded.errors) logger.warn(`CDI spec skipped: ${e.format()}`);
      return cdiLib.cdiDeviceEdits(names, loaded.specs, { specDirs });
    }),
  });
  const r = prepare();
  return r.needsCdi ? prepare(await import("./cdi-lib.js")) : r;
}

/** The launcher's note on the helper (src/runtime/launcher.sh), for the log: why the JS part runs here. */
function helperNote(env: NodeJS.ProcessEnv): string | undefined {
  const state = env.ACTK_RUNTIME_HELPER_STATE;
  if (state === "timeout") return "the runtime helper did not answer in time; edited config.json here instead";
  if (state === "fallback") return "the runtime helper left this create to the runtime";
  if (state === "unsendable") return "the request could not be sent to the runtime helper (a tab or newline in a path, or too long)";
  return undefined;
}

export async function runtimeMain(opts: RuntimeMainOptions): Promise<number> {
  const { argv, env } = opts;
  let args: RuntimeArgs = { debug: false };
  let logger: Logger = createLogger({ file: env.ACTK_RUNTIME_LOG_FILE ?? "/dev/null", component: "actk-runtime" });
  const prepareOnly = env.ACTK_RUNTIME_STAGE === "prepare";
  try {
    args = parseRuntimeArgs(argv);
    const setup = setupRuntime(env, args.debug);
    logger = setup.logger;
    logger.debug("invoked", { argv, config: setup.configSource, stage: env.ACTK_RUNTIME_STAGE ?? "direct" });
    const note = helperNote(env);
    if (note) (env.ACTK_RUNTIME_HELPER_STATE === "timeout" ? logger.warn : logger.debug).call(logger, note, { helper: env.ACTK_RUNTIME_HELPER ?? defaultHelperDir });

    const runtime = prepareOnly ? env.ACTK_LOW_LEVEL_RUNTIME ?? "" : findLowLevelRuntime(setup.config.runtime.runtimes, [opts.self, process.argv[1] ?? ""], env.PATH);
    if (args.command === "create" && args.bundle) {
      const r = await prepareBundle(setup, { bundle: args.bundle, self: opts.self, env });
      logger.info(r.changed ? "edited config.json" : "config.json unchanged", { bundle: args.bundle, mode: r.mode, reason: r.reason, runtime, engine: engineName() });
    }
    if (prepareOnly) return ExitCode.ok;
    return await handOver(runtime, argv, env);
  } catch (e) {
    const err = toActkError(e);
    const line = errorLine(err);
    logger.error(line, { stack: e instanceof Error ? e.stack : undefined, argv });
    logToRuncLog(args, line);
    // writeSync, not process.stderr: a libuv stream could switch the shared fd to non-blocking.
    try {
      writeSync(2, line + "\n");
    } catch {
      // nowhere left to say it
    }
    return err.exitCode === ExitCode.ok ? ExitCode.internal : err.exitCode;
  }
}

/** Run the low-level runtime with our stdio and environment, pass signals on, return its exit code. */
function handOver(runtime: string, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(runtime, argv, { stdio: "inherit", env, argv0: runtime });
    const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];
    const forward = (s: NodeJS.Signals): void => {
      child.kill(s);
    };
    for (const s of signals) process.on(s, forward);
    child.on("error", (e) => reject(new ActkError(`cannot run ${runtime}: ${e.message}`, { exitCode: ExitCode.external, cause: e })));
    child.on("exit", (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(code ?? (signal ? 128 + signalNumber(signal) : ExitCode.external));
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 };
  return numbers[signal] ?? 1;
}
