import { ActkError, ExitCode } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { loadConfig, loadConfigText, locateConfig, readConfigText } from "../../config/load.js";
import { isNvidiaConfig, nvidiaSettableKeys } from "../../config/nvidia-compat.js";
import {
  allKeys, displayKey, formatTomlValue, getField, pluginDefaultsOf, renderConfigFile, renderDefaultConfig, type PluginDefaults,
} from "../../config/schema.js";
import { parseSetOptions } from "../../config/set-option.js";
import { parseToml, setTomlValue } from "../../config/toml-edit.js";
import type { LoadedConfig } from "../../config/types.js";
import { createRegistry } from "../../plugins.js";
import type { Command, Invocation } from "../command.js";
import { initPlugins } from "../context.js";
import { silentLogger } from "../../core/log.js";
import { formatTable } from "../output.js";

function pluginDefaults(inv: Invocation): PluginDefaults {
  return pluginDefaultsOf(createRegistry(inv.ctx.host).list());
}

/**
 * Plugin settings the schema can only type (an NVIDIA `nvml` mode, a capability name) are checked by the
 * plugin's init; a file that makes one fail is invalid, though every key has the right type.
 */
function checkPluginSettings(inv: Invocation, loaded: LoadedConfig, file: string): void {
  const failed = initPlugins(inv.ctx.host, loaded.config, silentLogger).records.find((r) => r.status === "error");
  if (failed) {
    throw new ActkError(`the ${failed.id} ${failed.type.split(".")[1] ?? "plugin"} plugin refuses its settings: ${failed.error ?? "unknown error"}`, {
      file, exitCode: ExitCode.badInput, unchanged: true,
    });
  }
}

function noExtraArguments(inv: Invocation, path: string): void {
  if (inv.positionals.length) {
    throw new ActkError(`unexpected argument "${inv.positionals[0]}"`, { exitCode: ExitCode.usage, fix: `see \`${path} --help\`` });
  }
}

function writeResult(inv: Invocation, text: string, file: string | undefined): number {
  if (file) {
    writeFileAtomic(file, text, { mkdirs: true, userFile: true });
    if (inv.out.json) inv.out.data({ wrote: file }, () => "");
    else inv.out.info(`wrote ${file}`);
  } else {
    // The output is a TOML file's text; a script that asked for JSON would get something else.
    if (inv.out.json) {
      throw new ActkError("--json: this prints the config file's TOML text", {
        exitCode: ExitCode.usage, fix: "leave out --json, or use `actk config show --json` for the settings as JSON (or -o FILE, which reports {\"wrote\": FILE})",
      });
    }
    process.stdout.write(text);
  }
  return 0;
}

const defaultCommand: Command = {
  name: "default",
  summary: "Print the default config file: every key, its default and what it does",
  description: "The same as `nvidia-ctk config default`: a complete config with each key's default and what it does.",
  options: { output: { type: "string", short: "o", valueName: "FILE", description: "write to FILE instead of stdout" } },
  examples: ["actk config default > /etc/actk/config.toml", "actk config default -o /etc/actk/config.toml"],
  run(inv) {
    noExtraArguments(inv, "actk config default");
    return writeResult(inv, renderDefaultConfig(pluginDefaults(inv)), inv.values.output as string | undefined);
  },
};

