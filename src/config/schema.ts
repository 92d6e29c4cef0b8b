/**
 * The declarative config schema: every actk key with its TOML name, type,
 * default and meaning. Validation, the commented default file and `--set`
 * typing are all derived from this one table, so they cannot drift apart.
 *
 * Vendor and engine plugin sections are not listed here (shared code never
 * imports a vendor): their keys and types come from the registrations'
 * default `config` values, passed in as `pluginDefaults`.
 */
import { ActkError, ExitCode } from "../core/errors.js";
import { kindError } from "../cdi/names.js";
import { defaultConfig } from "./defaults.js";
import type { ActkConfig } from "./types.js";

export type KeyType = "bool" | "string" | "string-list" | "enum" | "int";

export interface KeySpec {
  /** Dotted TOML path, e.g. "runtime.log-file". */
  key: string;
  type: KeyType;
  /** Where the value lives in ActkConfig. */
  field: readonly string[];
  description: string;
  /** Allowed values for enums. */
  values?: readonly string[];
  /** What the type alone cannot say: the problem with a well-typed value and its fix, or undefined. */
  rule?: (v: unknown) => { problem: string; fix: string } | undefined;
}

// Rules of values. A value that passes its type but not these would be accepted by `config validate`
// and fail later, at a container start, or quietly do something else (a relative spec dir is read
// relative to whatever the working directory is).
type RuleProblem = { problem: string; fix: string } | undefined;
const notAbsolute = (shown: string, example: string): RuleProblem => ({ problem: `${shown} is not an absolute path`, fix: `write the path from /, e.g. ${example}` });
const absolutePath = (example: string) => (v: unknown): RuleProblem =>
  typeof v === "string" && !v.startsWith("/") ? notAbsolute(`"${v}"`, example) : undefined;
const absoluteOrEmpty = (v: unknown): RuleProblem =>
  typeof v === "string" && v !== "" && !v.startsWith("/") ? { problem: `"${v}" is not an absolute path`, fix: "write the path from /, or \"\" for no log file" } : undefined;
const listOf = (item: (v: string) => RuleProblem, opts: { nonEmpty?: string } = {}) =>
  (v: unknown): RuleProblem => {
    if (!Array.isArray(v)) return undefined;
    if (opts.nonEmpty && v.length === 0) return { problem: "the list is empty", fix: opts.nonEmpty };
    for (const [i, x] of v.entries()) {
      const r = item(String(x));
      if (r) return { problem: `item ${i + 1} ${r.problem}`, fix: r.fix };
    }
    return undefined;
  };
const nonEmptyItem = (x: string): RuleProblem => (x === "" ? { problem: "is empty", fix: "remove the empty item" } : undefined);
const absoluteItem = (example: string) => (x: string): RuleProblem => (x.startsWith("/") ? undefined : notAbsolute(`(${JSON.stringify(x)})`, example));
const cdiKind = (v: unknown): RuleProblem => {
  const e = typeof v === "string" ? kindError(v) : undefined;
  return e ? { problem: `"${String(v)}" is not a CDI kind: ${e}`, fix: "write vendor.com/class, e.g. nvidia.com/gpu" } : undefined;
};

/** Plugin default sections keyed like ActkConfig.plugins ("vendor.nvidia"), camelCase keys. */
export type PluginDefaults = Record<string, Record<string, unknown>>;

