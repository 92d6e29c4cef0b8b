/**
 * Format-preserving edits of TOML engine configs (containerd, CRI-O, podman).
 *
 * New tables (a runtime, a missing plugin section) are appended as text at the
 * end of the file, written in the file's own indentation style, under a comment
 * that says actk added them; values in tables that already exist are changed
 * with @decimalturn/toml-patch, which rewrites only the lines of the values it
 * changes and keeps comments, key order and whitespace. Every result is parsed
 * again with smol-toml and checked to hold exactly the values actk meant to set.
 */
import { parse as parsePreserving, patch } from "@decimalturn/toml-patch";
import { parse as parseStrict, TomlError } from "smol-toml";
import { ActkError, ExitCode } from "../core/errors.js";
import {
  deepEqual, getAt, hasAt, isPlainObject, revertChanges,
  type RevertOutcome, type ValueChange,
} from "./value-change.js";

export type TomlTable = Record<string, unknown>;

export const appendedHeader = "# Added by `actk runtime configure`; `actk runtime unconfigure` removes it.";

/** Parse TOML, turning a syntax error into an ActkError with line and column. */
export function parseTomlTable(text: string, file: string): TomlTable {
  try {
    parseStrict(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const first = (e.message.split("\n")[0] ?? e.message).replace(/^Invalid TOML document: /, "");
      throw new ActkError(`invalid TOML: ${first}`, {
        file, line: e.line, column: e.column, exitCode: ExitCode.badInput, unchanged: true,
        fix: "fix the TOML (or move the file aside) and run the command again",
      });
    }
    throw e;
  }
  return parsePreserving(text, { integersAsBigInt: false }) as TomlTable;
}

const bareKey = /^[A-Za-z0-9_-]+$/;

export function formatTomlKey(k: string): string {
  return bareKey.test(k) ? k : JSON.stringify(k);
}

/** A TOML value literal (inline form). */
export function formatTomlValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    const s = String(v);
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return `[${v.map(formatTomlValue).join(", ")}]`;
  if (isPlainObject(v)) return `{${Object.entries(v).map(([k, x]) => `${formatTomlKey(k)} = ${formatTomlValue(x)}`).join(", ")}}`;
  throw new Error(`cannot write ${typeof v} as TOML`);
}

interface TomlStyle {
  /** Headers indented by nesting depth (containerd's `config default` style). */
  indented: boolean;
  eol: string;
}

