/**
 * Read an OCI bundle's config.json for request parsing. JSON.parse on Node 20
 * often does not say where a syntax error is, so a small scanner finds the
 * first offending character and the error names its line and column.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ActkError, ExitCode, toActkError } from "../core/errors.js";
import { requestInputFromOciSpec } from "./oci-input.js";
import type { RequestInput } from "./types.js";

export interface JsonSyntaxProblem {
  /** 0-based offset of the first character that cannot continue valid JSON. */
  offset: number;
  line: number;
  column: number;
  message: string;
}

/** Where the first JSON syntax error in `text` is; undefined when the text is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  class Stop extends Error {}
  let problem = "";
  const fail = (message: string): never => {
    problem = message;
    throw new Stop();
  };
  const describe = (): string => (i >= text.length ? "the end of the file" : `"${text[i]}"`);
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`unexpected ${describe()}, expected "${word}"`);
      i++;
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const ch = text[i] as string;
      if (ch === '"') { i++; return; }
      if (ch.charCodeAt(0) < 0x20) fail("control character in a string (escape it)");
      if (ch === "\\") {
        i++;
        const e = text[i];
        if (e === "u") {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) { i += k; fail("bad \\u escape"); }
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail(`bad escape "\\${e ?? ""}"`);
      } else i++;
    }
  };
  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail(`unexpected ${describe()}`);
    i += (m as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      i++; ws();
      if (text[i] === "}") { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`unexpected ${describe()}, expected a quoted key`);
        string(); ws();
        if (text[i] !== ":") fail(`unexpected ${describe()}, expected ":"`);
        i++; value(); ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return; }
        fail(`unexpected ${describe()}, expected "," or "}"`);
      }
    } else if (ch === "[") {
      i++; ws();
      if (text[i] === "]") { i++; return; }
      for (;;) {
        value(); ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return; }
        fail(`unexpected ${describe()}, expected "," or "]"`);
      }
    } else if (ch === '"') string();
    else if (ch === "t") literal("true");
    else if (ch === "f") literal("false");
    else if (ch === "n") literal("null");
    else if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) number();
    else fail(`unexpected ${describe()}, expected a value`);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the JSON value`);
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, Math.min(i, text.length));
    const line = before.split("\n").length;
    const column = i - (before.lastIndexOf("\n") + 1) + 1;
    return { offset: i, line, column, message: problem };
  }
}

/** Parse JSON text; a syntax error becomes an ActkError naming `file`, line and column. */
export function parseJsonWithPosition(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const p = findJsonSyntaxError(text);
    throw new ActkError(`malformed JSON: ${p?.message ?? (e as Error).message}`, {
      file,
      line: p?.line,
      column: p?.column,
      exitCode: ExitCode.badInput,
      fix: "fix the JSON syntax at that position",
    });
  }
}

/** The RequestInput of the bundle in `dir` (its config.json). */
export function readBundleRequestInput(dir: string): RequestInput {
  const file = join(dir, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const err = toActkError(e);
    throw new ActkError(err.message, {
      file,
      exitCode: ExitCode.host,
      fix: "pass the directory of an OCI bundle (it holds config.json), e.g. one made by `runc spec`",
      cause: e,
    });
  }
  return requestInputFromOciSpec(parseJsonWithPosition(text, file), file);
}
