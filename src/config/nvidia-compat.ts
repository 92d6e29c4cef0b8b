/**
 * Reads an NVIDIA Container Toolkit config.toml (/etc/nvidia-container-runtime/config.toml)
 * as actk settings, so a host configured for nvidia-container-runtime keeps its
 * settings when it switches to actk. Keys actk has an equivalent for are mapped;
 * keys NVIDIA documents that actk has no use for are reported as ignored with
 * the reason; keys neither knows become warnings, never errors (NVIDIA's own
 * loader ignores them too).
 */
import { ActkError, ExitCode } from "../core/errors.js";
import { defaultConfig } from "./defaults.js";
import type { KeyType, PluginDefaults, ResolvedKey } from "./schema.js";
import type { ActkConfig, RuntimeMode } from "./types.js";

export interface NvidiaKeyReport {
  /** Dotted NVIDIA key, e.g. "nvidia-container-runtime.modes.cdi.spec-dirs". */
  key: string;
  value: unknown;
  status: "mapped" | "ignored" | "unknown";
  /** The actk key it became (mapped). */
  actkKey?: string;
  /** Why it has no effect (ignored) or what to check (unknown). */
  reason?: string;
}

export interface NvidiaMappingResult {
  config: ActkConfig;
  report: NvidiaKeyReport[];
  warnings: string[];
}

/** Top-level keys and tables only an NVIDIA config.toml has. */
const MARKERS = [
  "nvidia-container-runtime", "nvidia-container-cli", "nvidia-container-runtime-hook", "nvidia-ctk",
  "supported-driver-capabilities", "disable-require", "swarm-resource",
  "accept-nvidia-visible-devices-envvar-when-unprivileged", "accept-nvidia-visible-devices-as-volume-mounts",
];

export function isNvidiaConfig(doc: Record<string, unknown>): boolean {
  return MARKERS.some((k) => k in doc);
}

type Conv = (v: unknown, key: string, file?: string) => unknown;
interface Mapped { actk: string; conv: Conv }

function badValue(key: string, expected: string, file?: string): ActkError {
  return new ActkError(`expected ${expected}`, {
    file, place: key, exitCode: ExitCode.badInput, unchanged: true, fix: `write ${key} as ${expected}`,
  });
}
const asString: Conv = (v, key, file) => { if (typeof v !== "string") throw badValue(key, "a string", file); return v; };
const asBool: Conv = (v, key, file) => { if (typeof v !== "boolean") throw badValue(key, "a boolean (true or false)", file); return v; };
const asList: Conv = (v, key, file) => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw badValue(key, "a list of strings", file);
  return [...v];
};
/** NVIDIA writes these lists as one comma-separated string. */
const commaList: Conv = (v, key, file) => (asString(v, key, file) as string).split(",").map((s) => s.trim()).filter((s) => s !== "");

const MODES: Record<string, RuntimeMode> = { auto: "auto", legacy: "legacy", cdi: "cdi", csv: "csv", "jit-cdi": "jit" };
const LOG_LEVELS: Record<string, ActkConfig["runtime"]["logLevel"]> = {
  trace: "debug", debug: "debug", info: "info", warn: "warn", warning: "warn", error: "error", fatal: "error", panic: "error",
};

const MAPPED: Record<string, Mapped> = {
  "accept-nvidia-visible-devices-envvar-when-unprivileged": { actk: "plugins.nvidia.accept-envvar-unprivileged", conv: asBool },
  "accept-nvidia-visible-devices-as-volume-mounts": { actk: "plugins.nvidia.accept-device-list-as-volume-mounts", conv: asBool },
  "supported-driver-capabilities": { actk: "plugins.nvidia.supported-driver-capabilities", conv: commaList },
  "disable-require": { actk: "plugins.nvidia.disable-require", conv: asBool },
  "swarm-resource": { actk: "plugins.nvidia.swarm-resource", conv: commaList },
  "nvidia-container-runtime.debug": { actk: "runtime.log-file", conv: asString },
  "nvidia-container-runtime.log-level": { actk: "runtime.log-level", conv: asString },
  "nvidia-container-runtime.mode": {
    actk: "runtime.mode",
    conv: (v, key, file) => {
      const m = MODES[asString(v, key, file) as string];
      if (!m) {
        throw new ActkError(`invalid mode "${String(v)}"`, {
          file, place: key, exitCode: ExitCode.badInput, unchanged: true,
          fix: `set it to one of ${Object.keys(MODES).join(", ")} (nvidia-container-runtime rejects it too)`,
        });
      }
      return m;
    },
  },
  "nvidia-container-runtime.runtimes": { actk: "runtime.runtimes", conv: asList },
  "nvidia-container-runtime.modes.cdi.default-kind": { actk: "cdi.default-kind.nvidia", conv: asString },
  "nvidia-container-runtime.modes.cdi.annotation-prefixes": { actk: "cdi.annotation-prefixes", conv: asList },
  "nvidia-container-runtime.modes.cdi.spec-dirs": { actk: "cdi.spec-dirs", conv: asList },
};

