/**
 * configure / unconfigure as transactions: read the files an engine needs,
 * let the engine plan (pure), check every target is writable, save backups,
 * write each file atomically, record the journal, verify with the real
 * engine, and put every byte back if anything fails.
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode, toActkError } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import type { HostRoot } from "../host/host-root.js";
import type { ConfigureOptions, Engine, EnginePlan, FileChange, VerifyResult } from "./engine.js";
import {
  backupDir, journalPaths, otherJournals, pruneBackups, readBackup, readJournal, removeJournal, saveBackup, sha256, writeJournal,
  type Journal, type JournalFile,
} from "./journal.js";
import { handOver, handOverDirs, heirOf, ownPart, relyingOn } from "./journal-handover.js";
import { lastWriteIsOwn, laterJournals, rebaseFile, takenOver } from "./journal-rebase.js";
import { revertJsonChanges, parseJsonObject } from "./json-edit.js";
import { parseTomlTable, revertTomlChanges } from "./toml-edit.js";
import { unifiedDiff } from "./unified-diff.js";
import { replayUserEdits } from "./three-way.js";
import { deepEqual, mergeChanges, type ValueChange } from "./value-change.js";

export interface FileOutcome {
  path: string;
  action: "create" | "update" | "delete";
  diff: string;
}

export interface ConfigureResult {
  engine: string;
  dryRun: boolean;
  changed: boolean;
  files: FileOutcome[];
  notes: string[];
  restartNeeded: boolean;
  restartCommand: string;
  verification?: VerifyResult;
  journal?: string;
}

export interface UnconfigureResult extends ConfigureResult {
  /** Values actk had set that the user changed since; left as they are. */
  kept: { path: string; key: string; reason: string }[];
}

function readCurrent(host: HostRoot, p: string): string | undefined {
  try {
    const st = host.stat(p);
    if (st?.isDirectory()) {
      throw new ActkError("is a directory, not a config file", { file: p, exitCode: ExitCode.host, unchanged: true, fix: "give the path of the file with --config" });
    }
    return host.readTextIfExists(p);
  } catch (e) {
    throw toActkError(e).withPlace({ file: p });
  }
}

/** Throws (before anything is written) when a target cannot be written. */
function checkWritable(host: HostRoot, files: readonly { path: string }[]): void {
  for (const f of files) {
    const target = host.resolve(f.path);
    let dir = path.dirname(target);
    while (!fs.existsSync(dir) && dir !== path.dirname(dir)) dir = path.dirname(dir);
    try {
      fs.accessSync(dir, fs.constants.W_OK);
      if (fs.existsSync(target)) fs.accessSync(target, fs.constants.W_OK);
    } catch {
      throw new ActkError("cannot write here", {
        file: f.path, exitCode: ExitCode.host, unchanged: true, fix: "run as root, or point --config at a writable file",
      });
    }
  }
}

function writeOne(host: HostRoot, p: string, text: string | undefined): void {
  const target = host.resolve(p);
  if (text === undefined) fs.rmSync(target, { force: true });
  else writeFileAtomic(target, text, { mkdirs: true });
}

/** Write files in order; on a failure put the ones already written back and rethrow. */
function writeAll(host: HostRoot, files: readonly { path: string; before: string | undefined; after: string | undefined }[]): void {
  const done: typeof files[number][] = [];
  try {
    for (const f of files) {
      writeOne(host, f.path, f.after);
      done.push(f);
    }
  } catch (e) {
    for (const f of done.reverse()) {
      try { writeOne(host, f.path, f.before); } catch { /* best effort; the error below names the first failure */ }
    }
    throw toActkError(e);
  }
}

function outcomes(files: readonly { path: string; before: string | undefined; after: string | undefined }[]): FileOutcome[] {
  return files.map((f) => ({
    path: f.path,
    action: f.before === undefined ? "create" : f.after === undefined ? "delete" : "update",
    diff: unifiedDiff(f.path, f.before, f.after),
  }));
}

export interface RunOptions {
  dryRun: boolean;
  verify: boolean;
  /** Whether the process runs as root (verification with real daemons needs it). */
  isRoot?: boolean;
}

export function planEngine(engine: Engine, opts: ConfigureOptions, host: HostRoot): EnginePlan {
  const current = new Map<string, string | undefined>();
  for (const p of engine.inputs(opts)) current.set(p, readCurrent(host, p));
  return engine.plan(opts, current);
}

