/**
 * A reader for glibc's /etc/ld.so.cache, the file the dynamic loader (and
 * NVIDIA's toolkit) uses to find libraries by SONAME.
 *
 * Formats (glibc sysdeps/generic/dl-cache.h):
 * - new: "glibc-ld.so.cache" + "1.1", nlibs, len_strings, flags, extension
 *   offset, then 24-byte entries (flags, key, value, osversion, hwcap);
 *   string offsets are relative to the start of this header.
 * - old/combined: "ld.so-1.7.0", nlibs, 12-byte entries; the new header then
 *   follows, aligned to 8 bytes. Old-only caches (glibc < 2.3-era) are refused.
 */
import { ActkError, ExitCode } from "../core/errors.js";

export const NEW_CACHE_MAGIC = "glibc-ld.so.cache";
export const NEW_CACHE_VERSION = "1.1";
export const OLD_CACHE_MAGIC = "ld.so-1.7.0";
export const NEW_HEADER_SIZE = 48;
export const NEW_ENTRY_SIZE = 24;
const OLD_HEADER_SIZE = 16;
const OLD_ENTRY_SIZE = 12;

/** Entry flag bits (dl-cache.h / ldconfig.h). */
export const LdCacheFlag = {
  elfLibc6: 0x0003,
  typeMask: 0x00ff,
  archMask: 0xff00,
  i386: 0x0000,
  x8664Lib64: 0x0300,
  powerpcLib64: 0x0500,
  x8664LibX32: 0x0800,
  armLibHf: 0x0900,
  aarch64Lib64: 0x0a00,
} as const;

export interface LdCacheEntry {
  /** The SONAME ("libcuda.so.1"). */
  key: string;
  /** Path of the library as the host sees it ("/usr/lib/x86_64-linux-gnu/libcuda.so.1"). */
  value: string;
  flags: number;
  hwcap: bigint;
}

export interface LdCache {
  format: "new" | "combined";
  entries: LdCacheEntry[];
  /** The generator string from the extension section ("ldconfig (GNU libc) …"), if any. */
  generator?: string;
}

/** The 64-bit architecture names, as `ldconfig -p` prints them. */
export function describeFlags(flags: number): string {
  const arch: Record<number, string> = {
    [LdCacheFlag.x8664Lib64]: "x86-64", [LdCacheFlag.aarch64Lib64]: "AArch64",
    [LdCacheFlag.powerpcLib64]: "64bit", [LdCacheFlag.x8664LibX32]: "x32", [LdCacheFlag.armLibHf]: "hard-float",
  };
  const type = (flags & LdCacheFlag.typeMask) === LdCacheFlag.elfLibc6 ? "libc6" : `type ${flags & LdCacheFlag.typeMask}`;
  const a = arch[flags & LdCacheFlag.archMask];
  return a ? `${type},${a}` : type;
}

/** True for entries built for 64-bit x86-64/AArch64/ppc64le (what a 64-bit container loads). */
export function is64Bit(flags: number): boolean {
  const a = flags & LdCacheFlag.archMask;
  return a === LdCacheFlag.x8664Lib64 || a === LdCacheFlag.aarch64Lib64 || a === LdCacheFlag.powerpcLib64;
}

