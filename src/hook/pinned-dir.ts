/**
 * A directory inside a container rootfs held open by the privileged process that writes there.
 *
 * A path string is walked again by every system call that gets it: between the symlink check of a
 * path and its use, a process that can write a directory on the way (a sidecar sharing a volume,
 * the image's own processes in later hooks) could swap a directory for a symlink to a host path.
 * Node has no openat(2); `/proc/self/fd/<fd>/<name>` is its equivalent: the kernel starts from the
 * directory the fd holds, never from the path it was opened by. So each directory is opened one
 * component at a time with O_NOFOLLOW (a symlink anywhere fails the walk), and every operation
 * names only a final component inside the pinned directory.
 */
import * as fs from "node:fs";
import { ActkError, ExitCode } from "../core/errors.js";

/** O_PATH (Linux, every architecture Node runs on): an fd that names an inode without opening it. */
const O_PATH = 0o10000000;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

export class PinnedDir {
  /** fd: the open directory (for a child process that should act in it: pass it, name `/proc/self/fd/N/<name>`). */
  private constructor(readonly fd: number, readonly inRoot: string) {}

  /**
   * Opens in-root directory `inRoot` (already resolved, see resolveIn) of root `view`, component by
   * component, never following a symlink; with `create`, missing directories are made (0755).
   */
  static open(view: string, inRoot: string, opts: { create: boolean; what: string }): PinnedDir {
    // The root itself is the trusted starting point (a bundle's rootfs, or /proc/<pid>/root).
    let fd = fs.openSync(view, O_RDONLY | O_DIRECTORY);
    let at = "";
    try {
      for (const comp of inRoot.split("/").filter(Boolean)) {
        at += `/${comp}`;
        const next = openComponent(fd, comp, at, inRoot, opts);
        fs.closeSync(fd);
        fd = next;
      }
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return new PinnedDir(fd, inRoot);
  }

  /** A path that reaches `name` in this directory through its fd (the directory itself without a name). */
  at(name?: string): string {
    if (name !== undefined && (name === "" || name === "." || name === ".." || name.includes("/"))) {
      throw new ActkError(`"${name}" is not a file name`, { exitCode: ExitCode.internal });
    }
    return name === undefined ? `/proc/self/fd/${this.fd}` : `/proc/self/fd/${this.fd}/${name}`;
  }

  /** lstat of `name` in this directory, or undefined when there is none. */
  lstat(name: string): fs.Stats | undefined {
    try {
      return fs.lstatSync(this.at(name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  /**
   * chmod of `name` (or of this directory), never through a symlink: the inode is taken with
   * O_PATH|O_NOFOLLOW, so a link planted at the name is refused, not followed.
   */
  chmod(name: string | undefined, mode: number, what: string): void {
    const fd = name === undefined ? fs.openSync(this.at(), O_PATH) : fs.openSync(this.at(name), O_PATH | O_NOFOLLOW);
    try {
      if (fs.fstatSync(fd).isSymbolicLink()) throw changedError(what, `${this.inRoot}/${name}`, `${this.inRoot}/${name}`);
      fs.chmodSync(`/proc/self/fd/${fd}`, mode);
    } finally {
      fs.closeSync(fd);
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Runs `fn` with in-root directory `inRoot` pinned, and closes it after. */
export function withPinnedDir<T>(view: string, inRoot: string, opts: { create: boolean; what: string }, fn: (dir: PinnedDir) => T): T {
  const dir = PinnedDir.open(view, inRoot, opts);
  try {
    return fn(dir);
  } finally {
    dir.close();
  }
}

function openComponent(parent: number, comp: string, at: string, inRoot: string, opts: { create: boolean; what: string }): number {
  const p = `/proc/self/fd/${parent}/${comp}`;
  for (let attempt = 0; ; attempt++) {
    try {
      return fs.openSync(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" && opts.create && attempt === 0) {
        try {
          fs.mkdirSync(p, { mode: 0o755 });
        } catch (m) {
          if ((m as NodeJS.ErrnoException).code !== "EEXIST") throw m;
        }
        continue;
      }
      if (code === "ELOOP") throw changedError(opts.what, inRoot, at);
      if (code === "ENOTDIR") {
        // A symlink fails O_NOFOLLOW with ELOOP, or with ENOTDIR when O_DIRECTORY is checked first.
        if (fs.lstatSync(p).isSymbolicLink()) throw changedError(opts.what, inRoot, at);
        throw new ActkError(`${opts.what}: ${at} exists in the container and is not a directory`, {
          place: inRoot, exitCode: ExitCode.failed, fix: "the image has a file where a directory is needed",
        });
      }
      throw e;
    }
  }
}

/** The error for a path that is not (or no longer) what it was resolved as: a symlink appeared at `at`. */
export function changedError(what: string, inRoot: string, at: string): ActkError {
  return new ActkError(`${what}: ${inRoot} changed while it was being prepared (a symlink appeared at ${at || "/"})`, {
    place: inRoot, exitCode: ExitCode.failed, fix: "refusing to continue; the image or another process is racing the hook",
  });
}
