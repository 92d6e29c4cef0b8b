/**
 * Every read of the host (/proc, /sys, /dev, /etc, ld.so.cache, driver files)
 * goes through one HostRoot, so a single `--host-root DIR` (or ACTK_HOST_ROOT)
 * points every command at a simulated host.
 *
 * Paths are always given as the host sees them ("/proc/devices"); `hostPath()`
 * maps them under the root. Generated specs keep the container path as-is and
 * put `hostPath()` in CDI's hostPath, like NVIDIA's --driver-root.
 */
import * as fs from "node:fs";
import path from "node:path";
import { newLookupCache, resolveInRoot, resolveRelativeToRoot, type LookupCache } from "./path-in-root.js";

/**
 * nvidia2 before nvidia10: runs of digits compare as numbers, the rest by code
 * unit. Hand-written because an Intl collator costs milliseconds to set up,
 * and the runtime reads directories on every container start.
 */
export function compareNumericNames(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

export interface DirEntry {
  name: string;
  isDirectory: boolean;
  isSymbolicLink: boolean;
  isCharacterDevice: boolean;
  isFile: boolean;
}

export class HostRoot {
  readonly root: string;

  constructor(root = "/", private readonly lookups?: LookupCache) {
    this.root = path.resolve(root);
  }

  /**
   * The same root, remembering what each path component is (lstat, readlink) for as long as the returned
   * object is used: for one pass that reads many paths under the same directories (a vendor's discovery
   * makes ≈1000 lookups of ≈250 distinct paths on the dgx-h100 simulated host) on a host that does not change
   * meanwhile.
   * A simulated host only: the real host ("/") is read with realpath, as always.
   */
  withLookupCache(): HostRoot {
    return new HostRoot(this.root, newLookupCache());
  }

  /** The root from --host-root, else ACTK_HOST_ROOT, else "/". */
  static fromEnvironment(flag?: string, env: NodeJS.ProcessEnv = process.env): HostRoot {
    return new HostRoot(flag ?? env.ACTK_HOST_ROOT ?? "/");
  }

  get isRealHost(): boolean {
    return this.root === "/";
  }

  /** Host path of a path as the host sees it ("/dev/nvidia0" → "<root>/dev/nvidia0"). */
  hostPath(p: string): string {
    return this.root === "/" ? path.posix.normalize(p) : path.join(this.root, p);
  }

  /** Host path after resolving symlinks inside the root (absolute links re-rooted). */
  resolve(p: string): string {
    return this.root === "/" ? safeRealpath(p) : resolveInRoot(this.root, p, { lookups: this.lookups });
  }

  /** Resolved path as seen by the host ("/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"). */
  resolveRelative(p: string): string {
    return this.root === "/" ? safeRealpath(p) : resolveRelativeToRoot(this.root, p, { lookups: this.lookups });
  }

  exists(p: string): boolean {
    return fs.existsSync(this.resolve(p));
  }

  readText(p: string): string {
    return fs.readFileSync(this.resolve(p), "utf8");
  }

  readTextIfExists(p: string): string | undefined {
    try {
      return this.readText(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw e;
    }
  }

  readBytes(p: string): Buffer {
    return fs.readFileSync(this.resolve(p));
  }

  /** Entries of a directory, or [] if it does not exist. */
  readdir(p: string): DirEntry[] {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(this.resolve(p), { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return [];
      throw e;
    }
    return ents
      .map((d) => ({
        name: d.name,
        isDirectory: d.isDirectory(),
        isSymbolicLink: d.isSymbolicLink(),
        isCharacterDevice: d.isCharacterDevice(),
        isFile: d.isFile(),
      }))
      .sort((a, b) => compareNumericNames(a.name, b.name));
  }

  stat(p: string): fs.Stats | undefined {
    try {
      return fs.statSync(this.resolve(p));
    } catch {
      return undefined;
    }
  }

  lstat(p: string): fs.Stats | undefined {
    try {
      return fs.lstatSync(this.hostPath(p));
    } catch {
      return undefined;
    }
  }

  readlink(p: string): string | undefined {
    try {
      return fs.readlinkSync(this.hostPath(p));
    } catch {
      return undefined;
    }
  }
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.posix.normalize(p);
  }
}
