/**
 * Writes /etc/ld.so.cache in glibc's "glibc-ld.so.cache1.1" format, the way
 * ldconfig (glibc ≥ 2.32) does: entries in descending _dl_cache_libcmp order,
 * each key sharing the tail of its value string, little-endian, and a
 * generator extension. Parsed back by src/host/ldcache.ts.
 */
import {
  compareLibNames, LDCACHE_EXTENSION_MAGIC, LdCacheFlag, NEW_CACHE_MAGIC, NEW_CACHE_VERSION,
  NEW_ENTRY_SIZE, NEW_HEADER_SIZE,
} from "../host/ldcache.js";

export interface LdCacheWriteEntry {
  /** SONAME. */
  key: string;
  /** Absolute path inside the host ("/usr/lib/x86_64-linux-gnu/libcuda.so.1"). */
  value: string;
  /** Defaults to libc6 + x86-64 (0x0303). */
  flags?: number;
}

export const SIM_CACHE_GENERATOR = "actk sim create";

export function buildLdCache(entries: readonly LdCacheWriteEntry[], generator = SIM_CACHE_GENERATOR): Buffer {
  const defaultFlags = LdCacheFlag.elfLibc6 | LdCacheFlag.x8664Lib64;
  // Same key: the higher flags (x86-64 before i386) first, as ldconfig's compare() does.
  const sorted = entries.map((e) => ({ ...e, flags: e.flags ?? defaultFlags }))
    .sort((a, b) => compareLibNames(b.key, a.key) || b.flags - a.flags);
  const stringsStart = NEW_HEADER_SIZE + sorted.length * NEW_ENTRY_SIZE;
  const strParts: Buffer[] = [];
  let strLen = 0;
  const positions = sorted.map((e) => {
    const valueOff = stringsStart + strLen;
    const b = Buffer.from(`${e.value}\0`, "utf8");
    strParts.push(b);
    strLen += b.length;
    // ldconfig shares the key with the value's tail when the value ends in "/<key>".
    const keyOff = e.value.endsWith(`/${e.key}`)
      ? valueOff + Buffer.byteLength(e.value) - Buffer.byteLength(e.key)
      : (() => {
        const off = stringsStart + strLen;
        const kb = Buffer.from(`${e.key}\0`, "utf8");
        strParts.push(kb);
        strLen += kb.length;
        return off;
      })();
    return { keyOff, valueOff };
  });
  const genBytes = Buffer.from(generator, "utf8");
  const extOffset = Math.ceil((stringsStart + strLen) / 4) * 4;
  const genOffset = extOffset + 8 + 16;
  const total = genOffset + genBytes.length;
  const b = Buffer.alloc(total);
  b.write(NEW_CACHE_MAGIC, 0, "latin1");
  b.write(NEW_CACHE_VERSION, 17, "latin1");
  b.writeUInt32LE(sorted.length, 20);
  b.writeUInt32LE(strLen, 24);
  b[28] = 2; // cache_file_new_flags_endian_little
  b.writeUInt32LE(extOffset, 32);
  sorted.forEach((e, i) => {
    const o = NEW_HEADER_SIZE + i * NEW_ENTRY_SIZE;
    const p = positions[i] as { keyOff: number; valueOff: number };
    b.writeInt32LE(e.flags, o);
    b.writeUInt32LE(p.keyOff, o + 4);
    b.writeUInt32LE(p.valueOff, o + 8);
    b.writeUInt32LE(0, o + 12);
    b.writeBigUInt64LE(0n, o + 16);
  });
  Buffer.concat(strParts).copy(b, stringsStart);
  b.writeUInt32LE(LDCACHE_EXTENSION_MAGIC, extOffset);
  b.writeUInt32LE(1, extOffset + 4);
  b.writeUInt32LE(0, extOffset + 8); // tag: generator
  b.writeUInt32LE(0, extOffset + 12); // flags
  b.writeUInt32LE(genOffset, extOffset + 16);
  b.writeUInt32LE(genBytes.length, extOffset + 20);
  genBytes.copy(b, genOffset);
  return b;
}