export function configureEngine(engine: Engine, opts: ConfigureOptions, host: HostRoot, run: RunOptions): ConfigureResult {
  const plan = planEngine(engine, opts, host);
  const files = plan.files.filter((f) => f.before !== f.after);
  const result: ConfigureResult = {
    engine: engine.id, dryRun: run.dryRun, changed: files.length > 0, files: outcomes(files), notes: plan.notes,
    restartNeeded: files.length > 0 && plan.restartNeeded, restartCommand: engine.restartCommand,
  };
  if (run.dryRun || files.length === 0) return result;

  checkWritable(host, files);
  const paths = journalPaths(host, engine.id, opts.runtimeName);
  checkWritable(host, [{ path: path.posix.join(backupDir, "journal") }]);
  const previousJournal = readJournal(paths.journal);
  const now = new Date().toISOString();
  const journal: Journal = previousJournal
    ? structuredClone(previousJournal)
    : { journalVersion: 1, engine: engine.id, runtimeName: opts.runtimeName, createdAt: now, updatedAt: now, files: [] };
  journal.updatedAt = now;
  for (const f of files) recordFile(journal, paths, f, missingDirs(host, f.path));

  writeAll(host, files);
  writeJournal(paths.journal, journal);
  result.journal = paths.journal;

  if (run.verify && engine.verify) {
    let verification: VerifyResult;
    try {
      verification = engine.verify(opts, { ...plan, files }, { hostPath: (p) => host.resolve(p), isRoot: run.isRoot ?? process.getuid?.() === 0 });
    } catch (e) {
      verification = { ok: false, detail: `verification could not run: ${(e as Error).message}` };
    }
    result.verification = verification;
    if (!verification.ok && !verification.skipped) {
      writeAll(host, files.map((f) => ({ path: f.path, before: f.after, after: f.before })));
      if (previousJournal) {
        writeJournal(paths.journal, previousJournal);
        pruneBackups(paths, previousJournal);
      } else removeJournal(paths);
      throw new ActkError(`${engine.id} rejected the new configuration: ${verification.detail}`, {
        file: files[0]?.path, exitCode: ExitCode.external, unchanged: true,
        fix: "the previous files were put back; run with --dry-run to see the change, or --no-verify to write it anyway",
      });
    }
  }
  pruneBackups(paths, journal);
  return result;
}

/** Parent directories of a file that do not exist yet (deepest first), as the host sees them. */
function missingDirs(host: HostRoot, p: string): string[] {
  const out: string[] = [];
  for (let d = path.posix.dirname(p); d !== "/" && !host.exists(d); d = path.posix.dirname(d)) out.push(d);
  return out;
}

function recordFile(journal: Journal, paths: { dir: string; backups: string }, f: FileChange, createdDirs: string[]): void {
  let entry = journal.files.find((j) => j.path === f.path);
  if (entry) {
    entry.changes = mergeChanges(entry.changes, f.changes);
    if (f.appended) entry.appended = (entry.appended ?? "") + f.appended;
    if (f.importedBy) entry.importedBy = f.importedBy;
  } else {
    entry = {
      path: f.path, format: f.format, existed: f.before !== undefined, afterSha256: "", changes: f.changes,
      ...(f.appended ? { appended: f.appended } : {}),
      ...(createdDirs.length ? { createdDirs } : {}),
      ...(f.importedBy ? { importedBy: f.importedBy } : {}),
    };
    if (f.before !== undefined) {
      entry.backup = saveBackup(paths, journal.files.length, f.path, f.before);
      entry.beforeSha256 = sha256(f.before);
    }
    journal.files.push(entry);
  }
  entry.afterSha256 = sha256(f.after ?? "");
  // Named by content, so a rolled-back re-configure never overwrites the copy the old journal names.
  if (f.after !== undefined) entry.afterBackup = saveBackup(paths, journal.files.indexOf(entry), f.path, f.after, `${entry.afterSha256.slice(0, 12)}.actk`);
}

/** Whether two texts of a config format mean the same (both parse, to equal values). */
function sameMeaning(format: JournalFile["format"], a: string, b: string, file: string): boolean {
  try {
    return format === "json"
      ? deepEqual(parseJsonObject(a, file), parseJsonObject(b, file))
      : deepEqual(parseTomlTable(a, file), parseTomlTable(b, file));
  } catch {
    return false;
  }
}

/**
 * The text a journaled file should have after unconfigure (undefined = delete), and what was kept.
 * `ownLastWrite`: the bytes actk last wrote hold only this journal's changes, so a file still
 * exactly like them gets the original bytes back (not so when another runtime was configured
 * into it in between: its parts are in those bytes but not in the original).
 */
function restoredText(paths: { dir: string }, j: JournalFile, current: string, ownLastWrite = true): { text: string | undefined; kept: { change: ValueChange; reason: string }[] } {
  const original = j.backup ? readBackup(paths, j.backup) : undefined;
  if (ownLastWrite && sha256(current) === j.afterSha256) return { text: original, kept: [] };
  if (j.format === "owned") {
    return { text: current, kept: [{ change: { op: "set", path: [], value: null, hadPrevious: false, createdFrom: 0 }, reason: "the file was edited since actk wrote it; left in place" }] };
  }
  const semantic = j.format === "json"
    ? revertJsonChanges(current, j.path, j.changes)
    : revertTomlChanges(current, j.path, j.changes, j.appended);
  const { outcome } = semantic;
  let text = semantic.text;
  // Prefer replaying the user's edits onto the original bytes: exact wherever it means the same.
  if (j.afterBackup) {
    const merged = replayUserEdits(original ?? "", readBackup(paths, j.afterBackup), current);
    if (merged !== undefined && merged !== text && sameMeaning(j.format, merged, text, j.path)) text = merged;
  }
  // A file actk created and that now holds nothing else goes away again.
  if (!j.existed) {
    const rest = j.format === "json" ? parseJsonObject(text, j.path) : parseTomlTable(text, j.path);
    if (Object.keys(rest).every((k) => k === "version")) return { text: undefined, kept: outcome.kept };
  }
  return { text, kept: outcome.kept };
}