export const configKeys: readonly KeySpec[] = [
  // First in the file: actk-runtime's sh launcher reads the file up to this key on every runtime
  // call, one byte per read(2) (dash), ≈0.15 ms per 100 bytes.
  {
    key: "runtime.runtimes", type: "string-list", field: ["runtime", "runtimes"],
    description: "low-level OCI runtimes to try, in order (absolute paths or names looked up in PATH)",
    rule: listOf(nonEmptyItem, { nonEmpty: "name at least one runtime, e.g. [\"runc\"]" }),
  },
  {
    key: "runtime.mode", type: "enum", field: ["runtime", "mode"], values: ["auto", "jit", "cdi", "legacy", "csv"],
    description:
      "how actk-runtime injects devices: auto lets it choose for the host; jit computes the edits at container start; " +
      "cdi takes them from CDI specs; legacy uses the actk-hook prestart hook; csv uses Jetson/Tegra file lists",
  },
  {
    key: "runtime.log-file", type: "string", field: ["runtime", "logFile"], description: "log file of actk-runtime (it never logs to stdout)",
    rule: absoluteOrEmpty,
  },
  {
    key: "runtime.log-level", type: "enum", field: ["runtime", "logLevel"], values: ["debug", "info", "warn", "error"],
    description: "least severe level actk-runtime writes",
  },
  {
    key: "hook.path", type: "string", field: ["hook", "path"], description: "absolute path of actk-hook, written into CDI specs and OCI hooks",
    rule: absolutePath("/usr/local/bin/actk-hook"),
  },
  { key: "hook.log-file", type: "string", field: ["hook", "logFile"], description: "log file of actk-hook", rule: absoluteOrEmpty },
  {
    key: "cdi.spec-dirs", type: "string-list", field: ["cdi", "specDirs"], description: "directories searched for CDI specs, lowest priority first",
    rule: listOf(absoluteItem("/etc/cdi")),
  },
  {
    key: "cdi.annotation-prefixes", type: "string-list", field: ["cdi", "annotationPrefixes"],
    description: "annotation key prefixes that carry CDI device requests",
    rule: listOf(nonEmptyItem),
  },
  {
    key: "cdi.default-kind.nvidia", type: "string", field: ["cdi", "defaultKind", "nvidia"],
    description: "CDI kind for NVIDIA env var requests in cdi mode", rule: cdiKind,
  },
  {
    key: "cdi.default-kind.ascend", type: "string", field: ["cdi", "defaultKind", "ascend"],
    description: "CDI kind for Ascend env var requests in cdi mode", rule: cdiKind,
  },
  {
    key: "cdi.default-kind.amd", type: "string", field: ["cdi", "defaultKind", "amd"], description: "CDI kind for AMD env var requests in cdi mode",
    rule: cdiKind,
  },
];

// ---------------------------------------------------------------------------
// Names

export function kebabToCamel(s: string): string {
  return s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function camelToKebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** "vendor.nvidia" → ["actk.vendor.v1", "nvidia"], the TOML table under [plugins]. */
export function pluginTablePath(pluginKey: string): [string, string] {
  const dot = pluginKey.indexOf(".");
  return [`actk.${pluginKey.slice(0, dot)}.v1`, pluginKey.slice(dot + 1)];
}

/** "actk.vendor.v1" + "nvidia" → "vendor.nvidia"; undefined for a type that is not actk.<x>.v<n>. */
export function pluginKeyOf(tomlType: string, id: string): string | undefined {
  const m = /^actk\.([a-z0-9-]+)\.v\d+$/.exec(tomlType);
  return m ? `${m[1]}.${id}` : undefined;
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment), for "did you mean …?". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_v, i) => Array.from({ length: b.length + 1 }, (_w, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The closest candidate when it is close enough to be a typo, else undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) { best = c; bestD = d; }
  }
  const last = (s: string): string => s.slice(s.lastIndexOf(".") + 1);
  if (best === undefined) return undefined;
  // One edit per three letters of the last segment, at least one: "foo" is not a typo of "hook".
  const limit = Math.max(1, Math.floor(last(word).length / 3));
  // A match on the last segment alone (runtime.spec-dirs → cdi.spec-dirs) also counts.
  if (bestD <= limit) return best;
  const byLast = candidates.find((c) => last(c) === last(word));
  return byLast;
}

// ---------------------------------------------------------------------------
// Types of plugin keys, derived from their default values

export function typeOfDefault(v: unknown): KeyType | undefined {
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "string";
  if (typeof v === "number" && Number.isInteger(v)) return "int";
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return "string-list";
  return undefined;
}

/** Every settable key: the schema's and the plugins' (as plugins."actk.<type>.v1".<id>.<key>). */
export interface ResolvedKey {
  /** TOML path segments. */
  path: string[];
  type: KeyType;
  values?: readonly string[];
  /** For `--set`: list separators tried in order (default ","; NVIDIA keys use ":" then ",", like nvidia-ctk). */
  listSeparators?: readonly string[];
  /** Set for plugin keys: the ActkConfig.plugins key and the camelCase field. */
  plugin?: { key: string; field: string };
  spec?: KeySpec;
}

