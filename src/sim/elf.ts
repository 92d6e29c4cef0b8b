/**
 * The smallest ELF64 x86-64 (or ELF32 i386, for 32-bit compat libraries)
 * shared object that `ldconfig` indexes and `readelf -d` reads: an ELF header, one PT_LOAD covering the whole file (so
 * the DT_STRTAB address maps to a file offset), a PT_DYNAMIC with DT_SONAME,
 * DT_STRTAB and DT_STRSZ, and the string table. No code, no section headers:
 * simulated driver libraries are only ever indexed and mounted, never loaded.
 *
 * Layout and constants: the System V gABI and its x86-64 and i386
 * supplements; the fields ldconfig reads are in glibc elf/readelflib.c
 * (process_elf_file; ELF32 objects are indexed with the i386 cache flags).
 */

const ELF_HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;
const ELF32_HEADER_SIZE = 52;
const ELF32_PROGRAM_HEADER_SIZE = 32;
const EM_386 = 3;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PF_R = 4;
const PF_W = 2;
const ET_DYN = 3;
const EM_X86_64 = 62;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_SONAME = 14;

export interface SharedObjectOptions {
  soname: string;
  /** DT_NEEDED entries, e.g. ["libc.so.6"]. */
  needed?: string[];
  /** "x86_64" (default): ELF64 EM_X86_64; "i386": ELF32 EM_386, as in /usr/lib/i386-linux-gnu. */
  arch?: "x86_64" | "i386";
}

/** Bytes of an ELF little-endian ET_DYN file with the given SONAME (ELF64 x86-64, or ELF32 i386). */
export function buildSharedObject(opts: SharedObjectOptions): Buffer {
  if (opts.arch === "i386") return buildSharedObject32(opts);
  const { strBytes, entries } = dynamicParts(opts);
  const phnum = 2;
  const strOffset = ELF_HEADER_SIZE + phnum * PROGRAM_HEADER_SIZE;
  const dynOffset = align(strOffset + strBytes.length, 8);
  const dynEntries = entries(strOffset); // vaddr == file offset: the one PT_LOAD maps the file at 0
  const dynSize = dynEntries.length * 16;
  const total = dynOffset + dynSize;
  const b = Buffer.alloc(total);

  // e_ident
  b.write("\x7fELF", 0, "latin1");
  b[4] = 2; // ELFCLASS64
  b[5] = 1; // ELFDATA2LSB
  b[6] = 1; // EV_CURRENT
  b[7] = 0; // ELFOSABI_SYSV
  b.writeUInt16LE(ET_DYN, 16);
  b.writeUInt16LE(EM_X86_64, 18);
  b.writeUInt32LE(1, 20); // e_version
  b.writeBigUInt64LE(0n, 24); // e_entry
  b.writeBigUInt64LE(BigInt(ELF_HEADER_SIZE), 32); // e_phoff
  b.writeBigUInt64LE(0n, 40); // e_shoff
  b.writeUInt32LE(0, 48); // e_flags
  b.writeUInt16LE(ELF_HEADER_SIZE, 52);
  b.writeUInt16LE(PROGRAM_HEADER_SIZE, 54);
  b.writeUInt16LE(phnum, 56);
  b.writeUInt16LE(64, 58); // e_shentsize
  b.writeUInt16LE(0, 60); // e_shnum
  b.writeUInt16LE(0, 62); // e_shstrndx

  const ph = (i: number, type: number, flags: number, offset: number, size: number, alignment: number): void => {
    const o = ELF_HEADER_SIZE + i * PROGRAM_HEADER_SIZE;
    b.writeUInt32LE(type, o);
    b.writeUInt32LE(flags, o + 4);
    b.writeBigUInt64LE(BigInt(offset), o + 8); // p_offset
    b.writeBigUInt64LE(BigInt(offset), o + 16); // p_vaddr
    b.writeBigUInt64LE(BigInt(offset), o + 24); // p_paddr
    b.writeBigUInt64LE(BigInt(size), o + 32); // p_filesz
    b.writeBigUInt64LE(BigInt(size), o + 40); // p_memsz
    b.writeBigUInt64LE(BigInt(alignment), o + 48);
  };
  ph(0, PT_LOAD, PF_R, 0, total, 0x1000);
  ph(1, PT_DYNAMIC, PF_R | PF_W, dynOffset, dynSize, 8);

  strBytes.copy(b, strOffset);
  dynEntries.forEach(([tag, val], i) => {
    b.writeBigInt64LE(BigInt(tag), dynOffset + i * 16);
    b.writeBigUInt64LE(BigInt(val), dynOffset + i * 16 + 8);
  });
  return b;
}

