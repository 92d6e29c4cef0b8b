/**
 * Some changes serve every runtime configured into an engine, not only the one whose configure
 * made them: containerd reads a runtime's drop-in only because config.toml `imports` its
 * directory (and says `version = 3` when actk created config.toml). The first runtime adds them
 * and records them in its journal; the next finds them there and records nothing. So undoing the
 * first must leave them while another runtime's drop-in relies on them, or containerd silently
 * stops reading that drop-in. They move instead, with the file's original bytes, into the
 * journal of a runtime that relies on them: the last runtime undone removes them, and undoing
 * all of them, in any order, still gives back the original bytes.
 *
 * The plan marks such changes `shared` and records on each drop-in which file imports it
 * (`importedBy`). journal-rebase.ts handles the other direction (later journals that recorded
 * the undone runtime's parts); this module only moves what later journals never recorded.
 */
import { readBackup, saveBackup, sha256, type JournalFile, type JournalPaths } from "./journal.js";
import type { JournalOnDisk } from "./journal-rebase.js";
import { mergeChanges } from "./value-change.js";

/** Other runtimes' journals with a drop-in that `file` imports: they rely on its shared changes. */
export function relyingOn(file: string, others: readonly JournalOnDisk[]): JournalOnDisk[] {
  return others.filter((o) => o.journal.files.some((g) => g.importedBy === file));
}

/** The part of a journaled file that undoing it reverts: all but the shared changes another runtime relies on. */
export function ownPart(j: JournalFile, relying: readonly JournalOnDisk[]): JournalFile {
  if (relying.length === 0 || !j.changes.some((c) => c.shared)) return j;
  return { ...j, changes: j.changes.filter((c) => !c.shared) };
}

/** Which relying journal takes the shared changes: one that does not record the file yet takes its history whole. */
export function heirOf(file: string, relying: readonly JournalOnDisk[]): JournalOnDisk | undefined {
  return relying.find((o) => !o.journal.files.some((g) => g.path === file)) ?? relying[0];
}

/**
 * Move `j`'s shared changes into one relying journal (in memory; backup copies on disk); returns
 * it, or undefined when there was nothing to move. `after` is what actk last wrote to the file
 * less the undone runtime's own parts: the heir's unconfigure then still puts the original bytes
 * back when the file is untouched, and replays the user's edits onto them when it is not.
 */
export function handOver(from: JournalPaths, j: JournalFile, relying: readonly JournalOnDisk[], after: string): JournalOnDisk | undefined {
  const shared = j.changes.filter((c) => c.shared);
  const heir = heirOf(j.path, relying);
  if (shared.length === 0 || !heir) return undefined;
  const recorded = heir.journal.files.find((g) => g.path === j.path);
  if (recorded) {
    // Every relying runtime records the file already (say, its own import after the user took
    // ours out): its backups stand, and its unconfigure undoes these changes with its own.
    recorded.changes = mergeChanges(recorded.changes, shared);
    return heir;
  }
  const index = heir.journal.files.length;
  const afterSha256 = sha256(after);
  const entry: JournalFile = {
    path: j.path, format: j.format, existed: j.existed, afterSha256, changes: shared,
    afterBackup: saveBackup(heir.paths, index, j.path, after, `${afterSha256.slice(0, 12)}.actk`),
    ...(j.createdDirs ? { createdDirs: [...j.createdDirs] } : {}),
  };
  if (j.backup !== undefined) {
    entry.backup = saveBackup(heir.paths, index, j.path, readBackup(from, j.backup));
    if (j.beforeSha256 !== undefined) entry.beforeSha256 = j.beforeSha256;
  }
  heir.journal.files.push(entry);
  return heir;
}

const depth = (d: string): number => d.split("/").length;

/**
 * Directories the undone runtime created that still hold files afterwards hold another runtime's
 * files (a second drop-in in conf.d): the first runtime with a file of its own in one removes it
 * once empty. Returns the journals that changed.
 */
export function handOverDirs(dirs: readonly string[], others: readonly JournalOnDisk[]): Set<JournalOnDisk> {
  const changed = new Set<JournalOnDisk>();
  for (const d of dirs) {
    for (const o of others) {
      // Only a file actk created is removed by unconfigure, and only then are its dirs tried.
      const g = o.journal.files.find((x) => !x.existed && x.path.startsWith(`${d}/`));
      if (!g) continue;
      if (!g.createdDirs?.includes(d)) {
        g.createdDirs = [...(g.createdDirs ?? []), d].sort((a, b) => depth(b) - depth(a));
        changed.add(o);
      }
      break;
    }
  }
  return changed;
}
