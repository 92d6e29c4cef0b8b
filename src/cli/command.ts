/**
 * A small command tree on top of node:util parseArgs. Commands only parse
 * flags and call library code; they return an exit code. Help is generated
 * from the same declarations that parse, so it cannot drift.
 */
import { parseArgs } from "node:util";
import { ActkError, ExitCode } from "../core/errors.js";
import type { Output } from "./output.js";
import type { CliContext } from "./context.js";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  description: string;
  /** Shown in help as --name VALUE. */
  valueName?: string;
  default?: string | boolean | string[];
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  variadic?: boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Invocation {
  values: OptionValues;
  positionals: string[];
  ctx: CliContext;
  out: Output;
}

export interface Command {
  name: string;
  summary: string;
  /** Longer help text, shown under the usage line. */
  description?: string;
  options?: Record<string, OptionSpec>;
  positionals?: PositionalSpec[];
  subcommands?: Command[];
  /** Examples shown at the end of --help. */
  examples?: string[];
  run?(inv: Invocation): number | Promise<number>;
}

export const globalOptions: Record<string, OptionSpec> = {
  "host-root": { type: "string", valueName: "DIR", description: "operate on the host tree under DIR (a simulated host); also ACTK_HOST_ROOT" },
  "config-file": { type: "string", valueName: "FILE", description: "config file (default: ACTK_CONFIG_FILE, $XDG_CONFIG_HOME/actk/config.toml, /etc/actk/config.toml)" },
  json: { type: "boolean", description: "print data as JSON" },
  debug: { type: "boolean", description: "log debug details and show stack traces" },
  quiet: { type: "boolean", short: "q", description: "print only errors" },
  help: { type: "boolean", short: "h", description: "show help" },
};

/** Find the deepest subcommand named by the leading positionals. */
export function findCommand(root: Command, argv: string[]): { command: Command; path: string[]; rest: string[] } {
  let command = root;
  const path = [root.name];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith("-")) {
      // A global option with a separate value (--host-root DIR) may come before the subcommand.
      const name = a.replace(/^--?/, "").split("=")[0] as string;
      const spec = globalOptions[name] ?? Object.values(globalOptions).find((o) => o.short === name);
      if (spec?.type === "string" && !a.includes("=")) i++;
      continue;
    }
    const sub = command.subcommands?.find((c) => c.name === a);
    if (!sub) break;
    command = sub;
    path.push(a);
    argv = [...argv.slice(0, i), ...argv.slice(i + 1)];
    i--;
  }
  return { command, path, rest: argv };
}

export function parseCommandArgs(command: Command, path: string[], argv: string[]): { values: OptionValues; positionals: string[] } {
  const options = { ...globalOptions, ...(command.options ?? {}) };
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(options)) {
    config[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  try {
    const parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true, tokens: true });
    // A single-valued option given twice keeps only the last value: say so rather than drop the first.
    const seen = new Map<string, string | undefined>();
    for (const tok of parsed.tokens ?? []) {
      if (tok.kind !== "option" || options[tok.name]?.type !== "string" || options[tok.name]?.multiple) continue;
      if (seen.has(tok.name) && seen.get(tok.name) !== tok.value) {
        throw new ActkError(`--${tok.name} is given twice ("${seen.get(tok.name) ?? ""}" and "${tok.value ?? ""}"), and it takes one value`, {
          exitCode: ExitCode.usage, fix: `give --${tok.name} once${/vendor/.test(tok.name) ? " (a comma list names several)" : ""}`,
        });
      }
      seen.set(tok.name, tok.value);
    }
    const values = { ...parsed.values } as OptionValues;
    for (const [name, o] of Object.entries(options)) {
      if (values[name] === undefined && o.default !== undefined) values[name] = o.default;
    }
    return { values, positionals: parsed.positionals };
  } catch (e) {
    throw e instanceof ActkError ? e : usageErrorOf((e as Error).message, path);
  }
}

/** node:util parseArgs' message (several sentences, some on lines of their own) as one line with one fix. */
function usageErrorOf(message: string, path: string[]): ActkError {
  const first = (message.split(/\n|\. (?=To specify|Did you)/)[0] ?? message).trim().replace(/\.$/, "");
  const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(first);
  if (ambiguous) {
    const opt = (ambiguous[1] as string).split(",")[0]?.trim() ?? "";
    return new ActkError(`${opt} takes a value, and the argument after it starts with "-"`, {
      exitCode: ExitCode.usage, fix: `give ${opt} its value, or write ${opt}=VALUE for a value that starts with "-"`,
    });
  }
  const unknown = /^Unknown option '([^']+)'/.exec(first);
  const missing = /^Option '(?:-\w, )?(--[^' ]+)[^']*' argument missing/.exec(first);
  const text = unknown ? `unknown option ${unknown[1]}` : missing ? `${missing[1]} needs a value` : first;
  return new ActkError(text, { exitCode: ExitCode.usage, fix: `see \`${path.join(" ")} --help\`` });
}

export function formatHelp(command: Command, path: string[]): string {
  const lines: string[] = [];
  const pos = (command.positionals ?? [])
    .map((p) => (p.required ? `${p.name}${p.variadic ? "..." : ""}` : `[${p.name}${p.variadic ? "..." : ""}]`))
    .join(" ");
  const subs = command.subcommands?.length ? " <command>" : "";
  lines.push(`Usage: ${path.join(" ")}${subs} [options]${pos ? " " + pos : ""}`, "");
  lines.push(command.summary);
  if (command.description) lines.push("", command.description.trim());
  if (command.subcommands?.length) {
    lines.push("", "Commands:");
    const w = Math.max(...command.subcommands.map((c) => c.name.length));
    for (const c of command.subcommands) lines.push(`  ${c.name.padEnd(w)}  ${c.summary}`);
  }
  if (command.positionals?.length) {
    lines.push("", "Arguments:");
    const w = Math.max(...command.positionals.map((p) => p.name.length));
    for (const p of command.positionals) lines.push(`  ${p.name.padEnd(w)}  ${p.description}`);
  }
  const fmt = (opts: Record<string, OptionSpec>): string[] => {
    const rows = Object.entries(opts).map(([n, o]) => {
      const flag = `${o.short ? `-${o.short}, ` : "    "}--${n}${o.type === "string" ? ` ${o.valueName ?? "VALUE"}` : ""}`;
      const def = o.default !== undefined && o.default !== false ? ` (default: ${Array.isArray(o.default) ? o.default.join(",") : String(o.default)})` : "";
      return [flag, `${o.description}${o.multiple ? " (repeatable)" : ""}${def}`] as const;
    });
    const w = Math.max(...rows.map((r) => r[0].length));
    return rows.map(([f, d]) => `  ${f.padEnd(w)}  ${d}`);
  };
  if (command.options && Object.keys(command.options).length) lines.push("", "Options:", ...fmt(command.options));
  lines.push("", "Global options:", ...fmt(globalOptions));
  if (command.examples?.length) lines.push("", "Examples:", ...command.examples.map((e) => `  ${e}`));
  if (command.subcommands?.length) lines.push("", `Run \`${path.join(" ")} <command> --help\` for a command's options.`);
  return lines.join("\n") + "\n";
}