const CLI = "actk does not run nvidia-container-cli (libnvidia-container); it injects devices itself";
const HOOK = "names NVIDIA's own binary; actk writes its own hook (hook.path), so this path is not used";
const IGNORED: Record<string, string> = {
  "nvidia-container-cli.root": `${CLI}; point --host-root or the vendor's driver root at a containerised driver instead`,
  "nvidia-container-cli.path": CLI,
  "nvidia-container-cli.environment": CLI,
  "nvidia-container-cli.debug": `${CLI}; actk-hook logs to hook.log-file`,
  "nvidia-container-cli.ldcache": CLI,
  "nvidia-container-cli.load-kmods": CLI,
  "nvidia-container-cli.no-pivot": CLI,
  "nvidia-container-cli.no-cgroups": `${CLI}; device cgroup rules come from the OCI spec actk writes`,
  "nvidia-container-cli.user": CLI,
  "nvidia-container-cli.ldconfig": `${CLI}; actk never runs ldconfig from a path in the config`,
  "nvidia-container-runtime.modes.csv.mount-spec-path": "actk's csv mode has no configurable mount-spec directory yet",
  "nvidia-container-runtime.modes.csv.compat-container-root": "CUDA forward-compat settings have no actk equivalent yet",
  "nvidia-container-runtime.modes.jit-cdi.nvcdi-feature-flags": "nvcdi feature flags are specific to NVIDIA's spec generator",
  "nvidia-container-runtime.modes.jit-cdi.nvcdi-disable-hooks": "nvcdi hook names are specific to NVIDIA's spec generator",
  "nvidia-container-runtime.modes.legacy.cuda-compat-mode": "CUDA forward-compat settings have no actk equivalent yet",
  "nvidia-container-runtime-hook.path": HOOK,
  "nvidia-container-runtime-hook.skip-mode-detection": "actk-hook does not check the runtime mode",
  "nvidia-ctk.path": HOOK,
  "features.allow-cuda-compat-libs-from-container": "actk never uses compat libraries from the container image",
  "features.allow-ldconfig-from-container": "actk never runs ldconfig from the container image (CVE-2024-0136/0137)",
  "features.allow-unknown-oci-spec-fields": "actk-runtime always keeps unknown OCI spec fields as they are",
  "features.disable-cuda-compat-lib-hook": "CUDA forward-compat settings have no actk equivalent yet",
  "features.disable-imex-channel-creation": "IMEX channel settings have no actk equivalent yet",
  "features.ignore-imex-channel-requests": "IMEX channel settings have no actk equivalent yet",
  "features.no-additional-gids-for-device-nodes": "this feature flag has no actk equivalent yet",
};

/** Tables that only group keys (their leaves are reported, not the table itself). */
const GROUPS = new Set([
  "nvidia-container-runtime", "nvidia-container-runtime.modes", "nvidia-container-runtime.modes.cdi",
  "nvidia-container-runtime.modes.csv", "nvidia-container-runtime.modes.jit-cdi", "nvidia-container-runtime.modes.legacy",
  "nvidia-container-cli", "nvidia-container-runtime-hook", "nvidia-ctk", "features",
]);

/** The NVIDIA keys actk knows, mapped or ignored (for docs/config.md and `actk config show`). */
export const nvidiaKnownKeys: ReadonlyArray<{ key: string; actkKey?: string; reason?: string }> = [
  ...Object.entries(MAPPED).map(([key, m]) => ({ key, actkKey: m.actk })),
  ...Object.entries(IGNORED).map(([key, reason]) => ({ key, reason })),
];

function isTable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);
}

function put(config: ActkConfig, actkKey: string, value: unknown, pluginDefaults?: PluginDefaults): void {
  const [top, a, b] = actkKey.split(".") as [string, string, string?];
  if (top === "plugins") {
    const field = (b as string).replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    const section = (config.plugins[`vendor.${a}`] ??= { ...(pluginDefaults?.[`vendor.${a}`] ?? {}) });
    section[field] = value;
    return;
  }
  switch (actkKey) {
    case "runtime.mode": config.runtime.mode = value as RuntimeMode; break;
    case "runtime.runtimes": config.runtime.runtimes = value as string[]; break;
    case "runtime.log-file": config.runtime.logFile = value as string; break;
    case "runtime.log-level": config.runtime.logLevel = value as ActkConfig["runtime"]["logLevel"]; break;
    case "cdi.default-kind.nvidia": config.cdi.defaultKind.nvidia = value as string; break;
    case "cdi.annotation-prefixes": config.cdi.annotationPrefixes = value as string[]; break;
    case "cdi.spec-dirs": config.cdi.specDirs = value as string[]; break;
    default: throw new ActkError(`no actk key ${actkKey}`, { exitCode: ExitCode.internal });
  }
}

