/**
 * actk-hook's entry: one binary, three names.
 *   actk-hook [--config F] [--host-root D] [--debug] COMMAND [flags]
 *   nvidia-container-runtime-hook [-config F] [-debug] prestart|poststart|poststop   (Docker --gpus)
 *   nvidia-cdi-hook [--debug] create-symlinks|update-ldcache|chmod|enable-cuda-compat …  (NVIDIA CDI specs)
 * It never writes to stdout during a hook (runtimes may parse it); the one-line
 * error goes to stderr and the log file.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ActkError, ExitCode, toActkError } from "../core/errors.js";
import { createLogger, silentLogger, type Logger } from "../core/log.js";
import { loadConfig } from "../config/load.js";
import { pluginDefaultsOf } from "../config/schema.js";
import type { ActkConfig } from "../config/types.js";
import { doctorHint } from "../edits/resolve.js";
import { HostRoot } from "../host/host-root.js";
import { createRegistry } from "../plugins.js";
import { chmodInRoot } from "./chmod.js";
import { loadContainer, parseState, type Container } from "./container.js";
import { createSymlinks } from "./create-symlinks.js";
import { enableCudaCompat } from "./cuda-compat.js";
import { scrubOwnEnv } from "./host-exec.js";
import { stepError } from "./inject.js";
import { prestart } from "./prestart.js";
import { updateLdcache } from "./update-ldcache.js";

declare const ACTK_VERSION: string;
const version = typeof ACTK_VERSION === "string" ? ACTK_VERSION : "dev";

export type Personality = "actk-hook" | "nvidia-container-runtime-hook" | "nvidia-cdi-hook";

export function personalityOf(argv0: string): Personality {
  const base = path.basename(argv0);
  if (base === "nvidia-container-runtime-hook" || base === "nvidia-container-toolkit") return "nvidia-container-runtime-hook";
  if (base === "nvidia-cdi-hook") return "nvidia-cdi-hook";
  return "actk-hook";
}

export interface Invocation {
  personality: Personality;
  command?: string;
  args: string[];
  config?: string;
  hostRoot?: string;
  debug: boolean;
  version: boolean;
  help: boolean;
}

export const helperCommands = ["update-ldcache", "create-symlinks", "chmod", "enable-cuda-compat", "noop"];
const lifecycleCommands = ["prestart", "poststart", "poststop"];

/** Global flags before the command, in the style of the personality (Go `flag` accepts -x and --x alike). */
export function parseInvocation(argv0: string, argv: readonly string[]): Invocation {
  const inv: Invocation = { personality: personalityOf(argv0), args: [], debug: false, version: false, help: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith("-") || a === "-") break;
    if (a === "--") { i++; break; }
    const [rawName, inlineValue] = a.replace(/^--?/, "").split(/=(.*)/s, 2) as [string, string | undefined];
    const value = (): string => {
      if (inlineValue !== undefined) return inlineValue;
      const v = argv[++i];
      if (v === undefined) throw usage(`flag ${a} needs a value`, inv.personality);
      return v;
    };
    switch (rawName) {
      case "debug": case "d": inv.debug = inlineValue === undefined || /^(1|t|true)$/i.test(inlineValue); break;
      case "quiet": case "q": break;
      case "version": inv.version = true; break;
      case "help": case "h": inv.help = true; break;
      case "config": case "config-file": inv.config = value(); break;
      case "host-root": inv.hostRoot = value(); break;
      default:
        if (inv.personality === "nvidia-cdi-hook") {
          // NVIDIA: an unknown flag before the hook name is forward compatibility, not an error.
          inv.command = `unsupported flag ${a}`;
          return inv;
        }
        throw usage(`unknown flag ${a}`, inv.personality);
    }
  }
  inv.command = argv[i];
  inv.args = argv.slice(i + 1);
  return inv;
}

function usage(message: string, personality: Personality): ActkError {
  return new ActkError(message, { exitCode: ExitCode.usage, fix: `see \`${personality} --help\`` });
}

