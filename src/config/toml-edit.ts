/**
 * Format-preserving edits of a TOML file: replace one key's value lines, or
 * insert a key line into its table (creating the table at the end when it is
 * missing), leaving every other byte as it was. smol-toml does all decoding:
 * a line's key is found by parsing `KEY = 0`, a value's extent by parsing
 * growing line ranges, and the edited text is parsed again and compared with
 * the intended document before anyone writes it.
 */
import { parse, TomlError } from "smol-toml";
import { isDeepStrictEqual } from "node:util";
import { ActkError, ExitCode } from "../core/errors.js";
import { displayKey, formatTomlValue } from "./schema.js";

interface KeyLine {
  /** Full path: table path + dotted key. */
  path: string[];
  keyText: string;
  start: number;
  /** Last line of the value (multi-line arrays and strings span lines). */
  end: number;
}

interface Header {
  path: string[];
  line: number;
  isArray: boolean;
}

interface Scan {
  lines: string[];
  headers: Header[];
  keys: KeyLine[];
  /** Commented-out single-line keys (`#key = default`), which a set uncomments in place. */
  commented: KeyLine[];
}

const KEY_SEGMENT = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const KEY_LINE = new RegExp(String.raw`^\s*(${KEY_SEGMENT}(?:\s*\.\s*${KEY_SEGMENT})*)\s*=`);

/** smol-toml builds null-prototype tables; plain copies compare equal to what we build. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object" && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

function tryParse(text: string): Record<string, unknown> | undefined {
  try {
    return plain(parse(text)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The single-key chain of a document like {a:{"b.c":{d:0}}} → ["a","b.c","d"]. */
function chain(doc: unknown, depth: number): string[] {
  const out: string[] = [];
  let t = doc;
  for (let i = 0; i < depth && t !== null && typeof t === "object" && !Array.isArray(t); i++) {
    const ks = Object.keys(t as object);
    if (ks.length !== 1) break;
    out.push(ks[0] as string);
    t = (t as Record<string, unknown>)[ks[0] as string];
  }
  return out;
}