/** Maps a parsed NVIDIA config.toml onto actk's defaults. */
export function configFromNvidiaToml(
  doc: Record<string, unknown>,
  opts: { file?: string; pluginDefaults?: PluginDefaults } = {},
): NvidiaMappingResult {
  const { file, pluginDefaults } = opts;
  const config = defaultConfig();
  for (const [pk, section] of Object.entries(pluginDefaults ?? {})) config.plugins[pk] = { ...section };
  const report: NvidiaKeyReport[] = [];
  const warnings: string[] = [];

  const walk = (table: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(table)) {
      const key = prefix ? `${prefix}.${name}` : name;
      const mapped = MAPPED[key];
      if (mapped) {
        let v = mapped.conv(value, key, file);
        if (key === "nvidia-container-runtime.log-level") {
          const level = LOG_LEVELS[(v as string).toLowerCase()];
          if (!level) {
            warnings.push(`${key} = "${String(v)}" is not a log level; using "info" (as nvidia-container-runtime does)`);
            v = "info";
          } else v = level;
        }
        put(config, mapped.actk, v, pluginDefaults);
        report.push({ key, value, status: "mapped", actkKey: mapped.actk });
      } else if (IGNORED[key] !== undefined) {
        report.push({ key, value, status: "ignored", reason: IGNORED[key] });
      } else if (GROUPS.has(key) && isTable(value)) {
        walk(value, key);
      } else {
        const reason = "not an NVIDIA Container Toolkit key actk knows; check its spelling";
        report.push({ key, value, status: "unknown", reason });
        warnings.push(`${file ? `${file}: ` : ""}${key}: ${reason}; it is ignored`);
      }
    }
  };
  walk(doc, "");
  return { config, report, warnings };
}

/** Types of NVIDIA's keys (research: api/config/v1), so `actk config --set` can edit an NVIDIA file in place. */
const NVIDIA_TYPES: Record<string, KeyType> = {
  "accept-nvidia-visible-devices-envvar-when-unprivileged": "bool",
  "accept-nvidia-visible-devices-as-volume-mounts": "bool",
  "supported-driver-capabilities": "string",
  "disable-require": "bool",
  "swarm-resource": "string",
  "nvidia-container-cli.root": "string",
  "nvidia-container-cli.path": "string",
  "nvidia-container-cli.environment": "string-list",
  "nvidia-container-cli.debug": "string",
  "nvidia-container-cli.ldcache": "string",
  "nvidia-container-cli.load-kmods": "bool",
  "nvidia-container-cli.no-pivot": "bool",
  "nvidia-container-cli.no-cgroups": "bool",
  "nvidia-container-cli.user": "string",
  "nvidia-container-cli.ldconfig": "string",
  "nvidia-container-runtime.debug": "string",
  "nvidia-container-runtime.log-level": "string",
  "nvidia-container-runtime.runtimes": "string-list",
  "nvidia-container-runtime.mode": "enum",
  "nvidia-container-runtime.modes.csv.mount-spec-path": "string",
  "nvidia-container-runtime.modes.csv.compat-container-root": "string",
  "nvidia-container-runtime.modes.cdi.default-kind": "string",
  "nvidia-container-runtime.modes.cdi.annotation-prefixes": "string-list",
  "nvidia-container-runtime.modes.cdi.spec-dirs": "string-list",
  "nvidia-container-runtime.modes.jit-cdi.nvcdi-feature-flags": "string-list",
  "nvidia-container-runtime.modes.jit-cdi.nvcdi-disable-hooks": "string-list",
  "nvidia-container-runtime.modes.legacy.cuda-compat-mode": "enum",
  "nvidia-container-runtime-hook.path": "string",
  "nvidia-container-runtime-hook.skip-mode-detection": "bool",
  "nvidia-ctk.path": "string",
};
const NVIDIA_ENUMS: Record<string, readonly string[]> = {
  "nvidia-container-runtime.mode": Object.keys(MODES),
  "nvidia-container-runtime.modes.legacy.cuda-compat-mode": ["ldconfig", "mount", "disabled", "hook"],
};

/** NVIDIA's keys as settable keys (features.* are booleans). */
export function nvidiaSettableKeys(): ResolvedKey[] {
  const out: ResolvedKey[] = Object.entries(NVIDIA_TYPES).map(([key, type]) => ({
    path: key.split("."), type, ...(NVIDIA_ENUMS[key] ? { values: NVIDIA_ENUMS[key] } : {}), listSeparators: [":", ","],
  }));
  for (const key of Object.keys(IGNORED)) if (key.startsWith("features.")) out.push({ path: key.split("."), type: "bool" });
  return out;
}
