/**
 * Minimal edits of JSON text: set a value at a path, remove a member, append an
 * array item. Only the bytes of that member change, and new bytes follow the
 * layout around them: a member added to a one-line object stays on that line,
 * one added to a multi-line object gets its own line at its siblings'
 * indentation. jsonc-parser's `modify` is not used for this because with
 * formatting options it re-formats the whole lines around its edit (a one-line
 * `"nvidia": {"path": "x"}` before an inserted sibling came out on three lines),
 * and without them it writes everything on one line.
 *
 * Callers parse strictly first (json-edit.ts); this module trusts the text.
 */
import { findNodeAtLocation, parseTree, type Node } from "jsonc-parser/lib/esm/main.js";
import { deepEqual, isPlainObject } from "./value-change.js";

export interface JsonLayout {
  /** One level of indentation: spaces or a tab. */
  unit: string;
  eol: string;
}

/** The indentation step and line ending the file uses (2 spaces and "\n" when it shows none). */
export function jsonLayout(text: string): JsonLayout {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const indent = /\n([ \t]+)\S/.exec(text)?.[1];
  if (indent?.startsWith("\t")) return { unit: "\t", eol };
  return { unit: " ".repeat(indent ? indent.length : 2), eol };
}

const end = (n: Node): number => n.offset + n.length;
const splice = (text: string, from: number, to: number, insert: string): string => text.slice(0, from) + insert + text.slice(to);

function tree(text: string): Node {
  const root = parseTree(text, [], { disallowComments: true, allowTrailingComma: false });
  if (!root) throw new Error("not JSON");
  return root;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** The whitespace that begins the line holding offset. */
function lineIndent(text: string, offset: number): string {
  return /^[ \t]*/.exec(text.slice(lineStart(text, offset), offset))?.[0] ?? "";
}

/** Whether only indentation stands before offset on its line. */
function startsLine(text: string, offset: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStart(text, offset), offset));
}

const oneLine = (text: string, n: Node): boolean => !text.slice(n.offset, end(n)).includes("\n");

/** The object or array a value sits in (skipping the property node), if any. */
function container(n: Node): Node | undefined {
  const p = n.parent;
  return p?.type === "property" ? p.parent : p;
}

/** Separators used on one line around n: after a key's colon, and between members. */
function inlineSeparators(text: string, n: Node | undefined): { colon: string; comma: string } {
  let colon: string | undefined;
  let comma: string | undefined;
  for (let c = n; c && (colon === undefined || comma === undefined); c = container(c)) {
    const kids = c.children ?? [];
    const prop = kids.find((k) => k.type === "property" && k.children?.length === 2);
    if (colon === undefined && prop) {
      const sep = text.slice(end(prop.children![0]!), prop.children![1]!.offset);
      if (!sep.includes("\n")) colon = sep;
    }
    if (comma === undefined && kids.length >= 2) {
      const sep = text.slice(end(kids[0]!), kids[1]!.offset);
      if (!sep.includes("\n")) comma = sep;
    }
  }
  colon ??= ": ";
  return { colon, comma: comma ?? (colon === ":" ? "," : ", ") };
}

function renderInline(v: unknown, sep: { colon: string; comma: string }): string {
  if (Array.isArray(v)) return `[${v.map((x) => renderInline(x, sep)).join(sep.comma)}]`;
  if (isPlainObject(v)) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${sep.colon}${renderInline(x, sep)}`).join(sep.comma)}}`;
  return JSON.stringify(v);
}

/** A value written over several lines, its inner lines one step deeper than `indent`. */
function renderBlock(v: unknown, indent: string, layout: JsonLayout): string {
  return JSON.stringify(v, null, layout.unit).split("\n").join(layout.eol + indent);
}

/** Where members of a multi-line container go: beside a sibling that starts its own line. */
function memberIndent(text: string, c: Node, layout: JsonLayout): string {
  const kids = c.children ?? [];
  for (let i = kids.length - 1; i >= 0; i--) {
    if (startsLine(text, kids[i]!.offset)) return lineIndent(text, kids[i]!.offset);
  }
  return lineIndent(text, c.offset) + layout.unit;
}

