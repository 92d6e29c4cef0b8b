/**
 * `actk sim create`: builds a simulated host tree for a profile. The common
 * parts (a /proc/devices header with the majors every Linux host has, /etc,
 * /proc/cpuinfo, ld.so.conf, /dev/null & co.) are written here; each vendor's
 * `simulate()` (found through the plugin registry) writes its part; then
 * /proc/devices is merged and sorted and /etc/ld.so.cache is written from
 * the libraries the vendors created.
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { PluginType } from "../core/registry.js";
import { HostRoot } from "../host/host-root.js";
import { formatProcDevices, parseProcDevices } from "../host/proc-devices.js";
import { LdCacheFlag } from "../host/ldcache.js";
import { createRegistry } from "../plugins.js";
import type { Vendor } from "../vendors/vendor.js";
import { installCharDeviceMaker } from "./char-device.js";
import { buildLdCache } from "./ldcache-writer.js";
import { findProfile, simProfiles, type SimProfile } from "./profiles.js";
import { installSharedObjectMaker } from "./shared-object.js";
import { SimTree, type SimDeviceNode, type SimLibrary } from "./tree.js";

/** Marks a directory as made by `actk sim create`, so `--force` only ever replaces such trees. */
export const SIM_MARKER = ".actk-sim.json";

export interface CreateSimOptions {
  profile: string;
  dir: string;
  force?: boolean;
  /** Default: real char devices when running as root. */
  realDeviceNodes?: boolean;
  /** Per-vendor option overrides merged over the profile's ({ nvidia: { driverVersion: "535.161.07" } }). */
  vendorOptions?: Record<string, Record<string, unknown>>;
}

/**
 * `VENDOR.KEY=VALUE` (repeatable `--option`) → overrides; VALUE is JSON when it parses
 * (`nvidia.count=2`, `nvidia.mig={"0":{"1":[0]}}`), else a string (`nvidia.driverVersion=535.161.07`).
 */
export function parseVendorOptions(items: readonly string[]): Record<string, Record<string, unknown>> {
  // Maps, then fromEntries: "constructor.x" or "nvidia.__proto__" become own keys that the
  // checks in createSimHost refuse, instead of reaching Object or a prototype.
  const out = new Map<string, Map<string, unknown>>();
  for (const item of items) {
    const m = /^([a-z0-9-]+)\.([A-Za-z0-9_-]+)=(.*)$/s.exec(item);
    if (!m) {
      throw new ActkError(`bad option ${JSON.stringify(item)}`, {
        place: "--option", exitCode: ExitCode.usage, fix: "write VENDOR.KEY=VALUE, e.g. nvidia.count=2 or nvidia.driverVersion=535.161.07",
      });
    }
    const [, vendor, key, raw] = m as unknown as [string, string, string, string];
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: keep the string
    }
    const options = out.get(vendor) ?? new Map<string, unknown>();
    out.set(vendor, options.set(key, value));
  }
  return Object.fromEntries([...out].map(([vendor, options]) => [vendor, Object.fromEntries(options)]));
}

export interface SimCreateResult {
  root: string;
  profile: string;
  vendors: string[];
  realDeviceNodes: boolean;
  deviceNodes: SimDeviceNode[];
  libraries: SimLibrary[];
}

/** Majors present on any Linux host (Documentation/admin-guide/devices.txt), as /proc/devices lists them. */
export const commonCharMajors: readonly [string, number][] = [
  ["mem", 1], ["/dev/vc/0", 4], ["tty", 4], ["ttyS", 4], ["/dev/tty", 5], ["/dev/console", 5], ["/dev/ptmx", 5],
  ["vcs", 7], ["misc", 10], ["input", 13], ["fb", 29], ["ptm", 128], ["pts", 136], ["usb", 180],
  ["usb_device", 189], ["drm", 226], ["hidraw", 241], ["bsg", 245], ["watchdog", 246], ["rtc", 248],
];
export const commonBlockMajors: readonly [string, number][] = [
  ["loop", 7], ["sd", 8], ["md", 9], ["blkext", 259], ["device-mapper", 253],
];

let installed = false;
/** Put the real mknod / ELF writers into SimTree (idempotent). */
export function installSimWriters(): void {
  if (installed) return;
  installCharDeviceMaker();
  installSharedObjectMaker();
  installed = true;
}