export function helpText(p: Personality): string {
  if (p === "nvidia-container-runtime-hook") {
    return `Usage: nvidia-container-runtime-hook [-config FILE] [-debug] prestart|poststart|poststop
actk-hook installed under NVIDIA's legacy hook name (Docker's --gpus runs it). See docs/hook.md.
`;
  }
  return `Usage: ${p} [--config FILE] [--host-root DIR] [--debug] COMMAND [FLAGS]

OCI hook for accelerators. Reads the container's OCI state JSON on stdin.

Commands:
  prestart                        inject the devices the container asks for (NVIDIA_VISIBLE_DEVICES,
                                  ASCEND_VISIBLE_DEVICES, …): device nodes, device cgroup, driver mounts
  poststart, poststop             no-ops (accepted for OCI hook configs)
  update-ldcache [--folder D]…    write D into /etc/ld.so.conf.d/00-actk-*.conf in the rootfs and run
                                  the host's ldconfig -r ROOTFS
  create-symlinks --link T::L…    create symlink L (resolved inside the rootfs) pointing to T
  chmod --mode M --path P…        set the mode of paths inside the rootfs
  enable-cuda-compat [--host-driver-version V] [--host-cuda-version C] [--cuda-compat-container-root R]
                                  use the image's CUDA forward-compat libs when they are newer than the host driver

Global flags:
  --config FILE      actk config (also ACTK_CONFIG_FILE; NVIDIA config.toml files are read too)
  --host-root DIR    read the host (devices, driver files) under DIR (simulated hosts; also ACTK_HOST_ROOT)
  --debug            log debug details to the hook log (hook.log-file)
  --version          print the version

Installed as nvidia-container-runtime-hook it takes NVIDIA's command line (-config, -debug, prestart);
as nvidia-cdi-hook, NVIDIA's CDI hook subcommands. Exit codes: docs/exit-codes.md. Details: docs/hook.md.
`;
}

export interface HookIo {
  readStdin(): string;
  stderr(text: string): void;
  stdout(text: string): void;
}

const defaultIo: HookIo = {
  readStdin: () => {
    if (process.stdin.isTTY) return "";
    return readFileSync(0, "utf8");
  },
  stderr: (t) => void process.stderr.write(t),
  stdout: (t) => void process.stdout.write(t),
};

function loadHookConfig(inv: Invocation, env: NodeJS.ProcessEnv, host: HostRoot): ActkConfig {
  const file = inv.config ?? (inv.personality === "nvidia-container-runtime-hook" ? env.NVIDIA_CTK_CONFIG_FILE_PATH : undefined);
  return loadConfig({ file, env, hostRoot: host.root, pluginDefaults: pluginDefaultsOf(createRegistry(host).list()) }).config;
}

function helperFlags(command: string, args: string[]): Record<string, string | string[] | undefined> {
  const spec: Record<string, { type: "string"; multiple?: boolean }> = { "container-spec": { type: "string" } };
  switch (command) {
    case "update-ldcache": spec.folder = { type: "string", multiple: true }; spec["ldconfig-path"] = { type: "string" }; break;
    case "create-symlinks": spec.link = { type: "string", multiple: true }; break;
    case "chmod": spec.mode = { type: "string" }; spec.path = { type: "string", multiple: true }; break;
    case "enable-cuda-compat":
      spec["host-driver-version"] = { type: "string" };
      spec["host-cuda-version"] = { type: "string" };
      spec["cuda-compat-container-root"] = { type: "string" };
      break;
  }
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values as Record<string, string | string[] | undefined>;
  } catch (e) {
    throw new ActkError(`${command}: ${(e as Error).message}`, { exitCode: ExitCode.usage, fix: "see `actk-hook --help`" });
  }
}

/** Runs one helper against a container. */
export function runHelper(command: string, args: string[], container: Container, logger: Logger): void {
  const f = helperFlags(command, args);
  const list = (k: string): string[] => (f[k] as string[] | undefined) ?? [];
  const one = (k: string): string | undefined => f[k] as string | undefined;
  switch (command) {
    case "update-ldcache": {
      const ldc = one("ldconfig-path");
      updateLdcache(container.view, { folders: list("folder"), forbidden: [container.rootfs, container.view], ldconfig: ldc ? ldc.replace(/^@/, "") : undefined }, logger);
      return;
    }
    case "create-symlinks":
      createSymlinks(container.view, list("link"), logger);
      return;
    case "chmod":
      chmodInRoot(container.view, one("mode"), list("path"), logger);
      return;
    case "enable-cuda-compat":
      enableCudaCompat(container.view, {
        hostDriverVersion: one("host-driver-version"), hostCudaVersion: one("host-cuda-version"), compatRoot: one("cuda-compat-container-root"),
      }, logger);
      return;
    case "noop":
      return;
  }
  throw new ActkError(`unknown hook command "${command}"`, { exitCode: ExitCode.usage });
}

