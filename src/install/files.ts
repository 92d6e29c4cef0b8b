/**
 * File operations of the installer that remember what was there before.
 * Paths are as the host sees them; HostRoot maps them under --host-root.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import type { HostRoot } from "../host/host-root.js";
import type { UndoRecord } from "./journal.js";

export type Change = "created" | "updated" | "unchanged";

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/**
 * Record every missing directory above `p` (as the host sees it), shallowest
 * first, so uninstall can remove the ones actk created once they are empty.
 */
export function recordNewDirs(host: HostRoot, p: string, records: UndoRecord[]): void {
  const missing: string[] = [];
  for (let d = path.posix.dirname(p); d !== "/" && !fs.existsSync(host.hostPath(d)); d = path.posix.dirname(d)) missing.unshift(d);
  for (const d of missing) if (!records.some((r) => r.kind === "dir" && r.path === d)) records.push({ kind: "dir", path: d });
}

function previous(host: HostRoot, p: string): { bytes: Buffer | null; mode?: number; link?: string } {
  const hp = host.hostPath(p);
  const st = fs.lstatSync(hp, { throwIfNoEntry: false });
  if (!st) return { bytes: null };
  if (st.isSymbolicLink()) return { bytes: null, link: fs.readlinkSync(hp) };
  if (!st.isFile()) return { bytes: null };
  return { bytes: fs.readFileSync(hp), mode: st.mode & 0o7777 };
}

/** The journal's record of an earlier write by actk to the same path (file or link), if any. */
function earlierRecord(records: UndoRecord[], p: string): Extract<UndoRecord, { kind: "file" | "symlink" }> | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i] as UndoRecord;
    if ((r.kind === "file" || r.kind === "symlink") && r.path === p) return r;
  }
  return undefined;
}

/** Write a file (atomically, mode given) unless it already has these bytes and mode. */
export function installFile(host: HostRoot, p: string, data: Buffer | string, mode: number, records: UndoRecord[], dryRun: boolean): Change {
  const want = typeof data === "string" ? Buffer.from(data) : data;
  const before = previous(host, p);
  if (before.bytes && before.bytes.equals(want) && before.mode === mode) return "unchanged";
  recordNewDirs(host, p, records);
  if (!dryRun) {
    const hp = host.hostPath(p);
    if (before.link !== undefined) fs.rmSync(hp);
    writeFileAtomic(hp, want, { mkdirs: true, mode });
    fs.chmodSync(hp, mode);
  }
  const earlier = earlierRecord(records, p);
  if (earlier) {
    // Replacing actk's own earlier write (an upgrade): the earlier record already holds the
    // original; only what to expect at uninstall changes (keeps the journal small with --with-node).
    if (earlier.kind === "file") earlier.afterSha256 = sha256(want);
    else records.push({ kind: "file", path: p, before: null, afterSha256: sha256(want) });
  } else {
    records.push({
      kind: "file", path: p, before: before.bytes ? before.bytes.toString("base64") : null,
      ...(before.mode !== undefined ? { beforeMode: before.mode } : {}), afterSha256: sha256(want),
    });
  }
  return before.bytes || before.link !== undefined ? "updated" : "created";
}

export function installSymlink(host: HostRoot, p: string, target: string, records: UndoRecord[], dryRun: boolean): Change {
  const hp = host.hostPath(p);
  const before = previous(host, p);
  if (before.link === target) return "unchanged";
  recordNewDirs(host, p, records);
  if (earlierRecord(records, p)) {
    // actk's own earlier write; the earlier record restores the original.
  } else if (before.bytes) {
    // Never replace a real program of the same name (an NVIDIA install, say) without keeping it.
    records.push({ kind: "file", path: p, before: before.bytes.toString("base64"), ...(before.mode !== undefined ? { beforeMode: before.mode } : {}) });
  } else {
    records.push({ kind: "symlink", path: p, before: before.link ?? null });
  }
  if (!dryRun) {
    fs.mkdirSync(path.dirname(hp), { recursive: true, mode: 0o755 });
    const tmp = `${hp}.actk-tmp-${process.pid}`;
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(target, tmp);
    fs.renameSync(tmp, hp);
  }
  return before.bytes || before.link !== undefined ? "updated" : "created";
}

/** Undo one record; returns a sentence saying what was done. */
export function undo(host: HostRoot, r: UndoRecord): string {
  if (r.kind === "engine") return `engine ${r.runtime} is restored by its own journal`;
  const hp = host.hostPath(r.path);
  switch (r.kind) {
    case "file": {
      const st = fs.lstatSync(hp, { throwIfNoEntry: false });
      if (r.afterSha256 && st?.isFile() && sha256(fs.readFileSync(hp)) !== r.afterSha256) {
        return `kept ${r.path} (changed since actk installed it)`;
      }
      if (r.before === null) {
        fs.rmSync(hp, { force: true });
        return `removed ${r.path}`;
      }
      fs.rmSync(hp, { force: true });
      writeFileAtomic(hp, Buffer.from(r.before, "base64"), { mkdirs: true, mode: r.beforeMode ?? 0o644 });
      return `restored ${r.path}`;
    }
    case "symlink":
      fs.rmSync(hp, { force: true });
      if (r.before === null) return `removed ${r.path}`;
      fs.symlinkSync(r.before, hp);
      return `restored link ${r.path} -> ${r.before}`;
    case "dir":
      if (!fs.existsSync(hp)) return `${r.path} is already gone`;
      try {
        fs.rmdirSync(hp);
        return `removed empty directory ${r.path}`;
      } catch {
        return `kept ${r.path} (not empty)`;
      }
  }
}
