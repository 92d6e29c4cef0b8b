/**
 * runc's command line, read just enough to find the sub-command, the bundle
 * and where runc itself logs. The arguments are never changed: actk-runtime
 * hands them to the low-level runtime as they came. src/runtime/launcher.sh and
 * src/runtime/launcher.c implement the same reading in sh and in C; keep the three
 * in step (launcher.test.ts runs each launcher over one table against this).
 */
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";

/** runc global flags that take a value as the next argument (unless written --flag=value). */
export const globalValueFlags = ["log", "log-format", "root", "criu", "rootless"];

export interface RuntimeArgs {
  /** The sub-command ("create", "start", …), or undefined for `--help`/`--version`/none. */
  command?: string;
  /** Bundle directory for `create`/`run`: the last -b/--bundle value, else the cwd. */
  bundle?: string;
  /** runc's --log file and --log-format, where the engine reads runc's errors from. */
  log?: string;
  logFormat?: string;
  debug: boolean;
}

/** "--root" / "-root" / "--root=x" → ["root", "x" | undefined]; undefined for a non-flag. */
function flagName(arg: string): [string, string | undefined] | undefined {
  if (!arg.startsWith("-") || arg === "-" || arg === "--") return undefined;
  const body = arg.replace(/^-+/, "");
  const eq = body.indexOf("=");
  return eq >= 0 ? [body.slice(0, eq), body.slice(eq + 1)] : [body, undefined];
}

export function parseRuntimeArgs(argv: readonly string[], cwd = process.cwd()): RuntimeArgs {
  const out: RuntimeArgs = { debug: false };
  let i = 0;
  // Global flags come before the command.
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    const f = flagName(arg);
    if (!f) break;
    const [name, inline] = f;
    if (name === "debug") out.debug = true;
    if (globalValueFlags.includes(name)) {
      const value = inline ?? argv[++i];
      if (name === "log") out.log = value;
      if (name === "log-format") out.logFormat = value;
    }
  }
  if (i >= argv.length) return out;
  out.command = argv[i];
  if (out.command !== "create" && out.command !== "run") return out;
  let bundle: string | undefined;
  for (let j = i + 1; j < argv.length; j++) {
    const f = flagName(argv[j] as string);
    if (!f || (f[0] !== "b" && f[0] !== "bundle")) continue;
    if (f[1] !== undefined) bundle = f[1];
    else {
      if (j + 1 >= argv.length) {
        throw new ActkError("bundle option requires an argument", { place: argv[j], exitCode: ExitCode.usage, fix: "pass --bundle DIR" });
      }
      bundle = argv[++j];
    }
  }
  out.bundle = path.resolve(cwd, bundle ?? ".");
  return out;
}
