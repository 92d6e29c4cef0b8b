/**
 * The per-host runtime helper (`actk runtime helper`): a long-running process
 * that edits bundles for actk-runtime's launcher, so a `create` that asks for
 * a device pays a FIFO write and a signal instead of a JS engine's start
 * (docs/runtime.md "Runtime helper"). Nothing the host or the config says is
 * kept between requests: each one reads the config file and discovers the host
 * afresh (for the devices it names), exactly as the launcher's own JS part
 * would, so a helper never serves stale answers; it is only warm (and skips
 * parsing config bytes it parsed before).
 *
 * Only root can ask (the FIFO is 0600 in a 0700 directory, both root's), and
 * the helper answers only a pid whose command line is the launcher's, checked
 * again just before the signal (same process, same start time). Any
 * doubt or error is answered "do it yourself" (SIGUSR2): the launcher then
 * runs its JS part, which reports errors exactly as without a helper.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { ActkError, ExitCode, toActkError } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import type { Logger } from "../core/log.js";
import { markContainerStartPath } from "../core/start-path.js";
import { ParsedConfigCache } from "../config/load.js";
import { helperEnvKeys, parseHelperRequest, type HelperRequest } from "./helper-protocol.js";
import { readCmdline, readStartTime, runningHelper } from "./helper-pid.js";
import { engineName, prepareBundle, setupRuntime } from "./main.js";

export interface HelperOptions {
  dir: string;
  /** The helper's own log (start, stop, refused requests); each request logs to the runtime log its config names. */
  logger: Logger;
  /** The environment requests start from (their helperEnvKeys values replace these). */
  env?: NodeJS.ProcessEnv;
  /** Called once the FIFO is open and the pid file written. */
  onReady?: (paths: { fifo: string; pidFile: string }) => void;
  /** Resolves the run: the helper cleans up and returns. Default: SIGTERM or SIGINT. */
  stop?: Promise<void>;
}

export type Answer = "ok" | "fallback";

/** Refuse a directory others could write to, or that is not ours: whoever can write the FIFO steers a root process. */
function checkDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw new ActkError(`${!st.isDirectory() ? "not a directory" : st.uid !== uid ? `owned by uid ${st.uid}, not ${uid}` : "writable by group or others"}`, {
      file: dir, exitCode: ExitCode.host, fix: `remove it, or pick another directory with --dir (it is created with mode 0700)`,
    });
  }
}

/** How launcher.sh's second line starts: the mark of a program the helper answers. */
const LAUNCHER_MARK = "# actk-runtime: an OCI runtime shim";

/**
 * A shell's name, as argv[0] of a launcher holds it. The kernel runs the `#!/bin/sh` launcher as
 * [ "/bin/sh", <its path>, args… ] (the shebang's text, whatever /bin/sh links to), `sh x` and
 * `dash x` keep the name typed, and `#!/usr/bin/env sh` ends as "sh": every way to run it leaves
 * a name ending in "sh" (sh, dash, bash, ash, ksh, mksh, zsh, possibly with a version). It keeps a
 * pager or an editor given the launcher's path (`less /usr/bin/actk-runtime`) from being answered.
 * busybox needs no entry: `busybox sh x` puts "sh", not $0, in argv[1], which is refused anyway.
 */
const SHELL = /sh[\d.-]*$/;

/**
 * The launcher's program as an absolute path when pid runs the launcher script `self` (`sh self …`):
 * its command line says so, and the file (relative names are the launcher's, so taken from its
 * working directory) starts as the launcher does. Undefined for any other process.
 */
