/**
 * Logging. The CLI logs to stderr; the runtime and the hook must never write to
 * stdout (engines parse it) and log to the file named in the config instead.
 */
import { closeSync, constants, openSync, writeSync } from "node:fs";

// O_NOFOLLOW: the runtime and the hook run as root, and a log file in a directory another user can
// write (a log-file under /tmp) must not let that user point it, by a symlink, at any file root can write.
const appendFlags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

function appendLine(file: string, line: string): void {
  const fd = openSync(file, appendFlags, 0o640);
  try {
    writeSync(fd, line);
  } finally {
    closeSync(fd);
  }
}

export type LogLevel = "debug" | "info" | "warn" | "error";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Write JSON lines to this file instead of stderr. */
  file?: string;
  /** Component name in each record (actk, actk-runtime, actk-hook). */
  component?: string;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = order[opts.level ?? "info"];
  const component = opts.component ?? "actk";
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (order[level] < min) return;
    if (opts.file) {
      const rec = { time: new Date().toISOString(), level, component, pid: process.pid, msg, ...fields };
      try {
        appendLine(opts.file, JSON.stringify(rec) + "\n");
      } catch {
        // A log that cannot be written must never fail a container start.
      }
      return;
    }
    const extra = fields && Object.keys(fields).length ? " " + JSON.stringify(fields) : "";
    process.stderr.write(`${component}: ${level === "info" ? "" : level + ": "}${msg}${extra}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

/** A logger that drops everything; the default for library code and tests. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