function readContainer(io: HookIo, args: string[]): Container {
  // NVIDIA's CDI hooks accept --container-spec FILE instead of stdin.
  const i = args.findIndex((a) => a === "--container-spec" || a.startsWith("--container-spec="));
  let text: string;
  if (i >= 0) {
    const a = args[i] as string;
    const file = a.includes("=") ? a.slice(a.indexOf("=") + 1) : args[i + 1];
    text = !file || file === "-" ? io.readStdin() : readFileSync(file, "utf8");
  } else text = io.readStdin();
  return loadContainer(parseState(text));
}

/** The one line a failure prints: what failed, the fix, and where to look next. */
export function errorLine(name: string, e: ActkError): string {
  let text = e.format().replace(/\s*\n\s*/g, " ");
  if (!text.includes(doctorHint)) text += `; ${doctorHint}`;
  return `${name}: ${text}`;
}

export function hookMain(argv0: string, argv: string[], env: NodeJS.ProcessEnv = process.env, io: HookIo = defaultIo): number {
  const dropped = scrubOwnEnv(env);
  const name = path.basename(argv0) || "actk-hook";
  let inv: Invocation | undefined;
  // Until the config names the log file there is nowhere to log but stderr, which gets the error line anyway.
  let logger: Logger = silentLogger;
  try {
    inv = parseInvocation(argv0, argv);
    if (inv.version) {
      io.stdout(`${name} (actk) ${version}\n`);
      return 0;
    }
    if (inv.help) {
      io.stdout(helpText(inv.personality));
      return 0;
    }
    const command = inv.command;
    if (inv.personality === "nvidia-cdi-hook") {
      if (!command) { io.stderr(`${name}: warning: No CDI hook specified\n`); return 0; }
      if (command.startsWith("unsupported flag") || !helperCommands.includes(command)) {
        io.stderr(`${name}: warning: Unsupported CDI hook: ${command}\n`);
        return 0;
      }
    } else if (!command) {
      io.stderr(helpText(inv.personality));
      return ExitCode.usage;
    } else if (!lifecycleCommands.includes(command) && (inv.personality !== "actk-hook" || !helperCommands.includes(command))) {
      throw usage(`unknown command "${command}"`, inv.personality);
    }
    if (command === "poststart" || command === "poststop") return 0;

    // Flags are checked before stdin is read, so a bad hook config fails the same way every time.
    if (command === "prestart" && inv.args.length > 0) throw usage(`prestart takes no arguments, got "${inv.args.join(" ")}"`, inv.personality);
    if (command !== "prestart") helperFlags(command, inv.args);
    const host = HostRoot.fromEnvironment(inv.hostRoot, env);
    let config: ActkConfig;
    try {
      config = loadHookConfig(inv, env, host);
    } catch (e) {
      throw stepError("load config", e);
    }
    logger = createLogger({ component: name, level: inv.debug ? "debug" : "info", file: config.hook.logFile });
    if (dropped.length) logger.warn("ignored loader variables in the hook's own environment", { dropped });
    let container: Container;
    try {
      container = readContainer(io, inv.args);
    } catch (e) {
      throw stepError("read container state", e);
    }
    logger.debug("hook invoked", { command, id: container.state.id, rootfs: container.rootfs, view: container.view, viewReason: container.viewReason, hostRoot: host.root });
    if (command === "prestart") {
      const r = prestart({
        container, host, config, logger,
        runHelper: (args) => runHelper(args[0] as string, args.slice(1), container, logger),
      });
      if (r.skipped) logger.debug(`prestart: nothing to do: ${r.skipped}`, { id: container.state.id });
      return 0;
    }
    runHelper(command as string, inv.args, container, logger);
    return 0;
  } catch (e) {
    const err = toActkError(e);
    const line = errorLine(name, err);
    io.stderr(line + "\n");
    logger.error(line);
    if (inv?.debug && err.stack) io.stderr(`${(err.cause instanceof Error ? err.cause : err).stack ?? ""}\n`);
    return err.exitCode === 0 ? 1 : err.exitCode;
  }
}