export function launcherPath(pid: number, self: string, proc = "/proc"): string | undefined {
  const argv = readCmdline(pid, proc);
  if (!self || argv[1] !== self || !SHELL.test(path.posix.basename(argv[0] ?? ""))) return undefined;
  try {
    const file = path.isAbsolute(self) ? self : path.join(fs.readlinkSync(`${proc}/${pid}/cwd`), self);
    const fd = fs.openSync(file, "r");
    try {
      const head = Buffer.alloc(256);
      const n = fs.readSync(fd, head, 0, head.length, 0);
      return (head.subarray(0, n).toString("utf8").split("\n")[1] ?? "").startsWith(LAUNCHER_MARK) ? file : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** A launcher waiting for its answer: one process (its pid and start time) running one program file. */
export interface WaitingLauncher {
  pid: number;
  start: string;
  file: string;
}

/** The launcher behind pid, if pid runs one: launcherPath, pinned to the process by its start time. */
export function findLauncher(pid: number, self: string, proc = "/proc"): WaitingLauncher | undefined {
  const start = readStartTime(pid, proc);
  const file = launcherPath(pid, self, proc);
  // The same start time on both sides of the command line's read: it was this process's command line.
  if (start === undefined || file === undefined || readStartTime(pid, proc) !== start) return undefined;
  return { pid, start, file };
}

/**
 * Why `waiting` can no longer take a signal, or undefined while it still can. Serving takes time, and
 * meanwhile the launcher may give up (its timeout), exec the low-level runtime under the same pid, or
 * exit and leave the pid to another process: SIGUSR1/SIGUSR2 would then kill whatever runs there.
 */
export function launcherChanged(waiting: WaitingLauncher, self: string, proc = "/proc"): string | undefined {
  const now = findLauncher(waiting.pid, self, proc);
  if (!now) return "the pid no longer runs the launcher (it gave up waiting and exec'd, or exited)";
  if (now.start !== waiting.start) return `the pid is another process now (started at tick ${now.start}, not ${waiting.start})`;
  if (now.file !== waiting.file) return `the pid runs another launcher file now (${now.file}, not ${waiting.file})`;
  return undefined;
}

/** The request's environment: the helper's own, with the launcher's values of the keys that steer the JS part. */
export function requestEnv(base: NodeJS.ProcessEnv, r: HelperRequest): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of helperEnvKeys) delete env[k];
  return { ...env, ...r.env };
}

/** Edit one bundle; the answer for the launcher. Errors never escape: the launcher's own JS part reports them. */
export async function serveRequest(r: HelperRequest, base: NodeJS.ProcessEnv, helperLog: Logger, parsed?: ParsedConfigCache): Promise<Answer> {
  const t0 = performance.now();
  const env = requestEnv(base, r);
  let logger: Logger = helperLog;
  try {
    const setup = setupRuntime(env, r.debug, parsed);
    logger = setup.logger;
    const res = await prepareBundle(setup, { bundle: r.bundle, self: r.self, env });
    logger.info(res.changed ? "edited config.json" : "config.json unchanged", {
      bundle: r.bundle, mode: res.mode, reason: res.reason, runtime: r.runtime, engine: `${engineName()} (helper)`,
      ms: Math.round((performance.now() - t0) * 10) / 10,
    });
    return "ok";
  } catch (e) {
    // Not an error of the helper's: the launcher's JS part runs next and reports it in full.
    logger.debug("left to the launcher", { bundle: r.bundle, error: toActkError(e).format() });
    return "fallback";
  }
}

/** Where requests come from: the FIFO's bytes, in chunks that need not end at a line. */
interface RequestSource {
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  destroy(): void;
}

/**
 * The FIFO, opened read-write so it never reaches end-of-file when the last launcher closes it. Node:
 * a non-blocking fd polled by libuv. Bun (1.4) busy-loops on that (one core at 100 %), but reads a
 * blocking fd on a thread of its own without spinning.
 */
function openRequests(fifo: string): RequestSource {
  if ((process.versions as Record<string, string | undefined>).bun) {
    const fd = fs.openSync(fifo, fs.constants.O_RDWR);
    const stream = fs.createReadStream("", { fd, autoClose: true, highWaterMark: 65536 });
    return {
      on: (event, listener) => stream.on(event, (c: string | Buffer) => listener(typeof c === "string" ? Buffer.from(c) : c)),
      // The pending read holds the process: an empty line (ignored) ends it, then nothing reads again.
      // Written through the fd already held, so it works when the FIFO's path is gone too.
      destroy: () => {
        try {
          fs.writeSync(fd, "\n");
        } catch {
          // the fd is closed already: no read is pending
        }
        stream.destroy();
      },
    };
  }
  const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  return new net.Socket({ fd, readable: true, writable: false });
}

/** Run until stopped: make the FIFO, answer requests one at a time, clean up. */
export async function runHelper(opts: HelperOptions): Promise<void> {
  const { dir, logger } = opts;
  const base = opts.env ?? process.env;
  checkDir(dir);
  // Requests are container starts: plugins behave as in the launcher's own JS part (no NVML in discover()).
  markContainerStartPath();
  const other = runningHelper(dir);
  if (other) {
    throw new ActkError(`another runtime helper (pid ${other}) already serves ${dir}`, {
      file: dir, exitCode: ExitCode.host, fix: `stop it first, or pick another directory with --dir`,
    });
  }
  const fifo = path.join(dir, "requests");
  const pidFile = path.join(dir, "pid");
  fs.rmSync(fifo, { force: true });
  // Node has no mkfifo(2); coreutils' mkfifo makes it once, at start.
  const mk = spawnSync("mkfifo", ["-m", "600", fifo], { encoding: "utf8" });
  if (mk.status !== 0) {
    throw new ActkError(`cannot create the FIFO: ${(mk.error?.message ?? mk.stderr).trim()}`, {
      file: fifo, exitCode: ExitCode.host, fix: "install coreutils (mkfifo)",
    });
  }
  const source = openRequests(fifo);
  writeFileAtomic(pidFile, `${process.pid}\n`);

  // The config file is read for every request; its parse is kept while its bytes stay the same.
  const parsed = new ParsedConfigCache();
  let pending = "";
  let chain: Promise<void> = Promise.resolve();
  const handle = async (line: string): Promise<void> => {
    const request = parseHelperRequest(line);
    if ("error" in request) {
      logger.warn("ignored a request", { error: request.error });
      return;
    }
    // Only a live launcher gets an answer: a signal to any other pid could kill it.
    const waiting = findLauncher(request.pid, request.self);
    if (!waiting) {
      logger.debug("no launcher waits for this request", { pid: request.pid, self: request.self });
      return;
    }
    const answer = await serveRequest({ ...request, self: waiting.file }, base, logger, parsed);
    // Checked again after serving, with nothing awaited between this check and the signal.
    const changed = launcherChanged(waiting, request.self);
    if (changed) {
      logger.warn("no answer sent: the launcher stopped waiting", { pid: request.pid, bundle: request.bundle, reason: changed });
      return;
    }
    try {
      process.kill(request.pid, answer === "ok" ? "SIGUSR1" : "SIGUSR2");
    } catch (e) {
      logger.warn("the launcher left before the answer", { pid: request.pid, error: (e as Error).message });
    }
  };
  source.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    // Launchers write whole lines under PIPE_BUF: anything longer without a newline is not one of theirs.
    if (pending.length > 65536 && !pending.includes("\n")) {
      logger.warn("dropped 64 KiB without a newline from the FIFO");
      pending = "";
    }
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line === "") continue;
      chain = chain.then(() => handle(line)).catch((e: unknown) => logger.error("request failed", { error: String(e) }));
    }
  });

  const stop = opts.stop ?? new Promise<void>((resolve) => {
    for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => resolve());
  });
  logger.info("runtime helper listening", { fifo, pid: process.pid });
  opts.onReady?.({ fifo, pidFile });
  await stop;
  source.destroy();
  await chain;
  // Launchers check the pid file first: remove it before the FIFO, and only if it is still ours.
  try {
    if (fs.readFileSync(pidFile, "utf8").trim() === String(process.pid)) fs.rmSync(pidFile, { force: true });
  } catch {
    // already gone
  }
  fs.rmSync(fifo, { force: true });
  logger.info("runtime helper stopped", { pid: process.pid });
}