/** Add a member (`"key": value`, or an array item when key is undefined) at the end of object or array c. */
function addMember(text: string, c: Node, key: string | undefined, value: unknown, layout: JsonLayout): string {
  const kids = c.children ?? [];
  const outer = container(c);
  const sep = inlineSeparators(text, c);
  const head = key === undefined ? "" : `${JSON.stringify(key)}${sep.colon}`;
  if (kids.length > 0 && oneLine(text, c)) {
    return splice(text, end(kids[kids.length - 1]!), end(kids[kids.length - 1]!), `${sep.comma}${head}${renderInline(value, sep)}`);
  }
  if (kids.length === 0) {
    const [open, close] = c.type === "array" ? ["[", "]"] : ["{", "}"];
    // An empty container inside a one-line one stays on that line.
    if (outer && oneLine(text, outer)) return splice(text, c.offset, end(c), `${open}${head}${renderInline(value, sep)}${close}`);
    const indent = lineIndent(text, c.offset);
    const inner = indent + layout.unit;
    return splice(text, c.offset, end(c), `${open}${layout.eol}${inner}${head}${renderBlock(value, inner, layout)}${layout.eol}${indent}${close}`);
  }
  const last = kids[kids.length - 1]!;
  const indent = memberIndent(text, c, layout);
  return splice(text, end(last), end(last), `,${layout.eol}${indent}${head}${renderBlock(value, indent, layout)}`);
}

/** Replace the value node n, keeping it on one line when it was a one-line value. */
function replaceValue(text: string, n: Node, value: unknown, layout: JsonLayout): string {
  const outer = container(n);
  const inline = oneLine(text, n) && ((n.children?.length ?? 0) > 0 || (outer !== undefined && oneLine(text, outer)));
  const written = inline ? renderInline(value, inlineSeparators(text, n)) : renderBlock(value, lineIndent(text, n.offset), layout);
  return splice(text, n.offset, end(n), written);
}

/** The text with `path` set to value; missing parents are created as objects. */
export function setJsonValue(text: string, path: readonly string[], value: unknown, layout = jsonLayout(text)): string {
  let node = tree(text);
  let depth = 0;
  for (; depth < path.length; depth++) {
    const child = node.type === "object" ? findNodeAtLocation(node, [path[depth]!]) : undefined;
    if (!child) break;
    node = child;
  }
  if (depth === path.length) return deepEqual(valueOf(node), value) ? text : replaceValue(text, node, value, layout);
  if (node.type !== "object") throw new Error(`${path.slice(0, depth).join(".") || "the top level"} is not an object`);
  let nested = value;
  for (let k = path.length - 1; k > depth; k--) nested = { [path[k]!]: nested };
  return addMember(text, node, path[depth]!, nested, layout);
}

/** The text with item added at the end of the array at path (created when missing). */
export function appendJsonItem(text: string, path: readonly string[], item: unknown, layout = jsonLayout(text)): string {
  const arr = findNodeAtLocation(tree(text), [...path]);
  if (!arr) return setJsonValue(text, path, [item], layout);
  if (arr.type !== "array") throw new Error(`${path.join(".")} is not an array`);
  return addMember(text, arr, undefined, item, layout);
}

/** The text without the member at path (with its comma); an emptied container becomes `{}` or `[]`. */
export function removeJsonValue(text: string, path: readonly string[]): string {
  const value = path.length ? findNodeAtLocation(tree(text), [...path]) : undefined;
  const member = value?.parent?.type === "property" ? value.parent : undefined;
  const c = member?.parent;
  if (!member || !c) return text;
  const kids = c.children ?? [];
  const i = kids.indexOf(member);
  if (kids.length === 1) return splice(text, c.offset, end(c), c.type === "array" ? "[]" : "{}");
  if (i > 0) return splice(text, end(kids[i - 1]!), end(member), "");
  return splice(text, member.offset, kids[1]!.offset, "");
}

/** The parsed value of a node (parseTree gives `value` for scalars only). */
function valueOf(n: Node): unknown {
  if (n.type === "array") return (n.children ?? []).map(valueOf);
  if (n.type === "object") {
    const out: Record<string, unknown> = {};
    for (const p of n.children ?? []) {
      const [k, v] = p.children ?? [];
      if (k && v) out[String(k.value)] = valueOf(v);
    }
    return out;
  }
  return n.value;
}