export function createSimHost(opts: CreateSimOptions): SimCreateResult {
  const profile = findProfile(opts.profile);
  if (!profile) {
    throw new ActkError(`unknown profile ${JSON.stringify(opts.profile)}`, {
      place: "--profile", exitCode: ExitCode.usage,
      fix: `use one of ${simProfiles.map((p) => p.name).join(", ")} (see \`actk sim profiles\`)`,
    });
  }
  const root = path.resolve(opts.dir);
  // Find every vendor before touching the directory, so a missing vendor changes nothing.
  const vendors = vendorsFor(profile, root);
  for (const id of Object.keys(opts.vendorOptions ?? {})) {
    if (!vendors.some((v) => v.vendor.id === id)) {
      throw new ActkError(`--option names vendor ${id}, which profile ${profile.name} does not have`, {
        place: "--option", exitCode: ExitCode.usage, unchanged: true,
        fix: `use one of: ${vendors.map((v) => v.vendor.id).join(", ") || "(none: this profile has no vendor)"}`,
      });
    }
  }
  for (const v of vendors) {
    const overrides = opts.vendorOptions && Object.hasOwn(opts.vendorOptions, v.vendor.id) ? opts.vendorOptions[v.vendor.id] ?? {} : {};
    checkOptionKeys(v.vendor, overrides);
    v.options = { ...v.options, ...overrides };
  }
  checkDirectory(root, opts.force ?? false);

  // Build next to DIR and move it into place, so a failing vendor (bad option …) leaves DIR as it was.
  installSimWriters();
  fs.mkdirSync(path.dirname(root), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(root), `.${path.basename(root)}.actk-sim-`));
  let result: SimCreateResult;
  try {
    const tree = new SimTree(staging, opts.realDeviceNodes === undefined ? {} : { realDeviceNodes: opts.realDeviceNodes });
    writeCommonParts(tree);
    for (const { vendor, options } of vendors) (vendor.simulate as NonNullable<Vendor["simulate"]>)(tree, options);
    finishProcDevices(tree);
    writeLdCache(tree);
    result = {
      root, profile: profile.name, vendors: vendors.map((v) => v.vendor.id), realDeviceNodes: tree.realDeviceNodes,
      deviceNodes: [...tree.deviceNodes], libraries: [...tree.libraries],
    };
    fs.writeFileSync(path.join(staging, SIM_MARKER), JSON.stringify({ profile: profile.name, vendors: result.vendors }, null, 2) + "\n");
    fs.chmodSync(staging, 0o755);
    if (fs.existsSync(root)) fs.rmSync(root, { recursive: true, force: true });
    fs.renameSync(staging, root);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e instanceof ActkError ? new ActkError(e.message, { ...e, fix: e.fix, exitCode: e.exitCode, unchanged: true }) : e;
  }
  return result;
}

/** `--option VENDOR.KEY` must name a key the vendor's simulate() reads; a misspelt one would be ignored silently. */
function checkOptionKeys(vendor: Vendor, overrides: Record<string, unknown>): void {
  const known = vendor.simulateOptions;
  if (!known) return;
  const bad = Object.keys(overrides).find((k) => !known.includes(k));
  if (bad === undefined) return;
  throw new ActkError(`unknown option (${vendor.id} takes ${known.join(", ")})`, {
    place: `--option ${vendor.id}.${bad}`, exitCode: ExitCode.usage, unchanged: true,
    fix: `use one of those keys, e.g. --option ${vendor.id}.${known[0] ?? "KEY"}=VALUE`,
  });
}

/** The vendors a profile needs, initialised against the new tree; an ActkError names one that is missing. */
export function vendorsFor(profile: SimProfile, root: string): { vendor: Vendor; options: Record<string, unknown> }[] {
  if (profile.vendors.length === 0) return [];
  const plugins = createRegistry(new HostRoot(root)).init({ filter: (r) => r.type !== PluginType.engine });
  return profile.vendors.map((pv) => {
    const vendor = plugins.get<Vendor>(PluginType.vendor, pv.id);
    if (!vendor?.simulate) {
      const rec = plugins.record(PluginType.vendor, pv.id);
      const why = !rec ? "is not registered" : rec.status !== "ok" ? `failed to initialise (${rec.error ?? rec.status})` : "has no simulate()";
      throw new ActkError(`profile ${profile.name} needs vendor ${pv.id}, which ${why}`, {
        place: "--profile", exitCode: ExitCode.host, unchanged: true,
        fix: `pick a profile without ${pv.id} (see \`actk sim profiles\`)`,
      });
    }
    return { vendor, options: pv.options };
  });
}

/** DIR must be missing, empty, or (with --force) a tree made by `actk sim create`. Changes nothing. */
function checkDirectory(root: string, force: boolean): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code === "ENOTDIR") throw new ActkError("exists and is not a directory", { file: root, exitCode: ExitCode.usage, fix: "pick a new directory" });
    throw e;
  }
  if (entries.length === 0) return;
  if (!force) {
    throw new ActkError("directory is not empty", {
      file: root, exitCode: ExitCode.usage, unchanged: true,
      fix: "pick a new or empty directory, or pass --force to replace a tree made by `actk sim create`",
    });
  }
  if (!entries.includes(SIM_MARKER) || root === "/") {
    throw new ActkError(`directory is not empty and was not made by \`actk sim create\` (no ${SIM_MARKER}); --force only replaces simulated hosts`, {
      file: root, exitCode: ExitCode.usage, unchanged: true, fix: "pick a new or empty directory",
    });
  }
}

