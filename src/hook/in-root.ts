/**
 * File operations inside a container rootfs from a privileged process.
 * Every path is resolved with resolveInRoot (symlinks re-rooted, `..` clamped);
 * then the directory that is written in is opened one component at a time
 * without following links (./pinned-dir.ts), and the write names only a final
 * component inside that open directory: a symlink swapped into the path after
 * the check fails the walk or is never reached. docs/security.md says what
 * remains (mknod and mount run as programs, by path, and are re-checked).
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import { isWithin, resolveRelativeToRoot } from "../host/path-in-root.js";
import { changedError, withPinnedDir } from "./pinned-dir.js";

/** A path inside the rootfs: as the container sees it, and where the hook reaches it. */
export interface InRootPath {
  /** Resolved, as seen inside the container ("/usr/lib/x86_64-linux-gnu/libcuda.so.1"). */
  inRoot: string;
  /** view + inRoot. */
  host: string;
}

/** Rejects paths that are not absolute, contain NUL or `..` (a spec or flag must name a clean path). */
export function checkContainerPath(p: string, place: string): string {
  if (!p.startsWith("/") || p.includes("\0") || p.split("/").includes("..")) {
    throw new ActkError(`container path "${p}" must be absolute and must not contain ".."`, {
      place, exitCode: ExitCode.badInput, fix: "give a normalised absolute path such as /usr/lib/x86_64-linux-gnu",
    });
  }
  return path.posix.normalize(p);
}

/** Kernel filesystems the runtime mounts into the rootfs: writing there reaches host-global state, never image files. */
const kernelTrees = ["/proc", "/sys"];

/** Resolves `p` inside `view`; the final component is followed unless followFinal is false. */
export function resolveIn(view: string, p: string, followFinal = true): InRootPath {
  const inRoot = resolveRelativeToRoot(view, p, { followFinal });
  const host = inRoot === "/" ? view : view + inRoot;
  if (!isWithin(view, host)) {
    throw new ActkError(`${p} resolves outside the container root`, { place: p, exitCode: ExitCode.badInput });
  }
  const kernel = kernelTrees.find((k) => inRoot === k || inRoot.startsWith(k + "/"));
  if (kernel) {
    throw new ActkError(`${p} resolves to ${inRoot}, inside the container's ${kernel}`, {
      place: p, exitCode: ExitCode.failed, fix: `refusing to write into ${kernel}; the image links a path there`,
    });
  }
  return { inRoot, host };
}

/** Throws when any existing component of view+inRoot below view is a symlink (the re-check after resolving). */
export function assertNoSymlinks(view: string, inRoot: string, what: string): void {
  let cur = view;
  for (const comp of inRoot.split("/").filter(Boolean)) {
    cur = path.join(cur, comp);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      return; // missing from here on: nothing left to follow
    }
    if (st.isSymbolicLink()) throw changedError(what, inRoot, cur.slice(view.length));
  }
}

/**
 * Creates directory `p` (and its missing parents, mode 0755) inside the rootfs
 * without following any symlink; returns the resolved path.
 */
export function mkdirInRoot(view: string, p: string, what: string): InRootPath {
  const target = resolveIn(view, p);
  withPinnedDir(view, target.inRoot, { create: true, what }, () => undefined);
  return target;
}

/**
 * Writes a file inside the rootfs atomically. The parent is created in-root and
 * pinned; a symlink at the final name is replaced (rename never follows it), so
 * a planted link cannot redirect the write.
 */
export function writeFileInRoot(view: string, p: string, data: string, mode: number, what: string): InRootPath {
  const parent = resolveIn(view, path.posix.dirname(p));
  const name = path.posix.basename(p);
  const inRoot = path.posix.join(parent.inRoot, name);
  withPinnedDir(view, parent.inRoot, { create: true, what }, (dir) => {
    const st = dir.lstat(name);
    if (st?.isSymbolicLink()) fs.unlinkSync(dir.at(name));
    else if (st && !st.isFile()) {
      throw new ActkError(`${what}: ${inRoot} exists in the container and is not a regular file`, { place: inRoot, exitCode: ExitCode.failed });
    }
    // A container's files: not worth a disk flush on the start path (a crash ends the container too).
    writeFileAtomic(dir.at(name), data, { mode, durable: false });
  });
  return { inRoot, host: view + inRoot };
}

/**
 * Makes sure a mount target exists: a directory for a directory source, an
 * empty file otherwise (created in its pinned parent). Returns the resolved path.
 */
export function ensureMountTarget(view: string, p: string, directory: boolean, what: string): InRootPath {
  if (directory) return mkdirInRoot(view, p, what);
  const parent = mkdirInRoot(view, path.posix.dirname(p), what);
  // The final name is followed in-root: an image's link at the target (libcuda.so.1 -> …) is mounted over its target.
  const t = resolveIn(view, path.posix.join(parent.inRoot, path.posix.basename(p)));
  const name = path.posix.basename(t.inRoot);
  withPinnedDir(view, path.posix.dirname(t.inRoot), { create: true, what }, (dir) => {
    if (!dir.lstat(name)) {
      try {
        fs.closeSync(fs.openSync(dir.at(name), fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW, 0o644));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    const st = dir.lstat(name);
    if (st?.isDirectory()) {
      throw new ActkError(`${what}: ${t.inRoot} is a directory in the container but the source is a file`, { place: t.inRoot, exitCode: ExitCode.failed });
    }
    if (!st || st.isSymbolicLink()) throw changedError(what, t.inRoot, t.inRoot);
  });
  return t;
}
