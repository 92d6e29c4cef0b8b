/**
 * Block-style YAML text for plain JSON data (maps, lists, strings, numbers,
 * booleans, null) — all a CDI spec holds. The yaml library's writer is general
 * and costs more than everything else in `actk cdi generate` together (≈ 100 ms
 * for a DGX spec); this covers the JSON subset in one pass. Reading stays with
 * the library, and the tests parse every output back with it (YAML 1.2 and 1.1).
 *
 * A string is written plain only when it is made of a conservative character set
 * and no YAML 1.1 or 1.2 reader can take it for anything but a string; every
 * other string is JSON-quoted, which is valid YAML double-quoted text.
 */

/**
 * Strings a YAML 1.1 reader (Go's go-yaml v2 behind sigs.k8s.io/yaml) or a 1.2 reader might not read as
 * strings. Deliberately wide: anything made only of digits, "_", ".", "e", "E", "+", "-" is quoted, since
 * 1.1 float resolvers differ ("E0", "." and "0_" come back as null from one of them).
 */
const notAString = /^(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+0-9_.eE]+|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)|[-+]?0[bBoOxX][0-9a-fA-F_]+|[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE|null|Null|NULL|~|<<|=|\d{4}-\d\d?-\d\d?.*)$/;

/** Plain scalars: start with a letter, digit, "_" or "/"; then only characters that never start YAML syntax inside a plain scalar. */
const plainSafe = /^[A-Za-z0-9_/][A-Za-z0-9_/.=+@,:-]*$/;

function scalar(v: unknown): string {
  if (typeof v === "string") {
    // ":" followed by nothing is fine in a flowless block context only when not at the end.
    return plainSafe.test(v) && !notAString.test(v) && !v.endsWith(":") ? v : JSON.stringify(v);
  }
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new TypeError(`cannot write ${v} as YAML`);
    return String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null) return "null";
  throw new TypeError(`cannot write a ${typeof v} as YAML`);
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length === 0 : isMap(v) && Object.keys(v).length === 0);
const emptyText = (v: unknown): string => (Array.isArray(v) ? "[]" : "{}");

function mapLines(m: Record<string, unknown>, pad: string, out: string[], firstPrefix?: string): void {
  let first = true;
  for (const [k, x] of Object.entries(m)) {
    if (x === undefined) continue;
    const lead = first && firstPrefix !== undefined ? firstPrefix : pad;
    first = false;
    const key = `${lead}${scalar(k)}:`;
    if (isEmpty(x)) out.push(`${key} ${emptyText(x)}`);
    else if (Array.isArray(x)) {
      out.push(key);
      listLines(x, pad + "  ", out);
    } else if (isMap(x)) {
      out.push(key);
      mapLines(x, pad + "  ", out);
    } else out.push(`${key} ${scalar(x)}`);
  }
  if (first) out.push(`${firstPrefix ?? pad}{}`);
}

function listLines(list: readonly unknown[], pad: string, out: string[]): void {
  for (const x of list) {
    if (isEmpty(x)) out.push(`${pad}- ${emptyText(x)}`);
    else if (isMap(x)) mapLines(x, pad + "  ", out, `${pad}- `);
    else if (Array.isArray(x)) {
      out.push(`${pad}-`);
      listLines(x, pad + "  ", out);
    } else out.push(`${pad}- ${scalar(x)}`);
  }
}

/** YAML block text (ending in a newline) for a JSON-compatible map. */
export function blockYaml(value: Record<string, unknown>): string {
  const out: string[] = [];
  mapLines(value, "", out);
  return out.join("\n") + "\n";
}