function detectStyle(text: string): TomlStyle {
  return { indented: /^[ \t]+\[/m.test(text), eol: text.includes("\r\n") ? "\r\n" : "\n" };
}

/** `[a.b]` with scalar keys first, then sub-tables. */
export function emitTable(path: readonly string[], table: TomlTable, style: TomlStyle): string[] {
  const pad = style.indented ? "  ".repeat(Math.max(0, path.length - 1)) : "";
  const keyPad = style.indented ? pad + "  " : "";
  const lines = [`${pad}[${path.map(formatTomlKey).join(".")}]`];
  const subs: [string, TomlTable][] = [];
  for (const [k, v] of Object.entries(table)) {
    if (isPlainObject(v)) subs.push([k, v]);
    else lines.push(`${keyPad}${formatTomlKey(k)} = ${formatTomlValue(v)}`);
  }
  for (const [k, v] of subs) lines.push("", ...emitTable([...path, k], v, style));
  return lines;
}

/**
 * Tables to append as text: new tables, and scalars whose table is not in the
 * original file (`original`), grouped per table and in path order.
 */
function blocksFor(original: TomlTable, changes: readonly ValueChange[]): { path: string[]; table: TomlTable }[] {
  const blocks: { path: string[]; table: TomlTable }[] = [];
  for (const c of changes) {
    if (c.op !== "set" || c.hadPrevious) continue;
    if (isPlainObject(c.value) && c.path.length > 1) {
      blocks.push({ path: c.path, table: structuredClone(c.value) });
    } else if (c.path.length > 1 && !hasAt(original, c.path.slice(0, -1))) {
      const tablePath = c.path.slice(0, -1);
      const existing = blocks.find((b) => b.path.join("\0") === tablePath.join("\0"));
      const key = c.path[c.path.length - 1] as string;
      if (existing) existing.table[key] = structuredClone(c.value);
      else blocks.push({ path: tablePath, table: { [key]: structuredClone(c.value) } });
    }
  }
  return blocks.sort((a, b) => (a.path.join("\0") < b.path.join("\0") ? -1 : 1));
}

export interface TomlEditResult {
  text: string;
  /** The text appended at the end ("" when nothing was). */
  appended: string;
}

/**
 * Apply changes (already computed against `parsed`) to the text. `desired` is
 * the parsed config with the changes applied.
 */
export function applyTomlChanges(text: string, file: string, desired: TomlTable, changes: readonly ValueChange[]): TomlEditResult {
  const style = detectStyle(text);
  const blocks = blocksFor(parsePreserving(text, { integersAsBigInt: false }) as TomlTable, changes);
  const attempts: (() => TomlEditResult)[] = [];
  if (blocks.length) {
    attempts.push(() => {
      const lines = [appendedHeader];
      blocks.forEach((b, i) => lines.push(...(i ? [""] : []), ...emitTable(b.path, b.table, style)));
      const base = text === "" || text.endsWith("\n") ? text : text + style.eol;
      const appended = (base === "" ? "" : style.eol) + lines.join(style.eol) + style.eol;
      return { text: patchTo(base + appended, desired), appended };
    });
  }
  attempts.push(() => ({ text: patchTo(text, desired), appended: "" }));
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      const result = attempt();
      if (holds(result.text, desired, changes)) return result;
    } catch (e) {
      lastError = e;
    }
  }
  throw new ActkError("could not edit the TOML without changing its meaning", {
    file, exitCode: ExitCode.badInput, unchanged: true, cause: lastError,
    fix: "the tables actk edits may be written as inline tables or dotted keys; write them as [table] sections, or use a drop-in file",
  });
}

function patchTo(text: string, desired: TomlTable): string {
  const current = parsePreserving(text, { integersAsBigInt: false }) as TomlTable;
  return deepEqual(current, desired) ? text : patch(text, desired);
}

/** Re-parse strictly and check every change holds (and nothing else changed). */
function holds(text: string, desired: TomlTable, changes: readonly ValueChange[]): boolean {
  let strict: unknown;
  try {
    strict = parseStrict(text);
  } catch {
    return false;
  }
  const preserving = parsePreserving(text, { integersAsBigInt: false }) as unknown;
  if (!deepEqual(normalize(preserving), normalize(desired))) return false;
  for (const c of changes) {
    if (c.op === "set" && !deepEqual(normalize(getAt(strict, c.path)), normalize(c.value))) return false;
    if (c.op === "append") {
      const arr = getAt(strict, c.path);
      if (!Array.isArray(arr) || !arr.some((x) => deepEqual(normalize(x), normalize(c.item)))) return false;
    }
  }
  return true;
}

/** Compare values across the two parsers (dates and big integers become strings). */
function normalize(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

/**
 * Undo recorded changes on the current text: first the appended tables when
 * they are still exactly as written, then every other value actk set, unless
 * the user changed it since.
 */
export function revertTomlChanges(text: string, file: string, changes: readonly ValueChange[], appended: string | undefined): { text: string; outcome: RevertOutcome } {
  let base = text;
  if (appended) {
    const at = base.lastIndexOf(appended);
    if (at >= 0) base = base.slice(0, at) + base.slice(at + appended.length);
  }
  const current = parseTomlTable(base, file);
  const target = structuredClone(current);
  const outcome = revertChanges(target, changes);
  // Values that lived in the appended text went with it: they count as reverted.
  if (base !== text) {
    const before = parseTomlTable(text, file);
    for (const k of [...outcome.kept]) {
      if (k.reason === "already removed" && hasAt(before, k.change.path)) {
        outcome.kept.splice(outcome.kept.indexOf(k), 1);
        outcome.reverted.push(k.change);
      }
    }
  }
  const out = patchTo(base, target);
  return { text: out, outcome };
}
