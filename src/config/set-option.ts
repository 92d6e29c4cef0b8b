/**
 * `--set key[=value]` typed by the schema (nvidia-ctk compatible):
 * booleans take true/false (and Go ParseBool's 1/t/T/TRUE/…, as nvidia-ctk
 * does), a bare `--set key` means true for booleans only, lists are `a,b`
 * and repeated `--set key=a --set key=b` accumulate, strings take the raw
 * text after the first `=`.
 */
import { ActkError, ExitCode } from "../core/errors.js";
import { displayKey, suggest, type ResolvedKey } from "./schema.js";

export interface Assignment {
  key: ResolvedKey;
  /** The value as it goes into TOML (and ActkConfig). */
  value: unknown;
}

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** Every name a key can be set by: its dotted TOML path, and short forms for plugin keys. */
export function keyAliases(key: ResolvedKey): string[] {
  const names = [displayKey(key.path), key.path.join(".")];
  if (key.plugin) {
    const [, type, id, name] = key.path as [string, string, string, string];
    const short = type.split(".")[1] ?? type;
    names.push(`plugins.${id}.${name}`, `plugins.${short}.${id}.${name}`);
  }
  return names;
}

function setError(raw: string, message: string, fix: string, place?: string): ActkError {
  return new ActkError(message, { place: place ?? `--set ${raw}`, fix, exitCode: ExitCode.usage, unchanged: true });
}

export function parseSetValue(key: ResolvedKey, raw: string, text: string | undefined): unknown {
  const name = displayKey(key.path);
  if (text === undefined) {
    if (key.type === "bool") return true;
    throw setError(raw, "expected KEY=VALUE", `write --set ${name}=VALUE (only booleans may omit the value)`);
  }
  switch (key.type) {
    case "bool":
      if (TRUE.has(text)) return true;
      if (FALSE.has(text)) return false;
      throw setError(raw, `${name} is a boolean, got "${text}"`, `write --set ${name}=true or --set ${name}=false`);
    case "int":
      if (/^[+-]?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
      throw setError(raw, `${name} is an integer, got "${text}"`, `write --set ${name}=NUMBER`);
    case "enum": {
      if ((key.values ?? []).includes(text)) return text;
      const s = suggest(text, key.values ?? []);
      throw setError(raw, `${name} must be one of ${(key.values ?? []).join(", ")}, got "${text}"${s ? ` (did you mean "${s}"?)` : ""}`,
        `write --set ${name}=${s ?? key.values?.[0] ?? "VALUE"}`);
    }
    case "string":
      return text;
    case "string-list": {
      if (text === "") return [];
      const sep = (key.listSeparators ?? [","]).find((x) => text.includes(x));
      return sep ? text.split(sep) : [text];
    }
  }
}

/**
 * Parses every `--set` against the given keys. The result has one entry per
 * key, in first-seen order; a later scalar wins, list values accumulate.
 */
export function parseSetOptions(raws: readonly string[], keys: readonly ResolvedKey[]): Assignment[] {
  const byName = new Map<string, ResolvedKey>();
  for (const k of keys) for (const a of keyAliases(k)) if (!byName.has(a)) byName.set(a, k);
  const out = new Map<ResolvedKey, Assignment>();
  for (const raw of raws) {
    const eq = raw.indexOf("=");
    const name = (eq < 0 ? raw : raw.slice(0, eq)).trim();
    const text = eq < 0 ? undefined : raw.slice(eq + 1);
    if (name === "") throw setError(raw, "expected KEY=VALUE", "write --set KEY=VALUE, e.g. --set runtime.mode=cdi");
    const key = byName.get(name);
    if (!key) {
      const s = suggest(name, [...byName.keys()].filter((n) => !n.includes("\"")));
      throw setError(raw, `unknown key ${name}${s ? ` (did you mean ${s}?)` : ""}`,
        s ? `write --set ${s}${text === undefined ? "" : `=${text}`}` : "see `actk config default` for every key", `--set ${name}`);
    }
    const value = parseSetValue(key, raw, text);
    const prev = out.get(key);
    if (prev && key.type === "string-list") prev.value = [...(prev.value as string[]), ...(value as string[])];
    else out.set(key, { key, value });
  }
  return [...out.values()];
}
