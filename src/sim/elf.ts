/**
 * The smallest ELF64 x86-64 shared object that `ldconfig` indexes and
 * `readelf -d` reads: an ELF header, one PT_LOAD covering the whole file (so
 * the DT_STRTAB address maps to a file offset), a PT_DYNAMIC with DT_SONAME,
 * DT_STRTAB and DT_STRSZ, and the string table. No code, no section headers:
 * simulated driver libraries are only ever indexed and mounted, never loaded.
 *
 * Layout and constants: the System V gABI and its x86-64 supplement; the
 * fields ldconfig reads are in glibc elf/readelflib.c (process_elf_file).
 */

const ELF_HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;
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
}

/** Bytes of an ELF64 little-endian x86-64 ET_DYN file with the given SONAME. */
export function buildSharedObject(opts: SharedObjectOptions): Buffer {
  const names = [opts.soname, ...(opts.needed ?? [])];
  // String table: a leading NUL, then each name NUL-terminated.
  const offsets: number[] = [];
  let strtab = "\0";
  for (const n of names) {
    offsets.push(Buffer.byteLength(strtab));
    strtab += `${n}\0`;
  }
  const strBytes = Buffer.from(strtab, "utf8");
  const phnum = 2;
  const strOffset = ELF_HEADER_SIZE + phnum * PROGRAM_HEADER_SIZE;
  const dynOffset = align(strOffset + strBytes.length, 8);
  const dynEntries: [number, number][] = [
    ...(opts.needed ?? []).map((_, i): [number, number] => [DT_NEEDED, offsets[i + 1] as number]),
    [DT_SONAME, offsets[0] as number],
    [DT_STRTAB, strOffset], // vaddr == file offset: the one PT_LOAD maps the file at 0
    [DT_STRSZ, strBytes.length],
    [DT_NULL, 0],
  ];
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

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