function writeCommonParts(tree: SimTree): void {
  tree.writeFile("/etc/hostname", "actk-sim\n");
  tree.writeFile("/etc/os-release", 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n');
  tree.writeFile("/etc/debian_version", "bookworm/sid\n");
  tree.writeFile("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n\n");
  tree.writeFile("/etc/ld.so.conf.d/libc.conf", "# libc default configuration\n/usr/local/lib\n");
  tree.writeFile("/etc/ld.so.conf.d/x86_64-linux-gnu.conf",
    "# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n");
  tree.mkdir("/usr/lib/x86_64-linux-gnu");
  tree.mkdir("/usr/bin");
  tree.mkdir("/run");
  tree.mkdir("/tmp", 0o1777);
  tree.writeFile("/proc/version", "Linux version 5.15.0-101-generic (buildd@lcy02-amd64-031) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #111-Ubuntu SMP Tue Mar 5 20:16:58 UTC 2024\n");
  tree.writeFile("/proc/cpuinfo", cpuinfo(2));
  tree.writeFile("/proc/devices", "Character devices:\n");
  for (const [name, major] of commonCharMajors) tree.registerCharMajor(name, major);
  for (const n of [
    { path: "/dev/null", major: 1, minor: 3 }, { path: "/dev/zero", major: 1, minor: 5 },
    { path: "/dev/random", major: 1, minor: 8 }, { path: "/dev/urandom", major: 1, minor: 9 },
    { path: "/dev/tty", major: 5, minor: 0 },
  ]) tree.charDevice({ ...n, mode: 0o666 });
  tree.mkdir("/dev/pts");
  tree.mkdir("/dev/shm", 0o1777);
}

function cpuinfo(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    s += `processor\t: ${i}\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\n` +
      `model name\t: AMD EPYC 7763 64-Core Processor\nphysical id\t: 0\ncore id\t\t: ${i}\ncpu cores\t: ${n}\n` +
      `flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx lm\n\n`;
  }
  return s;
}

/** Merge what vendors appended to /proc/devices with the registered majors; sort like the kernel. */
function finishProcDevices(tree: SimTree): void {
  const file = tree.hostPath("/proc/devices");
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const parsed = parseProcDevices(text, file);
  const char: [string, number][] = [...parsed.char];
  for (const [name, major] of tree.charMajors) if (!parsed.char.has(name)) char.push([name, major]);
  const block = parsed.block.size ? [...parsed.block] : [...commonBlockMajors];
  fs.writeFileSync(file, formatProcDevices({ char, block }), { mode: 0o444 });
}

/** Directories ldconfig indexes: those in /etc/ld.so.conf (one level of `include`) plus the trusted ones. */
function ldconfigDirs(tree: SimTree): Set<string> {
  const dirs = new Set(["/lib", "/usr/lib", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"]);
  const read = (hp: string): string => (fs.existsSync(hp) ? fs.readFileSync(hp, "utf8") : "");
  const confDir = tree.hostPath("/etc/ld.so.conf.d");
  const texts = [read(tree.hostPath("/etc/ld.so.conf"))];
  if (fs.existsSync(confDir)) for (const f of fs.readdirSync(confDir).sort()) if (f.endsWith(".conf")) texts.push(read(path.join(confDir, f)));
  for (const t of texts) {
    for (const line of t.split("\n")) {
      const l = line.replace(/#.*/, "").trim();
      if (l.startsWith("/")) dirs.add(l.replace(/\/+$/, ""));
    }
  }
  return dirs;
}

function writeLdCache(tree: SimTree): void {
  const seen = new Set<string>();
  const dirs = ldconfigDirs(tree);
  const entries = tree.libraries.flatMap((lib) => {
    const value = path.posix.join(path.posix.dirname(lib.path), lib.soname);
    if (seen.has(value) || !dirs.has(path.posix.dirname(lib.path))) return [];
    seen.add(value);
    const is32 = /\/(i386-linux-gnu|lib32)\//.test(lib.path);
    return [{ key: lib.soname, value, flags: is32 ? LdCacheFlag.elfLibc6 : LdCacheFlag.elfLibc6 | LdCacheFlag.x8664Lib64 }];
  });
  tree.writeFile("/etc/ld.so.cache", buildLdCache(entries), 0o644);
}