export function displayKey(path: readonly string[]): string {
  return path.map((s) => (/^[A-Za-z0-9_-]+$/.test(s) ? s : JSON.stringify(s))).join(".");
}

export function allKeys(pluginDefaults: PluginDefaults = {}): ResolvedKey[] {
  const out: ResolvedKey[] = configKeys.map((s) => ({
    path: s.key.split("."), type: s.type, ...(s.values ? { values: s.values } : {}), spec: s,
  }));
  for (const [pk, section] of Object.entries(pluginDefaults)) {
    const [t, id] = pluginTablePath(pk);
    for (const [field, v] of Object.entries(section ?? {})) {
      const type = typeOfDefault(v);
      if (!type) continue;
      out.push({ path: ["plugins", t, id, camelToKebab(field)], type, plugin: { key: pk, field } });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Value checks

function describeType(t: KeyType, values?: readonly string[]): string {
  switch (t) {
    case "bool": return "a boolean (true or false)";
    case "string": return "a string";
    case "string-list": return "a list of strings, e.g. [\"a\", \"b\"]";
    case "int": return "an integer";
    case "enum": return `one of ${(values ?? []).map((v) => `"${v}"`).join(", ")}`;
  }
}

function tomlTypeName(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v !== null && typeof v === "object") return v instanceof Date ? "a date" : "a table";
  if (typeof v === "bigint") return "an integer";
  return `a ${typeof v}`;
}

/** Checks one value against its key's type; returns the value as ActkConfig stores it. */
export function checkValue(key: ResolvedKey, v: unknown, file?: string): unknown {
  const where = displayKey(key.path);
  const bad = (): never => {
    const fix = key.type === "enum" ? `set ${where} to ${describeType("enum", key.values)}` : `write ${where} as ${describeType(key.type)}`;
    let got = tomlTypeName(v);
    if (key.type === "enum" && typeof v === "string") {
      const s = suggest(v, key.values ?? []);
      got = `"${v}"${s ? ` (did you mean "${s}"?)` : ""}`;
    }
    throw new ActkError(`expected ${describeType(key.type, key.values)}, got ${got}`, {
      file, place: where, fix, exitCode: ExitCode.badInput, unchanged: true,
    });
  };
  const rule = key.spec?.rule?.(v);
  if (rule) {
    throw new ActkError(rule.problem, { file, place: where, fix: rule.fix, exitCode: ExitCode.badInput, unchanged: true });
  }
  switch (key.type) {
    case "bool": return typeof v === "boolean" ? v : bad();
    case "string": return typeof v === "string" ? v : bad();
    case "int":
      if (typeof v === "bigint" && Number.isSafeInteger(Number(v))) return Number(v);
      return typeof v === "number" && Number.isInteger(v) ? v : bad();
    case "enum": return typeof v === "string" && (key.values ?? []).includes(v) ? v : bad();
    case "string-list": return Array.isArray(v) && v.every((x) => typeof x === "string") ? [...v] : bad();
  }
}

// ---------------------------------------------------------------------------
// Validation of a parsed actk TOML document → ActkConfig

function isTable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);
}

function setField(target: Record<string, unknown>, field: readonly string[], value: unknown): void {
  let t = target;
  for (const f of field.slice(0, -1)) {
    if (!isTable(t[f])) t[f] = {};
    t = t[f] as Record<string, unknown>;
  }
  t[field[field.length - 1] as string] = value;
}

export function getField(source: unknown, field: readonly string[]): unknown {
  let t = source;
  for (const f of field) {
    if (!isTable(t)) return undefined;
    t = t[f];
  }
  return t;
}

function unknownKey(path: string[], candidates: string[], file: string | undefined, hint?: string): ActkError {
  const shown = displayKey(path);
  // [plugins.nvidia] for [plugins."actk.vendor.v1".nvidia]: the section of the plugin with that id.
  const pluginSection = path[0] === "plugins" && path.length >= 2 && !/^actk\.[a-z0-9-]+\.v\d+$/.test(path[1] as string)
    ? candidates.find((c) => c.startsWith("plugins.\"actk.") && c.endsWith(`.${path[1] as string}`))
    : undefined;
  if (path[0] === "plugins" && path.length >= 2 && !pluginSection && !/^actk\./.test(path[1] as string)) {
    hint ??= 'plugin sections are [plugins."actk.<type>.v1".<id>], e.g. [plugins."actk.vendor.v1".nvidia]';
  }
  const s = pluginSection ?? suggest(shown, candidates);
  return new ActkError(`unknown key${s ? ` (did you mean ${s}?)` : ""}`, {
    file, place: shown, exitCode: ExitCode.badInput, unchanged: true,
    fix: s ? `rename it to ${s}${hint ? `; ${hint}` : ""}` : `remove it${hint ? `; ${hint}` : "; see `actk config default` for every key"}`,
  });
}

