/**
 * The effective actk configuration. Keys are documented in docs/config.md;
 * the schema with defaults lives in schema.ts. Vendor plugins own their
 * sections under `plugins`.
 */
import type { NvidiaKeyReport } from "./nvidia-compat.js";

export type RuntimeMode = "auto" | "jit" | "cdi" | "legacy" | "csv";

export interface ActkConfig {
  runtime: {
    /** How actk-runtime injects devices. */
    mode: RuntimeMode;
    /** Low-level runtimes to try, in order (absolute paths or names looked up in PATH). */
    runtimes: string[];
    /** Log file for actk-runtime (never stdout). */
    logFile: string;
    logLevel: "debug" | "info" | "warn" | "error";
  };
  hook: {
    /** Absolute path of actk-hook, written into specs and hooks. */
    path: string;
    logFile: string;
  };
  cdi: {
    /** Directories searched for CDI specs, lowest priority first. */
    specDirs: string[];
    /** Annotation key prefixes that carry CDI device requests. */
    annotationPrefixes: string[];
    /** Kind used when an env var request is mapped to CDI names in cdi mode, per vendor. */
    defaultKind: Record<string, string>;
  };
  /** Vendor and engine plugin sections, keyed "vendor.nvidia", "engine.docker", … */
  plugins: Record<string, Record<string, unknown>>;
}

export interface LoadedConfig {
  config: ActkConfig;
  /** Where it came from: a file path, "defaults", or an NVIDIA config path. */
  source: string;
  format: "actk" | "nvidia" | "defaults";
  /** The actk config path that was looked for (also when it did not exist, so `config --set` knows where to write). */
  path?: string;
  /** For NVIDIA files: what each key became (mapped, ignored with a reason, unknown). */
  nvidiaKeys?: NvidiaKeyReport[];
  /** Problems that did not stop loading (unknown keys in an NVIDIA file, an invalid NVIDIA log level). */
  warnings?: string[];
}
