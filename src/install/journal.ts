/**
 * What `actk install` changed on a host, so `actk uninstall` can undo exactly
 * that: every file it wrote with the bytes that were there before (or that
 * there was none), and every engine it configured (undone through the
 * engine's own journal by `runtime unconfigure`).
 */
import * as fs from "node:fs";
import { ActkError, ExitCode } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import type { HostRoot } from "../host/host-root.js";

export const installJournalPath = "/var/lib/actk/install.json";

export type UndoRecord =
  /**
   * A file or symlink actk wrote; `before` is the previous content (base64) or link target, null when absent.
   * `afterSha256`: what actk wrote, so uninstall keeps a file the user edited since (a customised config).
   */
  | { kind: "file"; path: string; before: string | null; beforeMode?: number; afterSha256?: string }
  | { kind: "symlink"; path: string; before: string | null }
  /** A directory actk created (removed by uninstall when empty, after everything in it). */
  | { kind: "dir"; path: string }
  | { kind: "engine"; runtime: string; runtimeName: string };

export interface InstallJournal {
  version: 1;
  installedAt: string;
  prefix: string;
  records: UndoRecord[];
}

export function readInstallJournal(host: HostRoot): InstallJournal | undefined {
  const text = host.readTextIfExists(installJournalPath);
  if (text === undefined) return undefined;
  try {
    const j = JSON.parse(text) as InstallJournal;
    if (j.version !== 1 || !Array.isArray(j.records)) throw new Error("unknown journal version");
    return j;
  } catch (e) {
    throw new ActkError(`the install journal is not valid: ${(e as Error).message}`, {
      file: host.hostPath(installJournalPath), exitCode: ExitCode.badInput,
      fix: "restore it from a backup, or remove actk's files by hand (docs/install.md lists them) and delete the journal",
    });
  }
}

export function writeInstallJournal(host: HostRoot, journal: InstallJournal): void {
  writeFileAtomic(host.hostPath(installJournalPath), JSON.stringify(journal, null, 2) + "\n", { mkdirs: true, mode: 0o644 });
}

export function removeInstallJournal(host: HostRoot): void {
  fs.rmSync(host.hostPath(installJournalPath), { force: true });
}