function flatConfig(loaded: LoadedConfig): Array<[string, unknown]> {
  const rows: Array<[string, unknown]> = [];
  for (const k of allKeys()) if (k.spec) rows.push([displayKey(k.path), getField(loaded.config, k.spec.field)]);
  for (const [pk, section] of Object.entries(loaded.config.plugins)) {
    const dot = pk.indexOf(".");
    for (const [field, v] of Object.entries(section)) {
      rows.push([`plugins."actk.${pk.slice(0, dot)}.v1".${pk.slice(dot + 1)}.${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, v]);
    }
  }
  return rows;
}

const showCommand: Command = {
  name: "show",
  summary: "Show the effective config and where it came from",
  description:
    "Prints every setting in effect, the file it came from (or \"defaults\") and its format (actk or nvidia).\n" +
    "For an NVIDIA Container Toolkit config.toml it also lists what each NVIDIA key became: the actk key it\n" +
    "was mapped to, or why it is ignored.",
  examples: ["actk config show", "actk config show --json", "actk config show --config-file /etc/nvidia-container-runtime/config.toml"],
  run(inv) {
    noExtraArguments(inv, "actk config show");
    const loaded = inv.ctx.loadedConfig;
    for (const w of loaded.warnings ?? []) inv.out.warn(w);
    inv.out.data(
      { source: loaded.source, format: loaded.format, config: loaded.config, nvidiaKeys: loaded.nvidiaKeys ?? null, warnings: loaded.warnings ?? [] },
      () => {
        let text = `source: ${loaded.source}\nformat: ${loaded.format}\n\n`;
        text += flatConfig(loaded).map(([k, v]) => `${k} = ${formatTomlValue(v)}`).join("\n") + "\n";
        if (loaded.nvidiaKeys?.length) {
          text += "\nNVIDIA keys:\n" + formatTable(
            ["NVIDIA KEY", "STATUS", "ACTK KEY / REASON"],
            loaded.nvidiaKeys.map((r) => [r.key, r.status, r.actkKey ?? r.reason ?? ""]),
          );
        }
        return text;
      },
    );
    return 0;
  },
};

const validateCommand: Command = {
  name: "validate",
  summary: "Check a config file (actk or NVIDIA format)",
  description: "Without FILE, checks the file actk would load. Exit code 0: valid; 3: invalid (the message says where and how to fix it); 4: missing.",
  positionals: [{ name: "FILE", description: "the file to check" }],
  examples: ["actk config validate", "actk config validate /etc/actk/config.toml"],
  run(inv) {
    const file = inv.positionals[0] ?? (inv.ctx.global["config-file"] as string | undefined);
    if (inv.positionals[0] !== undefined && readConfigText(inv.positionals[0]) === undefined) {
      throw new ActkError("config file does not exist", {
        file: inv.positionals[0], exitCode: ExitCode.host, fix: "check the path, or run `actk config validate` without FILE to check the file actk loads",
      });
    }
    const loaded = loadConfig({
      file, env: inv.ctx.env, hostRoot: inv.ctx.host.root, pluginDefaults: pluginDefaults(inv),
    });
    if (loaded.format !== "defaults") checkPluginSettings(inv, loaded, loaded.source);
    for (const w of loaded.warnings ?? []) inv.out.warn(w);
    inv.out.data({ file: loaded.source, valid: true, format: loaded.format, warnings: loaded.warnings ?? [] }, () =>
      loaded.format === "defaults" ? `no config file at ${loaded.path}; the defaults are in effect\n` : `${loaded.source}: valid (${loaded.format} format)\n`,
    );
    return 0;
  },
};

export const configCommand: Command = {
  name: "config",
  summary: "Print, change or check the actk config file (nvidia-ctk config compatible)",
  description:
    "With --set, changes keys of the config file: printed to stdout, written back with --in-place, or to\n" +
    "--output FILE. Only the lines of the changed keys change; comments and order are kept. A missing file\n" +
    "starts from the defaults. Values are typed by the schema: booleans true/false (a bare --set KEY means\n" +
    "true), lists a,b or repeated --set KEY=a --set KEY=b, strings as written. Plugin keys: --set\n" +
    "plugins.nvidia.disable-require=true. An NVIDIA config.toml is edited with NVIDIA's key names.\n" +
    "See docs/config.md for every key.",
  options: {
    set: { type: "string", multiple: true, valueName: "KEY[=VALUE]", description: "set a key" },
    "in-place": { type: "boolean", short: "i", description: "write the result back to the config file" },
    output: { type: "string", short: "o", valueName: "FILE", description: "write the result to FILE" },
  },
  subcommands: [defaultCommand, showCommand, validateCommand],
  examples: [
    "actk config default > c.toml",
    "actk config --config-file c.toml --set runtime.mode=cdi --in-place",
    "actk config --set cdi.spec-dirs=/etc/cdi,/run/cdi --set plugins.nvidia.disable-require",
    "actk config show --json",
  ],
  run(inv) {
    noExtraArguments(inv, "actk config");
    const inPlace = Boolean(inv.values["in-place"]);
    const output = inv.values.output as string | undefined;
    if (inPlace && output) {
      throw new ActkError("--in-place and --output cannot be used together", {
        exitCode: ExitCode.usage, unchanged: true, fix: "use --in-place to change the config file, or --output FILE to write a copy",
      });
    }
    const loc = locateConfig({ file: inv.ctx.global["config-file"] as string | undefined, env: inv.ctx.env, hostRoot: inv.ctx.host.root });
    const defaults = pluginDefaults(inv);
    const existing = readConfigText(loc.path);
    let text = existing ?? renderDefaultConfig(defaults);
    if (existing === undefined && !loc.explicit) {
      // A new actk file takes precedence over NVIDIA's config.toml, so it starts from that file's settings.
      const loaded = loadConfig({ env: inv.ctx.env, hostRoot: inv.ctx.host.root, pluginDefaults: defaults });
      if (loaded.format === "nvidia") {
        text = renderConfigFile(loaded.config, defaults);
        inv.out.info(`starting from the settings of ${loaded.source} (see \`actk config show\`)`);
      }
    }
    const nvidia = isNvidiaConfig(parseToml(text, loc.path));
    // The file must be valid before we touch it, so an error names the user's line, not ours.
    loadConfigText(text, loc.path, defaults);
    const keys = nvidia ? nvidiaSettableKeys() : allKeys(defaults);
    const sets = parseSetOptions((inv.values.set as string[] | undefined) ?? [], keys);
    for (const s of sets) text = setTomlValue(text, s.key.path, s.value, loc.path);
    const result = loadConfigText(text, loc.path, defaults);
    checkPluginSettings(inv, result, loc.path);
    for (const w of result.warnings ?? []) inv.out.warn(w);
    return writeResult(inv, text, inPlace ? loc.path : output);
  },
};
