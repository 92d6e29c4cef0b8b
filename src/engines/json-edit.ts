/**
 * Format-preserving edits of JSON config files (docker's daemon.json): strict
 * parsing with errors at a line and column, and changes made through
 * json-splice.ts, which rewrites only the members actk sets, keeping
 * indentation, key order, one-line objects and everything else as the user wrote it.
 */
// The ESM build, by path: esbuild cannot bundle the UMD build's dynamic requires.
import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser/lib/esm/main.js";
import { ActkError, ExitCode } from "../core/errors.js";
import { appendJsonItem, jsonLayout, removeJsonValue, setJsonValue } from "./json-splice.js";
import { getAt, hasAt, isPlainObject, revertChanges, type RevertOutcome, type ValueChange } from "./value-change.js";

export type JsonObject = Record<string, unknown>;

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** Strict JSON (no comments, no trailing commas): Docker rejects both. */
export function parseJsonObject(text: string, file: string): JsonObject {
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first) {
    const { line, column } = lineColumn(text, first.offset);
    throw new ActkError(`invalid JSON: ${describe(printParseErrorCode(first.error))}`, {
      file, line, column, exitCode: ExitCode.badInput, unchanged: true,
      fix: "fix the JSON (or move the file aside) and run the command again",
    });
  }
  if (!isPlainObject(value)) {
    throw new ActkError("the top level is not a JSON object", {
      file, line: 1, column: 1, exitCode: ExitCode.badInput, unchanged: true, fix: "the file must contain one JSON object: {…}",
    });
  }
  return value;
}

function describe(code: string): string {
  const words: Record<string, string> = {
    CommaExpected: "expected ',' or '}'", ColonExpected: "expected ':'", ValueExpected: "expected a value",
    PropertyNameExpected: "expected a property name", CloseBraceExpected: "expected '}'",
    CloseBracketExpected: "expected ']'", EndOfFileExpected: "unexpected text after the end of the JSON value",
    InvalidCommentToken: "comments are not allowed", UnexpectedEndOfComment: "unterminated comment",
    UnexpectedEndOfString: "unterminated string", InvalidSymbol: "unexpected character",
  };
  return words[code] ?? code;
}

/** Apply set/append changes to the text, touching only those values. */
export function applyJsonChanges(text: string, changes: readonly ValueChange[]): string {
  const layout = jsonLayout(text);
  let out = text;
  for (const c of changes) {
    out = c.op === "set" ? setJsonValue(out, c.path, c.value, layout) : appendJsonItem(out, c.path, c.item, layout);
  }
  return out;
}

/**
 * Undo recorded changes on the current text: each value goes back to what was
 * there before (or is removed), unless the user changed it since.
 */
export function revertJsonChanges(text: string, file: string, changes: readonly ValueChange[]): { text: string; outcome: RevertOutcome } {
  const current = parseJsonObject(text, file);
  const target = structuredClone(current);
  const outcome = revertChanges(target, changes);
  const layout = jsonLayout(text);
  let out = text;
  // Edit the text toward `target` key by key along the reverted paths only.
  for (const c of outcome.reverted) {
    for (let depth = c.path.length; depth >= 1; depth--) {
      const p = c.path.slice(0, depth);
      const want = getAt(target, p);
      const present = hasAt(target, p);
      if (present && depth < c.path.length) break;
      out = present ? setJsonValue(out, p, want, layout) : removeJsonValue(out, p);
      if (present) break;
    }
  }
  return { text: out, outcome };
}
