/**
 * The record of what `actk runtime configure` changed, kept in
 * /var/lib/actk/backups/ (under --host-root): one JSON journal per engine and
 * runtime name, plus the bytes each file had before actk's first change.
 * `actk runtime unconfigure` reads it to put back exactly those changes.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import type { HostRoot } from "../host/host-root.js";
import type { EngineId, FileFormat } from "./engine.js";
import type { ValueChange } from "./value-change.js";

export const backupDir = "/var/lib/actk/backups";

export interface JournalFile {
  /** The file as the host sees it. */
  path: string;
  format: FileFormat;
  /** Whether the file existed before actk's first change. */
  existed: boolean;
  /** Backup of the bytes before actk's first change, relative to the backup dir. */
  backup?: string;
  beforeSha256?: string;
  /** Hash of the bytes actk last wrote. */
  afterSha256: string;
  /** Copy of the bytes actk last wrote (to replay the user's later edits onto the original). */
  afterBackup?: string;
  changes: ValueChange[];
  appended?: string;
  /** Directories actk created for the file (deepest first); removed again when empty. */
  createdDirs?: string[];
  /** A drop-in: the file whose `imports` makes the engine read it (see journal-handover.ts). */
  importedBy?: string;
}

export interface Journal {
  journalVersion: 1;
  engine: EngineId;
  runtimeName: string;
  createdAt: string;
  updatedAt: string;
  files: JournalFile[];
}

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

export function journalName(engine: EngineId, runtimeName: string): string {
  return `${engine}-${runtimeName}.journal.json`;
}

export interface JournalPaths {
  dir: string;
  journal: string;
  backups: string;
}

/** Host paths of the journal and the backup folder for an engine/runtime pair. */
export function journalPaths(host: HostRoot, engine: EngineId, runtimeName: string): JournalPaths {
  const dir = host.hostPath(backupDir);
  return { dir, journal: path.join(dir, journalName(engine, runtimeName)), backups: path.join(dir, `${engine}-${runtimeName}`) };
}

/** Every other engine/runtime journal in the backup dir (other runtimes configured into the same files). */
export function otherJournals(host: HostRoot, except: string): { paths: JournalPaths; journal: Journal }[] {
  const dir = host.hostPath(backupDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith(".journal.json")).sort();
  } catch {
    return [];
  }
  const out: { paths: JournalPaths; journal: Journal }[] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    if (file === except) continue;
    let journal: Journal | undefined;
    try {
      journal = readJournal(file);
    } catch {
      continue; // another runtime's broken journal is its own unconfigure's business
    }
    if (!journal) continue;
    const paths = journalPaths(host, journal.engine, journal.runtimeName);
    if (paths.journal === file) out.push({ paths, journal });
  }
  return out;
}

export function readJournal(file: string): Journal | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let j: Journal;
  try {
    j = JSON.parse(text) as Journal;
  } catch (e) {
    throw new ActkError(`the journal is not valid JSON: ${(e as Error).message}`, {
      file, exitCode: ExitCode.badInput, unchanged: true, fix: "restore the journal from a backup, or undo actk's changes by hand and delete it",
    });
  }
  if (j.journalVersion !== 1 || !Array.isArray(j.files)) {
    throw new ActkError("unknown journal format", { file, exitCode: ExitCode.badInput, unchanged: true, fix: "use the actk version that wrote it" });
  }
  return j;
}

export function writeJournal(file: string, journal: Journal): void {
  writeFileAtomic(file, JSON.stringify(journal, null, 2) + "\n", { mode: 0o600, mkdirs: true });
}

/** Save the bytes a file had before actk changed it; returns the name relative to the backup dir. */
export function saveBackup(paths: { dir: string; backups: string }, index: number, filePath: string, bytes: string, suffix = "orig"): string {
  fs.mkdirSync(paths.backups, { recursive: true, mode: 0o700 });
  const name = path.join(paths.backups, `${index}-${path.basename(filePath)}.${suffix}`);
  writeFileAtomic(name, bytes, { mode: 0o600 });
  return path.relative(paths.dir, name);
}

export function readBackup(paths: { dir: string }, rel: string): string {
  return fs.readFileSync(path.join(paths.dir, rel), "utf8");
}

export function removeJournal(paths: { journal: string; backups: string }): void {
  fs.rmSync(paths.journal, { force: true });
  fs.rmSync(paths.backups, { recursive: true, force: true });
}

/** Delete backup files the journal no longer refers to (after a re-configure or a rollback). */
export function pruneBackups(paths: { dir: string; backups: string }, journal: Journal): void {
  const keep = new Set(journal.files.flatMap((f) => [f.backup, f.afterBackup]).filter((x): x is string => !!x).map((r) => path.join(paths.dir, r)));
  let names: string[];
  try {
    names = fs.readdirSync(paths.backups);
  } catch {
    return;
  }
  for (const n of names) {
    const p = path.join(paths.backups, n);
    if (!keep.has(p)) fs.rmSync(p, { force: true });
  }
}
