/**
 * One error type for everything a user can get wrong or a host can lack.
 * It carries where (file, line/column or a named place such as an env var),
 * what went wrong, and the fix, so the CLI, the runtime and the hook can all
 * print the same one-line message.
 */

/** Exit codes; documented in docs/exit-codes.md. */
export const ExitCode = {
  ok: 0,
  /** A check or request was evaluated and found wanting (invalid request, failed check). */
  failed: 1,
  /** The command line itself is wrong: unknown command or flag, missing argument. */
  usage: 2,
  /** An input file or value is malformed or not allowed (config, JSON, TOML, device list). */
  badInput: 3,
  /** The host lacks something: a missing file, device, driver, engine or permission. */
  host: 4,
  /** A program actk ran (low-level runtime, engine verification) failed. */
  external: 5,
  /** A bug in actk. */
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorPlace {
  /** File the problem is in, as the user knows it. */
  file?: string;
  line?: number;
  column?: number;
  /** A named place that is not a file position: an env var, a config key, a flag. */
  place?: string;
}

export interface ActkErrorOptions extends ErrorPlace {
  fix?: string;
  exitCode?: ExitCodeValue;
  cause?: unknown;
  /** True when no file was changed; the message says so, because users worry about that. */
  unchanged?: boolean;
}

export class ActkError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly place?: string;
  readonly fix?: string;
  readonly exitCode: ExitCodeValue;
  readonly unchanged: boolean;

  constructor(message: string, opts: ActkErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "ActkError";
    this.file = opts.file;
    this.line = opts.line;
    this.column = opts.column;
    this.place = opts.place;
    this.fix = opts.fix;
    this.exitCode = opts.exitCode ?? ExitCode.badInput;
    this.unchanged = opts.unchanged ?? false;
  }

  /** `FILE: line L, column C: PLACE: message — the file was not changed. Fix: …` on one line. */
  format(): string {
    const parts: string[] = [];
    if (this.file) parts.push(this.file);
    if (this.line !== undefined) {
      parts.push(this.column !== undefined ? `line ${this.line}, column ${this.column}` : `line ${this.line}`);
    }
    if (this.place) parts.push(this.place);
    let text = parts.length ? `${parts.join(": ")}: ${this.message}` : this.message;
    if (this.unchanged) text += " — nothing was changed";
    if (this.fix) text += `. Fix: ${this.fix}`;
    return text;
  }

  /** A copy with more context (used when a lower layer knows the message but not the file). */
  withPlace(place: ErrorPlace): ActkError {
    return new ActkError(this.message, {
      file: place.file ?? this.file,
      line: place.line ?? this.line,
      column: place.column ?? this.column,
      place: place.place ?? this.place,
      fix: this.fix,
      exitCode: this.exitCode,
      unchanged: this.unchanged,
      cause: this.cause,
    });
  }
}

export function isActkError(e: unknown): e is ActkError {
  return e instanceof ActkError;
}

/** Turn any thrown value into an ActkError, mapping common Node fs errors to host errors. */
export function toActkError(e: unknown): ActkError {
  if (e instanceof ActkError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === "object" && typeof err.code === "string") {
    const file = (err as { path?: string }).path;
    switch (err.code) {
      case "ENOENT":
        return new ActkError("no such file or directory", { file, exitCode: ExitCode.host, cause: e });
      case "EACCES":
      case "EPERM":
        return new ActkError("permission denied", {
          file, exitCode: ExitCode.host, cause: e, fix: "run as root or fix the file's permissions",
        });
      default:
        return new ActkError(`${err.code}: ${err.message}`, { file, exitCode: ExitCode.host, cause: e });
    }
  }
  const message = e instanceof Error ? e.message : String(e);
  return new ActkError(`internal error: ${message}`, {
    exitCode: ExitCode.internal, cause: e, fix: "run again with --debug and report the stack trace",
  });
}
