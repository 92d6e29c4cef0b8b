/**
 * Finds and loads the config file. (Placeholder until the schema lands: defaults only.)
 */
import { defaultConfig } from "./defaults.js";
import type { LoadedConfig } from "./types.js";

export interface LoadConfigOptions {
  /** --config-file */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Prefix for config file paths (the host root), so a simulated host's /etc is read. */
  hostRoot?: string;
}

export function loadConfig(_opts: LoadConfigOptions = {}): LoadedConfig {
  return { config: defaultConfig(), source: "defaults", format: "defaults" };
}
