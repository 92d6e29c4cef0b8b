/**
 * Read CDI spec files: JSON or YAML (the reference parses both with one YAML
 * parser, whatever the extension), strictly, with line/column for every error.
 * Spec directories are read like the reference cache: non-recursive, only
 * `*.json` and `*.yaml` (not `.yml`), a missing directory is skipped, a bad
 * file is recorded and the others still load.
 */
import * as fs from "node:fs";
import path from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import { ActkError, ExitCode, toActkError } from "../core/errors.js";
import { DecodeError, decodeSpec, type FieldPath } from "./decode.js";
import type { CdiSpec } from "./spec.js";

export interface LoadedSpec {
  spec: CdiSpec;
  /** The file as given (host path). */
  file: string;
  /** Index of its directory in the spec-dir list (higher wins), or 0 for a single file. */
  priority: number;
  format: "json" | "yaml";
  /** Line of a device's entry, by device index, for messages (1-based; undefined when unknown). */
  deviceLines: (number | undefined)[];
}

export interface LoadResult {
  specs: LoadedSpec[];
  /** One error per file that could not be read or parsed. */
  errors: ActkError[];
}

function positionOf(doc: Document, lc: LineCounter, p: FieldPath, atKey: boolean): { line?: number; column?: number } {
  let offset: number | undefined;
  if (atKey && p.length > 0) {
    const parent = doc.getIn(p.slice(0, -1), true);
    if (isMap(parent)) {
      const key = p[p.length - 1];
      const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === key);
      offset = (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
    }
  }
  if (offset === undefined) {
    for (let n = p.length; n >= 0 && offset === undefined; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
      offset = (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
    }
  }
  if (offset === undefined) return {};
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** Parse spec text (JSON or YAML) strictly; errors carry file, line and column. */
export function parseSpecText(text: string, file: string): { spec: CdiSpec; deviceLines: (number | undefined)[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0] ?? lc.linePos(err.pos[0]);
    throw new ActkError(`not valid JSON or YAML: ${err.message.split("\n")[0]}`, {
      file, line: pos?.line, column: pos?.col, exitCode: ExitCode.badInput, unchanged: false,
      fix: "fix the syntax at that place (a CDI spec is a JSON or YAML object with cdiVersion, kind and devices)",
    });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ActkError(`cannot read the document: ${(e as Error).message}`, { file, exitCode: ExitCode.badInput });
  }
  try {
    const spec = decodeSpec(value);
    const deviceLines = spec.devices.map((_, i) => positionOf(doc, lc, ["devices", i], false).line);
    return { spec, deviceLines };
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    const pos = positionOf(doc, lc, e.path, e.atKey);
    throw new ActkError(e.message, {
      file, line: pos.line, column: pos.column, exitCode: ExitCode.badInput,
      fix: "correct the field as the CDI spec defines it (see docs/cdi.md), or regenerate the file with `actk cdi generate`",
    });
  }
}

/** The spec files of one directory (sorted), or [] when it does not exist. */
export function specFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw toActkError(e);
  }
  return names
    .filter((n) => n.endsWith(".json") || n.endsWith(".yaml"))
    .sort()
    .map((n) => path.join(dir, n))
    .filter((f) => {
      try {
        return fs.statSync(f).isFile();
      } catch {
        return false;
      }
    });
}

export function loadSpecFile(file: string, priority = 0): LoadedSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw toActkError(e).withPlace({ file });
  }
  const { spec, deviceLines } = parseSpecText(text, file);
  return { spec, file, priority, format: file.endsWith(".json") ? "json" : "yaml", deviceLines };
}

/** Load every spec file of `dirs` (lowest priority first); unreadable files become errors. */
export function loadSpecDirs(dirs: readonly string[]): LoadResult {
  const result: LoadResult = { specs: [], errors: [] };
  dirs.forEach((dir, priority) => {
    for (const file of specFilesIn(dir)) {
      try {
        result.specs.push(loadSpecFile(file, priority));
      } catch (e) {
        result.errors.push(toActkError(e));
      }
    }
  });
  return result;
}

/** Load a FILE or every spec file of a DIR. */
export function loadSpecPath(p: string): LoadResult {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    throw toActkError(e).withPlace({ file: p });
  }
  if (st.isDirectory()) return loadSpecDirs([p]);
  try {
    return { specs: [loadSpecFile(p)], errors: [] };
  } catch (e) {
    return { specs: [], errors: [toActkError(e)] };
  }
}
