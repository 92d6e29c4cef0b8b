/**
 * `actk cdi refresh --watch`: run refresh whenever something a spec was built
 * from may have changed. inotify (fs.watch) on the directories that hold the
 * inputs — device nodes, driver procfs, /proc/devices, the driver library
 * directories, ld.so.cache, /lib/modules — debounced so a module reload that
 * touches fifty nodes causes one refresh. Real procfs emits no inotify events,
 * so refresh also runs every `intervalMs`; since refresh writes only when the
 * text changes, a poll that finds nothing new is silent.
 *
 * Under --host-root the simulated procfs files are plain files, so inotify
 * sees them too.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import path from "node:path";
import type { Logger } from "../core/log.js";
import type { HostRoot } from "../host/host-root.js";
import type { RefreshOutcome } from "./refresh.js";

/** Directories whose entries or files feed discovery (host paths as the host sees them). */
export const defaultWatchDirs = [
  "/dev", "/dev/nvidia-caps", "/dev/dri", "/dev/dri/by-path",
  "/proc", "/proc/driver/nvidia", "/proc/driver/nvidia/gpus", "/proc/driver/nvidia-caps", "/proc/driver/nvidia/capabilities",
  "/sys/class/kfd/kfd/topology/nodes",
  "/etc", "/etc/ld.so.conf.d",
  "/lib/modules",
];

/** Directories whose changes happen deep inside (MIG instances: capabilities/gpu<N>/mig/gi<G>/ci<C>). */
const recursiveDirs = new Set(["/proc/driver/nvidia/capabilities"]);

/**
 * Files that matter inside watched directories that also hold much else; an
 * event in such a directory counts only for these names. Other directories
 * count every event.
 */
const interestingIn: Record<string, (name: string) => boolean> = {
  "/proc": (n) => n === "devices" || n === "modules",
  "/etc": (n) => n === "ld.so.cache" || n === "ld.so.conf" || n === "ld.so.conf.d",
  "/dev": (n) => /^(nvidia|davinci|devmm|hisi|kfd|dri|accel|dxg)/.test(n),
};

export interface WatchOptions {
  host: HostRoot;
  /** Directories to watch in addition to the defaults (e.g. driver library directories); asked again on every pass, as specs come and go. */
  extraDirs?: () => readonly string[];
  /** Poll interval (ms); refresh runs at least this often. 0 disables polling. */
  intervalMs: number;
  /** Quiet time after the last event before refreshing (ms). */
  debounceMs: number;
  /** One refresh pass; must not throw for a bad spec (it reports it in the outcome). */
  refresh(): RefreshOutcome[];
  logger: Logger;
  /**
   * Skip a poll's pass when a cheap summary of the inputs (inputFingerprint) is unchanged; every
   * `fullPassEvery`-th poll (default 12) runs anyway, for what the summary cannot see.
   */
  skipUnchangedPolls?: boolean;
  fullPassEvery?: number;
}

export interface Watcher {
  /** Stops watching; resolves `done`. */
  close(): void;
  /** Resolves when the watcher is closed. */
  done: Promise<void>;
  /** Directories currently watched (host paths as the host sees them). */
  watched(): string[];
}

/** Log one refresh pass: every change with its reason, errors as warnings, the rest at debug. */
export function logOutcomes(logger: Logger, outcomes: readonly RefreshOutcome[], trigger: string): void {
  for (const o of outcomes) {
    if (o.error) logger.warn(`${o.file}: ${o.reason}: ${o.error}`, { trigger });
    else if (o.changed) logger.info(`refreshed ${o.file}: ${o.reason}`, { trigger });
    else logger.debug(`${o.file}: ${o.reason}`, { trigger });
  }
}

/** Whether an entry of a watched directory counts (the same filter events get). */
function counts(dir: string, name: string): boolean {
  const filter = interestingIn[dir];
  return !filter || filter(name);
}

/**
 * A cheap summary of what discovery reads: the procfs files whose content changes without an mtime
 * (/proc/devices, the driver version, MIG minors, loaded module names) and, per watched directory,
 * the entries that count with their inode, size, mtime and device numbers. Equal summaries mean a
 * full pass would find nothing new (in all but exotic cases, which the periodic full pass catches).
 */