/**
 * Validates a parsed actk config document and merges it over the defaults.
 * pluginDefaults undefined: plugin sections are taken as written (kebab keys
 * turned camelCase) because the caller has no registrations to check them against.
 */
export function configFromToml(doc: Record<string, unknown>, opts: { file?: string; pluginDefaults?: PluginDefaults } = {}): ActkConfig {
  const { file, pluginDefaults } = opts;
  const config = defaultConfig() as unknown as Record<string, unknown>;
  const keys = allKeys(pluginDefaults);
  const leafByName = new Map(keys.map((k) => [k.path.join("\u0000"), k]));
  const tablePrefixes = new Set<string>();
  for (const k of keys) for (let i = 1; i < k.path.length; i++) tablePrefixes.add(k.path.slice(0, i).join("\u0000"));
  tablePrefixes.add("plugins");
  for (const pk of Object.keys(pluginDefaults ?? {})) {
    const [t, id] = pluginTablePath(pk);
    tablePrefixes.add(["plugins", t].join("\u0000"));
    tablePrefixes.add(["plugins", t, id].join("\u0000"));
  }

  // Candidates for "did you mean": every key and every table name.
  const fullNames = [...keys.map((k) => displayKey(k.path)), ...[...tablePrefixes].map((t) => displayKey(t.split("\u0000")))];
  const pluginSections: Record<string, Record<string, unknown>> = {};
  for (const [pk, section] of Object.entries(pluginDefaults ?? {})) pluginSections[pk] = { ...section };

  const walk = (table: Record<string, unknown>, path: string[]): void => {
    for (const [name, value] of Object.entries(table)) {
      const p = [...path, name];
      const id = p.join("\u0000");
      // Plugin sections: plugins."actk.<type>.v1".<id>
      if (p.length === 3 && p[0] === "plugins" && pluginDefaults === undefined) {
        const pk = pluginKeyOf(p[1] as string, name);
        if (!pk || !isTable(value)) throw unknownKey(p, fullNames, file, "plugin sections are [plugins.\"actk.<type>.v1\".<id>]");
        const section: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) section[kebabToCamel(k)] = typeof v === "bigint" ? Number(v) : v;
        pluginSections[pk] = { ...(pluginSections[pk] ?? {}), ...section };
        continue;
      }
      if (p.length === 2 && p[0] === "plugins" && pluginDefaults === undefined) {
        if (!isTable(value)) throw unknownKey(p, fullNames, file);
        walk(value, p);
        continue;
      }
      const leaf = leafByName.get(id);
      if (leaf) {
        const v = checkValue(leaf, value, file);
        if (leaf.plugin) (pluginSections[leaf.plugin.key] ??= {})[leaf.plugin.field] = v;
        else if (leaf.spec) setField(config, leaf.spec.field, v);
        continue;
      }
      if (tablePrefixes.has(id)) {
        if (!isTable(value)) {
          throw new ActkError(`expected a table, got ${tomlTypeName(value)}`, {
            file, place: displayKey(p), exitCode: ExitCode.badInput, unchanged: true,
            fix: `write it as [${displayKey(p)}] with its keys below`,
          });
        }
        walk(value, p);
        continue;
      }
      throw unknownKey(p, fullNames, file);
    }
  };
  walk(doc, []);
  config.plugins = pluginSections;
  return config as unknown as ActkConfig;
}

// ---------------------------------------------------------------------------
// The commented default file

/**
 * A TOML basic string. JSON's escapes are TOML's, except that TOML also wants
 * DEL escaped and has no escape for a lone surrogate (which becomes U+FFFD).
 */