/**
 * String table (a leading NUL, then each name NUL-terminated: SONAME first, then DT_NEEDED names)
 * and the dynamic entries that point into it, shared by both classes.
 */
function dynamicParts(opts: SharedObjectOptions): { strBytes: Buffer; entries: (strOffset: number) => [number, number][] } {
  const names = [opts.soname, ...(opts.needed ?? [])];
  const offsets: number[] = [];
  let strtab = "\0";
  for (const n of names) {
    offsets.push(Buffer.byteLength(strtab));
    strtab += `${n}\0`;
  }
  const strBytes = Buffer.from(strtab, "utf8");
  return {
    strBytes,
    entries: (strOffset) => [
      ...(opts.needed ?? []).map((_, i): [number, number] => [DT_NEEDED, offsets[i + 1] as number]),
      [DT_SONAME, offsets[0] as number],
      [DT_STRTAB, strOffset],
      [DT_STRSZ, strBytes.length],
      [DT_NULL, 0],
    ],
  };
}

/** The ELF32 i386 variant: 52-byte header, 32-byte program headers, 8-byte Elf32_Dyn entries. */
function buildSharedObject32(opts: SharedObjectOptions): Buffer {
  const { strBytes, entries } = dynamicParts(opts);
  const phnum = 2;
  const strOffset = ELF32_HEADER_SIZE + phnum * ELF32_PROGRAM_HEADER_SIZE;
  const dynOffset = align(strOffset + strBytes.length, 4);
  const dynEntries = entries(strOffset); // vaddr == file offset, as in the 64-bit layout
  const dynSize = dynEntries.length * 8;
  const total = dynOffset + dynSize;
  const b = Buffer.alloc(total);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 1; // ELFCLASS32
  b[5] = 1; // ELFDATA2LSB
  b[6] = 1; // EV_CURRENT
  b[7] = 0; // ELFOSABI_SYSV
  b.writeUInt16LE(ET_DYN, 16);
  b.writeUInt16LE(EM_386, 18);
  b.writeUInt32LE(1, 20); // e_version
  b.writeUInt32LE(0, 24); // e_entry
  b.writeUInt32LE(ELF32_HEADER_SIZE, 28); // e_phoff
  b.writeUInt32LE(0, 32); // e_shoff
  b.writeUInt32LE(0, 36); // e_flags
  b.writeUInt16LE(ELF32_HEADER_SIZE, 40); // e_ehsize
  b.writeUInt16LE(ELF32_PROGRAM_HEADER_SIZE, 42); // e_phentsize
  b.writeUInt16LE(phnum, 44);
  b.writeUInt16LE(40, 46); // e_shentsize
  b.writeUInt16LE(0, 48); // e_shnum
  b.writeUInt16LE(0, 50); // e_shstrndx
  // Elf32_Phdr: type, offset, vaddr, paddr, filesz, memsz, flags, align (flags after sizes, unlike ELF64).
  const ph = (i: number, type: number, flags: number, offset: number, size: number, alignment: number): void => {
    const o = ELF32_HEADER_SIZE + i * ELF32_PROGRAM_HEADER_SIZE;
    b.writeUInt32LE(type, o);
    b.writeUInt32LE(offset, o + 4);
    b.writeUInt32LE(offset, o + 8);
    b.writeUInt32LE(offset, o + 12);
    b.writeUInt32LE(size, o + 16);
    b.writeUInt32LE(size, o + 20);
    b.writeUInt32LE(flags, o + 24);
    b.writeUInt32LE(alignment, o + 28);
  };
  ph(0, PT_LOAD, PF_R, 0, total, 0x1000);
  ph(1, PT_DYNAMIC, PF_R | PF_W, dynOffset, dynSize, 4);
  strBytes.copy(b, strOffset);
  dynEntries.forEach(([tag, val], i) => {
    b.writeInt32LE(tag, dynOffset + i * 8);
    b.writeUInt32LE(val, dynOffset + i * 8 + 4);
  });
  return b;
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