export function inputFingerprint(host: HostRoot, dirs: Iterable<string>): string {
  const h = createHash("sha256");
  for (const f of ["/proc/devices", "/proc/driver/nvidia/version", "/proc/driver/nvidia-caps/mig-minors"]) {
    h.update(`${f}\0${host.readTextIfExists(f) ?? "-"}\0`);
  }
  h.update((host.readTextIfExists("/proc/modules") ?? "").split("\n").map((l) => l.split(" ")[0]).join(","));
  const walk = (dir: string, depth: number): void => {
    for (const e of host.readdir(dir)) {
      if (depth === 0 && !counts(dir, e.name)) continue;
      const p = path.posix.join(dir, e.name);
      const st = host.lstat(p);
      h.update(`${p}\0${st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.rdev}:${st.mode}` : "-"}\0`);
      if (e.isDirectory && depth < 8 && [...recursiveDirs].some((r) => p.startsWith(`${r}/`))) walk(p, depth + 1);
    }
  };
  for (const dir of [...dirs].sort()) walk(dir, 0);
  return h.digest("hex");
}

export function watchAndRefresh(opts: WatchOptions): Watcher {
  const watchers = new Map<string, fs.FSWatcher>();
  let dirs = new Set<string>(defaultWatchDirs);
  let lastPrint = "";
  let polls = 0;
  const fingerprint = (): string => (opts.skipUnchangedPolls ? inputFingerprint(opts.host, dirs) : "");
  const pending = new Set<string>();
  let debounce: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  let closed = false;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => { resolveDone = r; });

  const run = (trigger: string): void => {
    if (closed) return;
    lastPrint = fingerprint(); // the state this pass sees
    let outcomes: RefreshOutcome[];
    try {
      outcomes = opts.refresh();
    } catch (e) {
      opts.logger.error(`refresh failed: ${e instanceof Error ? e.message : String(e)}`, { trigger });
      return;
    }
    logOutcomes(opts.logger, outcomes, trigger);
  };

  const onEvent = (dir: string, name: string | null): void => {
    const filter = interestingIn[dir];
    if (filter && name !== null && !filter(name)) return;
    pending.add(name ? path.posix.join(dir, name) : dir);
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      const what = [...pending].sort();
      pending.clear();
      run(`changed: ${what.slice(0, 5).join(", ")}${what.length > 5 ? `, … (${what.length})` : ""}`);
      ensureWatchers(); // a new directory (/dev/nvidia-caps after a module load, a new library dir) gets watched too
    }, opts.debounceMs);
  };

  function ensureWatchers(): void {
    let extra: readonly string[] = [];
    try {
      extra = opts.extraDirs?.() ?? [];
    } catch {
      // A spec that cannot be read now is reported by the refresh pass itself.
    }
    dirs = new Set([...defaultWatchDirs, ...extra]);
    for (const [dir, w] of watchers) {
      if (!dirs.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      const existing = watchers.get(dir);
      const target = opts.host.hostPath(dir);
      if (existing) {
        if (fs.existsSync(target)) continue;
        existing.close();
        watchers.delete(dir);
        continue;
      }
      try {
        if (!fs.statSync(target).isDirectory()) continue;
        const w = fs.watch(target, { persistent: true, recursive: recursiveDirs.has(dir) }, (_event, name) => onEvent(dir, typeof name === "string" ? name : null));
        w.on("error", () => {
          // The directory went away (driver unloaded); the next pass re-adds it when it is back.
          w.close();
          watchers.delete(dir);
        });
        watchers.set(dir, w);
      } catch {
        // Missing or unwatchable (ENOSPC for inotify watches): polling still covers it.
      }
    }
  }

  ensureWatchers();
  run("start");
  if (opts.intervalMs > 0) {
    poll = setInterval(() => {
      polls++;
      if (opts.skipUnchangedPolls && polls % (opts.fullPassEvery ?? 12) !== 0 && fingerprint() === lastPrint) return;
      run("poll");
      ensureWatchers();
    }, opts.intervalMs);
  }

  return {
    close() {
      if (closed) return;
      closed = true;
      if (debounce) clearTimeout(debounce);
      if (poll) clearInterval(poll);
      for (const w of watchers.values()) w.close();
      watchers.clear();
      resolveDone();
    },
    done,
    watched: () => [...watchers.keys()],
  };
}

/** Directories of the files the specs mount (driver libraries, firmware), to watch for upgrades. */
export function mountDirsOf(hostPaths: readonly string[], host: HostRoot): string[] {
  const out = new Set<string>();
  for (const p of hostPaths) {
    if (!p.startsWith("/")) continue;
    const rel = !host.isRealHost && p.startsWith(host.root + "/") ? p.slice(host.root.length) : p;
    out.add(path.posix.dirname(rel));
  }
  return [...out].sort();
}
