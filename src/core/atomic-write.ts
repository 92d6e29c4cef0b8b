/**
 * Every file actk writes goes through here: a temp file in the same directory,
 * fsync (unless the data is not meant to outlive a crash), rename. An existing file keeps its mode and owner; a crash leaves
 * either the old or the new bytes, never a mix.
 */
import * as fs from "node:fs";
import path from "node:path";

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
}

export function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
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