function scan(text: string): Scan {
  const lines = text.split("\n");
  // Positions are in `lines`; parsing uses the lines without a CR (a lone CR is not valid TOML).
  const clean = lines.map((l) => l.replace(/\r$/, ""));
  const headers: Header[] = [];
  const keys: KeyLine[] = [];
  const commented: KeyLine[] = [];
  let table: string[] = [];
  for (let i = 0; i < clean.length; i++) {
    const line = clean[i] as string;
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (trimmed.startsWith("#")) {
      const body = trimmed.replace(/^#+\s*/, "");
      const cm = KEY_LINE.exec(body);
      const doc = cm ? tryParse(`${cm[1]} = 0`) : undefined;
      if (cm && doc && tryParse(body)) commented.push({ path: [...table, ...chain(doc, 64)], keyText: cm[1] as string, start: i, end: i });
      continue;
    }
    if (trimmed.startsWith("[")) {
      const isArray = trimmed.startsWith("[[");
      const doc = tryParse(line);
      if (doc) {
        // [a.b] parses to {a:{b:{}}}; [[a.b]] to {a:{b:[{}]}}.
        const path = chain(doc, 64);
        headers.push({ path, line: i, isArray });
        table = path;
        continue;
      }
    }
    const m = KEY_LINE.exec(line);
    if (!m) continue;
    const keyDoc = tryParse(`${m[1]} = 0`);
    if (!keyDoc) continue;
    const keyPath = chain(keyDoc, 64);
    let end = i;
    while (end < clean.length && !tryParse(clean.slice(i, end + 1).join("\n"))) end++;
    if (end >= lines.length) end = i;
    keys.push({ path: [...table, ...keyPath], keyText: m[1] as string, start: i, end });
    i = end;
  }
  return { lines, headers, keys, commented };
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function setIn(doc: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let t = doc;
  for (const p of path.slice(0, -1)) {
    const next = t[p];
    if (next === null || typeof next !== "object" || Array.isArray(next)) t[p] = {};
    t = t[p] as Record<string, unknown>;
  }
  t[path[path.length - 1] as string] = value;
}

/** The trailing `# comment` of a single-line key, if it has one, so a replaced value keeps it. */
function trailingComment(line: string): string {
  const full = tryParse(line);
  if (!full) return "";
  for (let k = line.indexOf("#"); k >= 0; k = line.indexOf("#", k + 1)) {
    const head = line.slice(0, k);
    const parsed = tryParse(head);
    if (parsed && isDeepStrictEqual(parsed, full)) return line.slice(head.trimEnd().length);
  }
  return "";
}

function parseOrThrow(text: string, file?: string): Record<string, unknown> {
  try {
    return plain(parse(text)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      throw new ActkError(`not valid TOML: ${e.message.split("\n")[0]}`, {
        file, line: e.line, column: e.column, exitCode: ExitCode.badInput, unchanged: true,
        fix: "fix the TOML syntax at that place (or move the file aside to use the defaults)",
      });
    }
    throw e;
  }
}

/**
 * Sets `path` to `value` in a TOML text, changing as few lines as possible.
 * Throws ActkError (nothing changed) when the edit cannot be made safely.
 */
export function setTomlValue(text: string, path: readonly string[], value: unknown, file?: string): string {
  const before = parseOrThrow(text, file);
  const expected = structuredClone(before);
  setIn(expected, path, value);
  const { lines, headers, keys, commented } = scan(text);
  const literal = formatTomlValue(value);
  // Lines we write end like the file's (CRLF files stay CRLF).
  const cr = text.includes("\r\n") ? "\r" : "";
  let out: string[];

  const existing = keys.find((k) => samePath(k.path, path));
  // Only a commented line that is the key's sole mention is uncommented (never one of several examples).
  const wasCommented = commented.filter((k) => samePath(k.path, path));
  if (!existing && wasCommented.length === 1) {
    const c = wasCommented[0] as KeyLine;
    out = [...lines.slice(0, c.start), `${c.keyText} = ${literal}${cr}`, ...lines.slice(c.end + 1)];
  } else if (existing) {
    const first = lines[existing.start] as string;
    const indent = /^\s*/.exec(first)?.[0] ?? "";
    const comment = existing.start === existing.end ? trailingComment(first.replace(/\r$/, "")) : "";
    out = [...lines.slice(0, existing.start), `${indent}${existing.keyText} = ${literal}${comment}${cr}`, ...lines.slice(existing.end + 1)];
  } else {
    // The deepest existing [table] that contains the key; the rest of the path becomes a dotted key.
    let best: Header | undefined;
    for (const h of headers) {
      if (!h.isArray && h.path.length < path.length && samePath(h.path, path.slice(0, h.path.length))) {
        if (!best || h.path.length > best.path.length) best = h;
      }
    }
    if (best) {
      const tablePath = best.path;
      const headerLine = best.line;
      const nextHeader = headers.find((h) => h.line > headerLine)?.line ?? lines.length;
      const inTable = keys.filter((k) => k.start > headerLine && k.start < nextHeader);
      const at = inTable.length ? (inTable[inTable.length - 1] as KeyLine).end + 1 : headerLine + 1;
      const keyLine = `${displayKey(path.slice(tablePath.length))} = ${literal}${cr}`;
      out = [...lines.slice(0, at), keyLine, ...lines.slice(at)];
    } else if (path.length === 1) {
      // A top-level key goes before the first table.
      const firstHeader = headers[0]?.line ?? lines.length;
      const topKeys = keys.filter((k) => k.start < firstHeader);
      const at = topKeys.length ? (topKeys[topKeys.length - 1] as KeyLine).end + 1 : 0;
      out = [...lines.slice(0, at), `${displayKey(path)} = ${literal}${cr}`, ...lines.slice(at)];
    } else {
      const body = [...lines];
      while (body.length && (body[body.length - 1] === "" || body[body.length - 1] === "\r")) body.pop();
      const table = [`[${displayKey(path.slice(0, -1))}]${cr}`, `${displayKey(path.slice(-1))} = ${literal}${cr}`];
      out = body.length ? [...body, cr, ...table, ""] : [...table, ""];
    }
  }
  const result = out.join("\n");
  const after = tryParse(result);
  if (!after || !isDeepStrictEqual(after, expected)) {
    throw new ActkError(`cannot set ${displayKey(path)} without rewriting other parts of the file`, {
      file, place: displayKey(path), exitCode: ExitCode.badInput, unchanged: true,
      fix: "the key is probably inside an inline table or an array of tables; edit that line by hand",
    });
  }
  return result;
}

export { parseOrThrow as parseToml };
