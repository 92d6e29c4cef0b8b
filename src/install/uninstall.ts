/**
 * `actk uninstall`: undo the install journal's records in reverse order.
 * Files and links first (the journal is rewritten after each, so an
 * interrupted uninstall can be run again), engines through their own
 * journals, then the journal itself, then the directories actk created,
 * deepest first, when they are empty.
 */
import type { HostRoot } from "../host/host-root.js";
import type { Engine } from "../engines/engine.js";
import { unconfigureEngine } from "../engines/transaction.js";
import { undo } from "./files.js";
import { readInstallJournal, removeInstallJournal, writeInstallJournal, type UndoRecord } from "./journal.js";
import { daemonReload, unitDir } from "./install.js";

export interface UninstallStep {
  /** The journal record undone (absent for the systemd reload). */
  record?: UndoRecord;
  detail: string;
}

export interface UninstallResult {
  installed: boolean;
  dryRun: boolean;
  steps: UninstallStep[];
  restartNeeded: boolean;
  restartCommands: string[];
}

export interface UninstallOptions {
  host: HostRoot;
  dryRun: boolean;
  /** The engine plugin of an id, or undefined when it is not available. */
  engine: (id: string) => Engine | undefined;
}

function describe(r: Exclude<UndoRecord, { kind: "engine" }>): string {
  switch (r.kind) {
    case "dir": return `would remove ${r.path} when empty`;
    case "file": return r.before === null ? `would remove ${r.path}` : `would restore ${r.path}`;
    case "symlink": return r.before === null ? `would remove ${r.path}` : `would restore link ${r.path} -> ${r.before}`;
  }
}

/**
 * Unconfigure one engine, or (dry run) work out what that would do: the same call either
 * way, so the dry run's restart decision is the real run's.
 */
function unconfigureStep(o: UninstallOptions, r: Extract<UndoRecord, { kind: "engine" }>): { detail: string; restartCommand?: string; restartNeeded: boolean } {
  const engine = o.engine(r.runtime);
  if (!engine) {
    return { restartNeeded: false, detail: `${r.runtime}: engine plugin not available; run \`actk runtime unconfigure --runtime ${r.runtime} --runtime-name ${r.runtimeName}\` later` };
  }
  const u = unconfigureEngine(engine, r.runtimeName, o.host, { dryRun: o.dryRun, verify: false });
  const [restored, keptVerb] = o.dryRun ? ["would restore", "would keep"] : ["restored", "kept"];
  const kept = u.kept.length ? `; ${keptVerb} ${u.kept.map((k) => `${k.path}: ${k.key || "(whole file)"}`).join(", ")} (changed since)` : "";
  const restart = u.restartNeeded ? `yes — ${u.restartCommand}` : "no";
  const what = u.changed ? `${restored} ${u.files.map((f) => f.path).join(", ")}` : u.notes.join("; ") || "nothing to restore";
  return {
    detail: `${r.runtime}: ${what}${kept} (restart needed: ${restart})`,
    restartNeeded: u.restartNeeded,
    ...(u.restartNeeded && u.restartCommand ? { restartCommand: u.restartCommand } : {}),
  };
}

export function runUninstall(o: UninstallOptions): UninstallResult {
  const { host, dryRun } = o;
  const result: UninstallResult = { installed: false, dryRun, steps: [], restartNeeded: false, restartCommands: [] };
  const journal = readInstallJournal(host);
  if (!journal) return result;
  result.installed = true;

  const pending = [...journal.records];
  const dirs = pending.filter((r) => r.kind === "dir").sort((a, b) => b.path.length - a.path.length);
  let touchedUnits = false;
  for (let i = pending.length - 1; i >= 0; i--) {
    const r = pending[i] as UndoRecord;
    if (r.kind === "dir") continue;
    let detail: string;
    if (r.kind === "engine") {
      const u = unconfigureStep(o, r);
      detail = u.detail;
      if (u.restartCommand) result.restartCommands.push(u.restartCommand);
      result.restartNeeded ||= u.restartNeeded;
    } else if (dryRun) {
      detail = describe(r);
    } else {
      detail = undo(host, r);
      if (r.path.startsWith(`${unitDir}/`)) touchedUnits = true;
    }
    result.steps.push({ record: r, detail });
    if (!dryRun) {
      journal.records = pending.slice(0, i).concat(pending.slice(i + 1).filter((x) => x.kind === "dir"));
      writeInstallJournal(host, journal);
    }
  }
  if (!dryRun) removeInstallJournal(host);
  if (dirs.length) {
    if (dryRun) {
      result.steps.push({ detail: `would remove the ${dirs.length} directories actk created, when empty: ${dirs.map((d) => d.path).join(", ")}` });
    } else {
      const kept = dirs.filter((d) => undo(host, d).startsWith("kept")).map((d) => d.path);
      result.steps.push({
        detail: `removed ${dirs.length - kept.length} of the ${dirs.length} directories actk created${kept.length ? `; kept ${kept.join(", ")} (not empty)` : ""}`,
      });
    }
  }
  if (touchedUnits && !dryRun) result.steps.push({ detail: daemonReload(host) });
  return result;
}