function read(host: HostRoot, p: string): string | undefined {
  try {
    return host.readTextIfExists(p);
  } catch {
    return undefined;
  }
}

/**
 * `named`: files the user named (the configure command line repeated); each must be one the journal
 * records, else nothing is changed. The journal decides what is restored either way.
 */
export function unconfigureEngine(engine: Engine, runtimeName: string, host: HostRoot, run: RunOptions, named: readonly { flag: string; path: string }[] = []): UnconfigureResult {
  const paths = journalPaths(host, engine.id, runtimeName);
  const journal = readJournal(paths.journal);
  for (const n of journal ? named : []) {
    if (journal?.files.some((f) => f.path === n.path)) continue;
    throw new ActkError(`actk did not configure ${n.path} for ${engine.id} (runtime "${runtimeName}")`, {
      place: `--${n.flag}`, exitCode: ExitCode.usage, unchanged: true,
      fix: `its journal ${paths.journal} records ${journal?.files.map((f) => f.path).join(", ") || "no file"}; name one of those, or leave --${n.flag} out`,
    });
  }
  const base: UnconfigureResult = {
    engine: engine.id, dryRun: run.dryRun, changed: false, files: [], notes: [], kept: [],
    restartNeeded: false, restartCommand: engine.restartCommand,
  };
  if (!journal) {
    base.notes.push(`no journal at ${paths.journal}: actk has not configured ${engine.id} for runtime "${runtimeName}"`);
    return base;
  }
  const others = otherJournals(host, paths.journal);
  // Runtimes configured into the same files after this one: their journals are rebased below.
  const later = laterJournals(journal, others);
  // Per file, what this unconfigure reverts: shared changes another runtime relies on stay.
  const parts = journal.files.map((j) => {
    const relying = relyingOn(j.path, others);
    const part = ownPart(j, relying);
    // With shared changes left in place, the original bytes are not what should come back.
    return { j, part, relying, ownLastWrite: part === j && lastWriteIsOwn(journal, j.path, later) };
  });
  const files: { path: string; before: string | undefined; after: string | undefined }[] = [];
  for (const { j, part, relying, ownLastWrite } of [...parts].reverse()) {
    const current = readCurrent(host, j.path);
    if (current === undefined) {
      base.notes.push(`${j.path} no longer exists; nothing to restore there`);
      continue;
    }
    const { text, kept } = restoredText(paths, part, current, ownLastWrite);
    const heir = part !== j ? heirOf(j.path, relying) : undefined;
    if (heir) {
      const keys = j.changes.filter((c) => c.shared).map((c) => c.path.join(".")).join(", ");
      base.notes.push(`${j.path}: ${keys} kept: runtime "${heir.journal.runtimeName}" relies on it; left to its journal`);
    }
    for (const k of kept) {
      const by = takenOver(k.change, later, j.path);
      if (by !== undefined) base.notes.push(`${j.path}: ${k.change.path.join(".")} was set since by actk for runtime "${by}"; left to its journal`);
      else base.kept.push({ path: j.path, key: k.change.path.join("."), reason: k.reason });
    }
    if (text !== current) files.push({ path: j.path, before: current, after: text });
  }
  base.files = outcomes(files);
  base.changed = files.length > 0;
  base.restartNeeded = files.length > 0 && engine.restartCommand !== "" && journal.files.some((f) => f.format !== "owned");
  base.journal = paths.journal;
  if (run.dryRun) return base;
  checkWritable(host, files);
  writeAll(host, files);
  const touched = new Set(later);
  for (const o of later) {
    for (const { part, ownLastWrite } of parts) rebaseFile(o, part, (text) => restoredText(paths, part, text, ownLastWrite).text);
  }
  for (const { j, part, relying } of parts) {
    if (part === j) continue;
    // What actk last wrote, less this runtime's own parts: the heir's copy of "after".
    const after = j.afterBackup !== undefined ? restoredText(paths, part, readBackup(paths, j.afterBackup), false).text : undefined;
    const heir = handOver(paths, j, relying, after ?? read(host, j.path) ?? "");
    if (heir) touched.add(heir);
  }
  for (const j of journal.files) {
    if (read(host, j.path) !== undefined) continue;
    for (const d of j.createdDirs ?? []) {
      try { fs.rmdirSync(host.resolve(d)); } catch { break; /* not empty (or gone): keep it and its parents */ }
    }
  }
  const leftDirs = journal.files.flatMap((j) => j.createdDirs ?? []).filter((d) => host.exists(d));
  for (const o of handOverDirs(leftDirs, others)) touched.add(o);
  for (const o of touched) {
    writeJournal(o.paths.journal, o.journal);
    pruneBackups(o.paths, o.journal);
  }
  removeJournal(paths);
  return base;
}
