/**
 * Several runtimes can be configured into one file (`--runtime-name a1`, then
 * `a2`), each with its own journal. A journal written after a1's describes the
 * file as a2 found it: with a1's parts in it. When a1 is undone first, a2's
 * journal is rewritten as if a1 had never been configured: its copies of the
 * file lose a1's parts, the parents and the file a1 created become a2's to
 * remove once empty, and a value a2 replaced that a1 had set (default-runtime)
 * goes back to what was there before a1. Without this, undoing both left
 * `{"runtimes": {}}` where `{}` had been, and could point default-runtime at a1.
 */
import { readBackup, saveBackup, sha256, type Journal, type JournalFile, type JournalPaths } from "./journal.js";
import { deepEqual, type SetChange, type ValueChange } from "./value-change.js";

export interface JournalOnDisk {
  paths: JournalPaths;
  journal: Journal;
}

const startsWith = (p: readonly string[], prefix: readonly string[]): boolean => prefix.every((k, i) => p[i] === k);
const samePath = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && startsWith(a, b);

/** Whether a journal edits the file in a way rebasing understands (not a file actk owns whole). */
const editsValues = (f: JournalFile | undefined): f is JournalFile => f !== undefined && f.format !== "owned";

/** Journals created after `undone` that record one of its files (in the same format). */
export function laterJournals(undone: Journal, others: readonly JournalOnDisk[]): JournalOnDisk[] {
  return others.filter((o) => o.journal.createdAt > undone.createdAt
    && undone.files.some((f) => editsValues(f) && o.journal.files.some((g) => g.path === f.path && g.format === f.format)));
}

/**
 * Whether the bytes `undone` last wrote to a file hold only its own changes on top of its
 * backup: false when a later journal wrote the file between its first and its last configure.
 */
export function lastWriteIsOwn(undone: Journal, file: string, later: readonly JournalOnDisk[]): boolean {
  return !later.some((o) => o.journal.createdAt < undone.updatedAt && o.journal.files.some((g) => g.path === file));
}

/** A later runtime's changes, as if the changes `undone` made to the same file had never been made. */
export function rebaseChanges(later: readonly ValueChange[], undone: readonly ValueChange[]): ValueChange[] {
  return later.map((orig) => {
    const c = structuredClone(orig);
    for (const u of undone) {
      // A parent the undone runtime created (path elements from createdFrom on) is now this one's.
      const created = u.path.slice(0, u.createdFrom + 1);
      if (u.createdFrom < u.path.length && created.length < c.path.length && c.createdFrom > u.createdFrom && startsWith(c.path, created)) {
        c.createdFrom = u.createdFrom;
      }
      if (c.op === "set" && u.op === "set" && samePath(c.path, u.path) && c.hadPrevious && deepEqual(c.previous, u.value)) {
        takePrevious(c, u);
      }
    }
    return c;
  });
}

function takePrevious(c: SetChange, u: SetChange): void {
  c.hadPrevious = u.hadPrevious;
  if (u.hadPrevious) c.previous = structuredClone(u.previous);
  else delete c.previous;
  c.createdFrom = Math.min(c.createdFrom, u.createdFrom);
}

/**
 * Rewrite `later`'s record of `undone`'s file (in memory, backup copies on disk).
 * `revert` gives a text of the file without the undone runtime's parts (undefined: no file).
 */
export function rebaseFile(later: JournalOnDisk, undone: JournalFile, revert: (text: string) => string | undefined): void {
  const f = later.journal.files.find((g) => g.path === undone.path && g.format === undone.format);
  if (!editsValues(f)) return;
  const index = later.journal.files.indexOf(f);
  const before = f.backup !== undefined ? revert(readBackup(later.paths, f.backup)) : undefined;
  const after = f.afterBackup !== undefined ? revert(readBackup(later.paths, f.afterBackup)) : undefined;
  if (before !== undefined) {
    f.backup = saveBackup(later.paths, index, f.path, before);
    f.beforeSha256 = sha256(before);
  } else {
    delete f.backup;
    delete f.beforeSha256;
    if (f.existed && !undone.existed && undone.createdDirs) f.createdDirs = [...undone.createdDirs];
  }
  f.existed = before !== undefined;
  if (after !== undefined) {
    f.afterSha256 = sha256(after);
    f.afterBackup = saveBackup(later.paths, index, f.path, after, `${f.afterSha256.slice(0, 12)}.actk`);
  }
  f.changes = rebaseChanges(f.changes, undone.changes);
}

/** Whether a later journal took over a value `undone` had set (so it is not the user's change). */
export function takenOver(change: ValueChange, later: readonly JournalOnDisk[], file: string): string | undefined {
  if (change.op !== "set") return undefined;
  for (const o of later) {
    const f = o.journal.files.find((g) => g.path === file);
    const c = f?.changes.find((x) => x.op === "set" && samePath(x.path, change.path) && x.hadPrevious && deepEqual(x.previous, change.value));
    if (c) return o.journal.runtimeName;
  }
  return undefined;
}
