/**
 * Every file actk writes goes through here: a temp file in the same directory,
 * fsync (unless the data is not meant to outlive a crash), rename. An existing file keeps its mode and owner; a crash leaves
 * either the old or the new bytes, never a mix.
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "./errors.js";

export interface AtomicWriteOptions {
  /** Mode for a new file (an existing file keeps its own). Default 0o644. */
  mode?: number;
  /** Create missing parent directories (mode 0o755). */
  mkdirs?: boolean;
  /**
   * false: skip the fsync. Only for state that dies with a crash anyway (a container bundle's
   * config.json, files in a container's rootfs): rename keeps it whole, and the container start
   * does not wait for the disk. Default true.
   */
  durable?: boolean;
  /**
   * A file the user names and owns (a config, a CDI spec): a symlink is written through (the link
   * stays, its target gets the bytes), and a file the caller could not write, or whose owner the
   * rename would change (not root), is refused instead of replaced. Never for paths inside a
   * container's rootfs, where a link must not be followed.
   */
  userFile?: boolean;
}

/** Errors of the write as one line naming the file the user gave, never actk's temp file. */
function writeError(file: string, e: unknown): ActkError {
  const code = (e as NodeJS.ErrnoException).code;
  const dir = path.dirname(file);
  const [what, fix] =
    code === "EISDIR" ? [`${file} is a directory`, "give a file name, not a directory"]
      : code === "ENOTDIR" || code === "EEXIST" ? [`a part of ${dir} is a file, not a directory`, "check the path"]
        : code === "ENOENT" ? [`the directory ${dir} does not exist`, "create it first, or check the path"]
          : code === "EACCES" || code === "EPERM" ? [`no permission to write in ${dir}`, "run as a user who may write that directory (root, for system files)"]
            : code === "EROFS" ? [`${dir} is on a read-only file system`, "write somewhere else"]
              : code === "ENOSPC" ? [`no space left to write ${file}`, "free some space"]
                : [`cannot write ${file}: ${(e as Error).message}`, undefined];
  return new ActkError(what, { file, exitCode: ExitCode.host, unchanged: true, cause: e, ...(fix ? { fix } : {}) });
}

export function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  if (!opts.userFile) {
    writeAtomic(file, data, opts);
    return;
  }
  let target = file;
  try {
    if (fs.lstatSync(file).isSymbolicLink()) target = fs.realpathSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A dangling link: its target is the file to create.
    if (code === "ENOENT" && isSymlink(file)) target = path.resolve(path.dirname(file), fs.readlinkSync(file));
    else if (code !== "ENOENT") throw writeError(file, e);
  }
  checkOwnWrite(target);
  try {
    writeAtomic(target, data, opts);
  } catch (e) {
    throw e instanceof ActkError ? e : writeError(target, e);
  }
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** As a user other than root, a rename would hand an existing file to that user and bypass its read-only mode. */
function checkOwnWrite(file: string): void {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  if (uid === 0) return;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return; // a new file
  }
  if (st.isDirectory()) throw writeError(file, Object.assign(new Error("is a directory"), { code: "EISDIR" }));
  let writable = true;
  try {
    fs.accessSync(file, fs.constants.W_OK);
  } catch {
    writable = false;
  }
  if (!writable || st.uid !== uid) {
    throw new ActkError(!writable ? "the file is read-only for this user" : `the file belongs to uid ${st.uid}, and writing it would make it this user's (${uid})`, {
      file, exitCode: ExitCode.host, unchanged: true, fix: "run as the file's owner or root, or write a copy with --output",
    });
  }
}

function writeAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions): void {
  const dir = path.dirname(file);
  if (opts.mkdirs) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  let mode = opts.mode ?? 0o644;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = fs.statSync(file);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch {
    // New file: use the requested mode.
  }
  const tmp = path.join(dir, `.${path.basename(file)}.actk-${process.pid}-${Date.now().toString(36)}.tmp`);
  const fd = fs.openSync(tmp, "wx", mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fchmodSync(fd, mode);
    if (owner && typeof process.getuid === "function" && process.getuid() === 0) fs.fchownSync(fd, owner.uid, owner.gid);
    if (opts.durable !== false) fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
