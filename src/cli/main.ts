/**
 * `actk` entry: find the command, parse its flags, run it, turn errors into
 * one line on stderr and an exit code (docs/exit-codes.md).
 */
import { ActkError, ExitCode, toActkError } from "../core/errors.js";
import { findCommand, formatHelp, parseCommandArgs, type Command } from "./command.js";
import { commands } from "./commands/index.js";
import { CliContext } from "./context.js";
import { createOutput } from "./output.js";

declare const ACTK_VERSION: string;
export const version = typeof ACTK_VERSION === "string" ? ACTK_VERSION : "dev";

export const rootCommand: Command = {
  name: "actk",
  summary: "Accelerator Container ToolKit: give OCI containers GPUs and NPUs (NVIDIA, Ascend, AMD).",
  description:
    "Discovers accelerators on the host, generates CDI specs, configures container engines,\n" +
    "and explains what a container will get. See also actk-runtime and actk-hook.\n" +
    "`actk --version` prints the version (`--json` as JSON); `actk help COMMAND` is `actk COMMAND --help`.",
  subcommands: commands,
};

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // `--version` anywhere before a command, with or without --json (scripts ask for it that way too).
  const firstWord = argv.findIndex((a) => !a.startsWith("-"));
  const lead = firstWord === -1 ? argv : argv.slice(0, firstWord);
  if (argv[0] === "version" || lead.includes("--version")) {
    if (lead.includes("--json")) process.stdout.write(JSON.stringify({ version }) + "\n");
    else process.stdout.write(`actk ${version}\n`);
    return 0;
  }
  // `actk help [COMMAND…]` is `actk [COMMAND…] --help`.
  if (argv[0] === "help") argv = [...argv.slice(1), "--help"];
  let debug = argv.includes("--debug");
  try {
    const { command, path, rest } = findCommand(rootCommand, argv);
    const { values, positionals } = parseCommandArgs(command, path, rest);
    debug = Boolean(values.debug);
    if (values.help || (!command.run && positionals.length === 0)) {
      process.stdout.write(formatHelp(command, path));
      return values.help ? 0 : ExitCode.usage;
    }
    if (!command.run) {
      throw new ActkError(`unknown command "${positionals[0]}"`, {
        exitCode: ExitCode.usage, fix: `see \`${path.join(" ")} --help\` for the commands`,
      });
    }
    const required = (command.positionals ?? []).filter((p) => p.required);
    if (positionals.length < required.length) {
      throw new ActkError(`missing argument ${required[positionals.length]?.name}`, {
        exitCode: ExitCode.usage, fix: `see \`${path.join(" ")} --help\``,
      });
    }
    const declared = command.positionals ?? [];
    if (positionals.length > declared.length && !declared.at(-1)?.variadic) {
      // An argument a command does not read would be silently skipped (a second file to validate, a typo).
      throw new ActkError(`unexpected argument "${positionals[declared.length]}"${declared.length ? ` (${path.join(" ")} takes ${declared.map((p) => p.name).join(" ")})` : ` (${path.join(" ")} takes no arguments)`}`, {
        exitCode: ExitCode.usage, fix: `see \`${path.join(" ")} --help\``,
      });
    }
    const ctx = new CliContext(values, env);
    const out = createOutput({ json: Boolean(values.json), quiet: Boolean(values.quiet) });
    return await command.run({ values, positionals, ctx, out });
  } catch (e) {
    const err = toActkError(e);
    process.stderr.write(`actk: ${err.format()}\n`);
    if (debug) process.stderr.write(`${(err.cause instanceof Error ? err.cause : err).stack ?? ""}\n`);
    return err.exitCode;
  }
}
