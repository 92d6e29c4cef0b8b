/**
 * A value actk set in an engine config, recorded precisely enough to undo it
 * later even when the user edited other parts of the file in between: the
 * path, the value actk wrote, what was there before, and from which path
 * element on the parents did not exist (so emptied parents are removed too).
 */

export type ConfigPath = readonly string[];

export interface SetChange {
  op: "set";
  path: string[];
  value: unknown;
  /** Whether the path had a value before actk set it, and which. */
  hadPrevious: boolean;
  previous?: unknown;
  /** Index of the first path element that did not exist before (path.length when all did). */
  createdFrom: number;
  /**
   * The change serves every runtime configured into the engine, not only the one that made it
   * (containerd's `imports` entry): undoing this runtime hands it on while another relies on it
   * (journal-handover.ts).
   */
  shared?: true;
}

export interface AppendChange {
  op: "append";
  /** Path of an array actk appended `item` to. */
  path: string[];
  item: unknown;
  createdFrom: number;
  /** As in SetChange. */
  shared?: true;
}

export type ValueChange = SetChange | AppendChange;

type Obj = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Value at a path, or undefined (also when a parent is not an object). */
export function getAt(root: unknown, path: ConfigPath): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function hasAt(root: unknown, path: ConfigPath): boolean {
  if (path.length === 0) return true;
  const parent = getAt(root, path.slice(0, -1));
  return isPlainObject(parent) && Object.hasOwn(parent, path[path.length - 1] as string);
}

/** Index of the first path element missing in root (path.length when the full path exists). */
function firstMissing(root: unknown, path: ConfigPath): number {
  let cur: unknown = root;
  for (let i = 0; i < path.length; i++) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, path[i] as string)) return i;
    cur = cur[path[i] as string];
  }
  return path.length;
}

/** Set a value, creating parent objects; throws a plain Error naming the path if a parent is not an object. */
export function setAt(root: Obj, path: ConfigPath, value: unknown): void {
  let cur: Obj = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i] as string;
    if (!Object.hasOwn(cur, k)) cur[k] = {};
    const next = cur[k];
    if (!isPlainObject(next)) throw new Error(`${path.slice(0, i + 1).join(".")} is not a table/object`);
    cur = next;
  }
  cur[path[path.length - 1] as string] = value;
}

export function deleteAt(root: unknown, path: ConfigPath): void {
  const parent = getAt(root, path.slice(0, -1));
  if (isPlainObject(parent)) delete parent[path[path.length - 1] as string];
}

/** The change that makes path == value in root, or undefined when it already is. Applies it to root. */
export function planSet(root: Obj, path: string[], value: unknown): SetChange | undefined {
  const had = hasAt(root, path);
  const previous = getAt(root, path);
  if (had && deepEqual(previous, value)) return undefined;
  const change: SetChange = {
    op: "set", path, value: structuredClone(value), hadPrevious: had, createdFrom: firstMissing(root, path),
    ...(had ? { previous: structuredClone(previous) } : {}),
  };
  setAt(root, path, structuredClone(value));
  return change;
}

/** The change that makes the array at path contain item, or undefined when it already does. Applies it. */
export function planAppend(root: Obj, path: string[], item: unknown): AppendChange | undefined {
  const cur = getAt(root, path);
  if (cur !== undefined && !Array.isArray(cur)) throw new Error(`${path.join(".")} is not an array`);
  if (Array.isArray(cur) && cur.some((x) => deepEqual(x, item))) return undefined;
  const change: AppendChange = { op: "append", path, item, createdFrom: firstMissing(root, path) };
  if (Array.isArray(cur)) cur.push(item);
  else setAt(root, path, [item]);
  return change;
}

export interface RevertOutcome {
  /** Changes that were undone. */
  reverted: ValueChange[];
  /** Changes left alone because the user changed that value since; with the reason. */
  kept: { change: ValueChange; reason: string }[];
}

/**
 * Undo changes on a parsed config (in reverse order). A value is only put back
 * when it still is what actk wrote; anything the user changed since is kept.
 */
export function revertChanges(root: Obj, changes: readonly ValueChange[]): RevertOutcome {
  const out: RevertOutcome = { reverted: [], kept: [] };
  for (const c of [...changes].reverse()) {
    if (c.op === "set") {
      if (!hasAt(root, c.path)) {
        out.kept.push({ change: c, reason: "already removed" });
        continue;
      }
      if (!deepEqual(getAt(root, c.path), c.value)) {
        out.kept.push({ change: c, reason: "changed since actk set it" });
        continue;
      }
      if (c.hadPrevious) setAt(root, c.path, structuredClone(c.previous));
      else {
        deleteAt(root, c.path);
        pruneEmptyParents(root, c.path, c.createdFrom);
      }
      out.reverted.push(c);
    } else {
      const arr = getAt(root, c.path);
      const idx = Array.isArray(arr) ? arr.findIndex((x) => deepEqual(x, c.item)) : -1;
      if (!Array.isArray(arr) || idx < 0) {
        out.kept.push({ change: c, reason: "already removed" });
        continue;
      }
      arr.splice(idx, 1);
      if (arr.length === 0 && c.createdFrom < c.path.length) {
        deleteAt(root, c.path);
        pruneEmptyParents(root, c.path, c.createdFrom);
      }
      out.reverted.push(c);
    }
  }
  return out;
}

/** Remove parents that actk created and that are now empty (deepest first). */
function pruneEmptyParents(root: Obj, path: ConfigPath, createdFrom: number): void {
  for (let i = path.length - 1; i > createdFrom; i--) {
    const p = path.slice(0, i);
    const v = getAt(root, p);
    if (isPlainObject(v) && Object.keys(v).length === 0) deleteAt(root, p);
    else break;
  }
}

/**
 * Merge the changes of a new configure into those recorded by an earlier one,
 * so the journal keeps the value from before actk's first change.
 */
export function mergeChanges(older: readonly ValueChange[], newer: readonly ValueChange[]): ValueChange[] {
  const out = older.map((c) => structuredClone(c));
  for (const n of newer) {
    const i = out.findIndex((o) => o.op === n.op && o.path.join("\0") === n.path.join("\0") && (o.op === "set" || deepEqual(o.item, (n as AppendChange).item)));
    const o = out[i];
    if (o && o.op === "set" && n.op === "set") out[i] = { ...o, value: structuredClone(n.value) };
    else if (!o) out.push(structuredClone(n));
  }
  return out;
}