function tomlString(s: string): string {
  const wellFormed = s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  return JSON.stringify(wellFormed).replace(/\u007f/g, "\\u007F");
}

function tomlValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => tomlValue(x)).join(", ")}]`;
  if (typeof v === "string") return tomlString(v);
  return String(v);
}

/** A TOML literal for a key's value (strings JSON-quoted, which TOML basic strings accept). */
export function formatTomlValue(v: unknown): string {
  return tomlValue(v);
}

function wrap(text: string, width = 96): string[] {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let cur = "";
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width) { lines.push(cur); cur = w; }
    else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines;
}

/**
 * The default config file: every key with its default, a comment above it
 * saying what it does. Keys are written uncommented so that `--set` on a copy
 * of this file changes exactly one line.
 */
export function renderDefaultConfig(pluginDefaults: PluginDefaults = {}): string {
  return renderConfigFile(defaultConfig(), pluginDefaults);
}

/**
 * A complete config file with the values of `config` (used to start an actk
 * file from the settings of an NVIDIA config.toml). Plugin keys are those the
 * plugins' defaults declare.
 */
export function renderConfigFile(config: ActkConfig, pluginDefaults: PluginDefaults = {}): string {
  const defaults = config;
  const describe = (s: KeySpec, lead = ""): string[] => wrap(lead + s.description + (s.values ? ` (${s.values.join(", ")})` : "")).map((l) => `# ${l}`);
  const keyLine = (s: KeySpec): string => `${s.key.split(".").pop()} = ${tomlValue(getField(defaults, s.field))}`;
  // runtime.runtimes opens the file: actk-runtime's sh launcher reads the file up to that line, one byte per
  // read(2), before every runtime command of every container (docs/runtime.md "Speed").
  const first = configKeys.find((s) => s.key === "runtime.runtimes");
  const lines: string[] = first ? ["[runtime]", keyLine(first)] : [];
  lines.push(
    "# actk configuration (TOML). Every key is listed with what it does; `actk config default` shows the defaults.",
    "# Location: --config-file, else $ACTK_CONFIG_FILE, else $XDG_CONFIG_HOME/actk/config.toml,",
    "# else /etc/actk/config.toml. Change a key with `actk config --set KEY=VALUE --in-place`.",
  );
  if (first) lines.push(...describe(first, "runtimes, above, first in the file on purpose (actk-runtime reads the file up to it on every call): "));
  // The rest of [runtime] comes next, under the header the file opened with.
  const tables = new Map<string, KeySpec[]>(first ? [["runtime", []]] : []);
  for (const s of configKeys) {
    if (s === first) continue;
    const table = s.key.split(".").slice(0, -1).join(".");
    (tables.get(table) ?? tables.set(table, []).get(table))?.push(s);
  }
  for (const [table, specs] of tables) {
    lines.push("");
    if (!(first && table === "runtime")) lines.push(`[${table}]`);
    for (const s of specs) lines.push(...describe(s), keyLine(s));
  }
  for (const [pk, section] of Object.entries(pluginDefaults)) {
    // A plugin without settable keys gets no (empty) table.
    if (!Object.values(section ?? {}).some((v) => typeOfDefault(v))) continue;
    const [t, id] = pluginTablePath(pk);
    lines.push("", `# Settings of the ${id} ${t.split(".")[1]} plugin (described in docs/config.md, "Plugin sections").`, `[plugins.${JSON.stringify(t)}.${id}]`);
    for (const [field, v] of Object.entries(section ?? {})) {
      if (!typeOfDefault(v)) continue;
      const value = config.plugins[pk]?.[field];
      lines.push(`${camelToKebab(field)} = ${tomlValue(value !== undefined && typeOfDefault(value) === typeOfDefault(v) ? value : v)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Plugin default sections from registrations (those whose config is a table), keyed "vendor.nvidia". */
export function pluginDefaultsOf(registrations: ReadonlyArray<{ type: string; id: string; config?: unknown }>): PluginDefaults {
  const out: PluginDefaults = {};
  for (const r of registrations) {
    if (!isTable(r.config)) continue;
    const short = /^actk\.([a-z0-9-]+)\.v\d+$/.exec(r.type)?.[1];
    if (short) out[`${short}.${r.id}`] = { ...r.config };
  }
  return out;
}
