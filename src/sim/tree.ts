/**
 * A writer for simulated host trees. Vendors describe their part of a host
 * (device nodes, procfs/sysfs files, driver libraries) through this API;
 * `actk sim create` runs them for a profile and then writes ld.so.cache.
 */
import * as fs from "node:fs";
import path from "node:path";

export interface SimDeviceNode {
  path: string;
  major: number;
  minor: number;
  mode?: number;
}

/** Record of what was written, so ld.so.cache and tests know the libraries. */
export interface SimLibrary {
  /** Absolute path inside the tree of the real file ("/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"). */
  path: string;
  soname: string;
}

export class SimTree {
  readonly root: string;
  /** Real character devices when root, marked placeholders otherwise. */
  readonly realDeviceNodes: boolean;
  readonly libraries: SimLibrary[] = [];
  readonly deviceNodes: SimDeviceNode[] = [];
  /** Character majors a vendor registered ("nvidia-uvm" → 509); merged into /proc/devices at the end. */
  readonly charMajors = new Map<string, number>();

  constructor(root: string, opts: { realDeviceNodes?: boolean } = {}) {
    this.root = path.resolve(root);
    this.realDeviceNodes = opts.realDeviceNodes ?? (process.getuid?.() === 0);
  }

  hostPath(p: string): string {
    return path.join(this.root, p);
  }

  mkdir(p: string, mode = 0o755): void {
    fs.mkdirSync(this.hostPath(p), { recursive: true, mode });
  }

  writeFile(p: string, content: string | Uint8Array, mode = 0o644): void {
    const hp = this.hostPath(p);
    fs.mkdirSync(path.dirname(hp), { recursive: true });
    fs.writeFileSync(hp, content, { mode });
    fs.chmodSync(hp, mode);
  }

  /** Append lines to a file (e.g. /proc/devices is shared by vendors). */
  appendFile(p: string, content: string): void {
    const hp = this.hostPath(p);
    fs.mkdirSync(path.dirname(hp), { recursive: true });
    fs.appendFileSync(hp, content);
  }

  symlink(target: string, p: string): void {
    const hp = this.hostPath(p);
    fs.mkdirSync(path.dirname(hp), { recursive: true });
    fs.rmSync(hp, { force: true });
    fs.symlinkSync(target, hp);
  }

  /** Set by the sim module: creates a char device with mknod, or a placeholder file. */
  static makeCharDevice: (tree: SimTree, node: SimDeviceNode) => void = (tree, node) => {
    tree.writeFile(node.path, `actk-sim placeholder char device ${node.major}:${node.minor}\n`, node.mode ?? 0o666);
  };

  charDevice(node: SimDeviceNode): void {
    this.deviceNodes.push(node);
    SimTree.makeCharDevice(this, node);
  }

  /** Register a character device major, as the driver would in /proc/devices. */
  registerCharMajor(name: string, major: number): void {
    this.charMajors.set(name, major);
  }

  /** Set by the sim module: writes a real ELF shared object with this SONAME. */
  static makeSharedObject: (tree: SimTree, p: string, soname: string) => void = (tree, p, soname) => {
    tree.writeFile(p, `actk-sim shared object ${soname}\n`, 0o755);
  };

  /**
   * A versioned driver library with its soname link (and an optional
   * development link), e.g. libcuda.so.550.54.15 + libcuda.so.1 → it.
   */
  sharedLibrary(p: string, soname: string, opts: { devLink?: string } = {}): void {
    SimTree.makeSharedObject(this, p, soname);
    this.libraries.push({ path: p, soname });
    const dir = path.posix.dirname(p);
    const base = path.posix.basename(p);
    if (soname !== base) this.symlink(base, path.posix.join(dir, soname));
    if (opts.devLink) this.symlink(soname, path.posix.join(dir, opts.devLink));
  }
}