/** Parse a cache; `file` names it in errors. */
export function parseLdCache(buf: Buffer, file = "/etc/ld.so.cache"): LdCache {
  const bad = (problem: string): ActkError =>
    new ActkError(`not a usable ld.so.cache: ${problem}`, {
      file, exitCode: ExitCode.badInput, fix: "regenerate it with `ldconfig` (or `actk sim create` for a simulated host)",
    });
  let base = 0;
  let format: LdCache["format"] = "new";
  if (buf.length >= OLD_HEADER_SIZE && buf.toString("latin1", 0, OLD_CACHE_MAGIC.length) === OLD_CACHE_MAGIC) {
    const nOld = buf.readUInt32LE(12);
    base = align8(OLD_HEADER_SIZE + nOld * OLD_ENTRY_SIZE);
    format = "combined";
    if (base + NEW_HEADER_SIZE > buf.length) throw bad("old \"ld.so-1.7.0\" format without the new glibc section (not supported)");
  }
  if (buf.length < base + NEW_HEADER_SIZE) throw bad(`file is ${buf.length} bytes, shorter than a cache header`);
  const magic = buf.toString("latin1", base, base + NEW_CACHE_MAGIC.length);
  const version = buf.toString("latin1", base + 17, base + 20);
  if (magic !== NEW_CACHE_MAGIC) throw bad(`bad magic ${JSON.stringify(magic)} (expected "${NEW_CACHE_MAGIC}")`);
  if (version !== NEW_CACHE_VERSION) throw bad(`unsupported version ${JSON.stringify(version)} (expected "${NEW_CACHE_VERSION}")`);
  const endian = buf[base + 28];
  if (endian === 3) throw bad("big-endian cache (from another architecture)");
  const nlibs = buf.readUInt32LE(base + 20);
  const lenStrings = buf.readUInt32LE(base + 24);
  const entriesEnd = base + NEW_HEADER_SIZE + nlibs * NEW_ENTRY_SIZE;
  if (entriesEnd > buf.length) throw bad(`header says ${nlibs} entries but the file ends at byte ${buf.length}`);
  if (entriesEnd + lenStrings > buf.length) throw bad(`string table (${lenStrings} bytes) runs past the end of the file`);
  const str = (off: number): string => {
    const start = base + off;
    if (off < 0 || start >= buf.length) throw bad(`string offset ${off} is outside the file`);
    const end = buf.indexOf(0, start);
    if (end < 0) throw bad(`string at offset ${off} is not terminated`);
    return buf.toString("utf8", start, end);
  };
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const o = base + NEW_HEADER_SIZE + i * NEW_ENTRY_SIZE;
    entries.push({
      flags: buf.readInt32LE(o),
      key: str(buf.readUInt32LE(o + 4)),
      value: str(buf.readUInt32LE(o + 8)),
      hwcap: buf.readBigUInt64LE(o + 16),
    });
  }
  const out: LdCache = { format, entries };
  const generator = readGenerator(buf, base, buf.readUInt32LE(base + 32));
  if (generator !== undefined) out.generator = generator;
  return out;
}

/** Extension section (glibc 2.33+): magic 0xeaa42174, count, then {tag, flags, offset, size}; tag 0 = generator. */
export const LDCACHE_EXTENSION_MAGIC = 0xeaa42174;

function readGenerator(buf: Buffer, base: number, extOffset: number): string | undefined {
  if (extOffset === 0) return undefined;
  const o = base + extOffset;
  if (o + 8 > buf.length || buf.readUInt32LE(o) !== LDCACHE_EXTENSION_MAGIC) return undefined;
  const count = buf.readUInt32LE(o + 4);
  for (let i = 0; i < count; i++) {
    const s = o + 8 + i * 16;
    if (s + 16 > buf.length) return undefined;
    if (buf.readUInt32LE(s) !== 0) continue;
    const off = base + buf.readUInt32LE(s + 8);
    const size = buf.readUInt32LE(s + 12);
    if (off + size > buf.length) return undefined;
    return buf.toString("utf8", off, off + size);
  }
  return undefined;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/**
 * glibc's _dl_cache_libcmp: runs of digits compare as numbers, a digit sorts
 * after a non-digit. ldconfig writes entries in descending order of it.
 */
export function compareLibNames(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
  while (i < a.length) {
    const ca = a[i];
    const cb = b[j];
    if (isDigit(ca)) {
      if (!isDigit(cb)) return 1;
      let va = 0;
      let vb = 0;
      while (isDigit(a[i])) va = va * 10 + Number(a[i++]);
      while (isDigit(b[j])) vb = vb * 10 + Number(b[j++]);
      if (va !== vb) return va - vb;
      continue;
    }
    if (isDigit(cb)) return -1;
    if (cb === undefined) return 1;
    if (ca !== cb) return (ca as string).charCodeAt(0) - cb.charCodeAt(0);
    i++;
    j++;
  }
  return j < b.length ? -1 : 0;
}
