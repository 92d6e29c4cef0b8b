/**
 * Finds and loads the config file.
 *
 * Location: --config-file, else ACTK_CONFIG_FILE, else
 * $XDG_CONFIG_HOME/actk/config.toml, else /etc/actk/config.toml (under the
 * host root). A missing file at a default location means defaults, unless
 * NVIDIA's /etc/nvidia-container-runtime/config.toml exists, which is then
 * read in its own format. A file named explicitly must exist.
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode, toActkError } from "../core/errors.js";
import { defaultConfig } from "./defaults.js";
import { configFromNvidiaToml, isNvidiaConfig } from "./nvidia-compat.js";
import { configFromToml, type PluginDefaults } from "./schema.js";
import { parseToml } from "./toml-edit.js";
import type { LoadedConfig } from "./types.js";

export interface LoadConfigOptions {
  /** --config-file */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Prefix for config file paths (the host root), so a simulated host's /etc is read. */
  hostRoot?: string;
  /**
   * Default config sections of the plugins, keyed "vendor.nvidia" (from the registrations).
   * Given: plugin sections are checked against them. Absent: plugin sections are taken as written.
   */
  pluginDefaults?: PluginDefaults;
  /** For a process that loads the config again and again (the runtime helper): the same bytes are parsed once. */
  parsed?: ParsedConfigCache;
}

/**
 * The last config text parsed, with what it gave. The file is still read every time: only a parse of
 * byte-identical text (same file, same plugin defaults) is skipped, and each caller gets its own copy.
 */
export class ParsedConfigCache {
  private last?: { key: string; loaded: LoadedConfig };

  load(text: string, file: string, pluginDefaults: PluginDefaults | undefined, forceNvidia: boolean): LoadedConfig {
    const key = JSON.stringify([file, forceNvidia, pluginDefaults ?? null, text]);
    if (this.last?.key !== key) this.last = { key, loaded: loadConfigText(text, file, pluginDefaults, forceNvidia) };
    return structuredClone(this.last.loaded);
  }
}

export const NVIDIA_CONFIG_PATH = "/etc/nvidia-container-runtime/config.toml";
export const SYSTEM_CONFIG_PATH = "/etc/actk/config.toml";

export interface ConfigLocation {
  path: string;
  /** Named by --config-file or ACTK_CONFIG_FILE: it must exist. */
  explicit: boolean;
  origin: "--config-file" | "ACTK_CONFIG_FILE" | "XDG_CONFIG_HOME" | "default";
}

function underRoot(hostRoot: string | undefined, p: string): string {
  return hostRoot && path.resolve(hostRoot) !== "/" ? path.join(hostRoot, p) : p;
}

/** Where the actk config file is (whether or not it exists). */
export function locateConfig(opts: LoadConfigOptions = {}): ConfigLocation {
  const env = opts.env ?? process.env;
  if (opts.file) return { path: opts.file, explicit: true, origin: "--config-file" };
  if (env.ACTK_CONFIG_FILE) return { path: env.ACTK_CONFIG_FILE, explicit: true, origin: "ACTK_CONFIG_FILE" };
  if (env.XDG_CONFIG_HOME) return { path: path.join(env.XDG_CONFIG_HOME, "actk", "config.toml"), explicit: false, origin: "XDG_CONFIG_HOME" };
  return { path: underRoot(opts.hostRoot, SYSTEM_CONFIG_PATH), explicit: false, origin: "default" };
}

/** The file's text, or undefined when it does not exist. */
export function readConfigText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "EISDIR") {
      throw new ActkError("is a directory, not a config file", { file, exitCode: ExitCode.badInput, fix: "give the path of a TOML file" });
    }
    throw toActkError(e);
  }
}

/** Parses a config text in either format (NVIDIA's is recognised by its keys). */
export function loadConfigText(text: string, file: string, pluginDefaults?: PluginDefaults, forceNvidia = false): LoadedConfig {
  const doc = parseToml(text, file);
  if (forceNvidia || isNvidiaConfig(doc)) {
    const r = configFromNvidiaToml(doc, { file, pluginDefaults });
    return { config: r.config, source: file, format: "nvidia", nvidiaKeys: r.report, warnings: r.warnings };
  }
  return { config: configFromToml(doc, { file, pluginDefaults }), source: file, format: "actk" };
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const parse = (text: string, file: string, forceNvidia = false): LoadedConfig =>
    opts.parsed ? opts.parsed.load(text, file, opts.pluginDefaults, forceNvidia) : loadConfigText(text, file, opts.pluginDefaults, forceNvidia);
  const loc = locateConfig(opts);
  const text = readConfigText(loc.path);
  if (text !== undefined) return { ...parse(text, loc.path), path: loc.path };
  if (loc.explicit) {
    throw new ActkError("config file does not exist", {
      file: loc.path, place: loc.origin === "ACTK_CONFIG_FILE" ? "ACTK_CONFIG_FILE" : undefined, exitCode: ExitCode.host,
      fix: `create it with \`actk config default > ${loc.path}\`, or ${loc.origin === "--config-file" ? "drop --config-file" : "unset ACTK_CONFIG_FILE"} to use the defaults`,
    });
  }
  const nvidiaPath = underRoot(opts.hostRoot, NVIDIA_CONFIG_PATH);
  const nvidiaText = readConfigText(nvidiaPath);
  if (nvidiaText !== undefined) return { ...parse(nvidiaText, nvidiaPath, true), path: loc.path };
  const config = defaultConfig();
  for (const [pk, section] of Object.entries(opts.pluginDefaults ?? {})) config.plugins[pk] = { ...section };
  return { config, source: "defaults", format: "defaults", path: loc.path };
}
