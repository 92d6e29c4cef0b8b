/**
 * `enable-cuda-compat`: when the image ships CUDA forward-compatibility
 * libraries newer than the host driver supports, point the loader at them by
 * writing /etc/ld.so.conf.d/00-compat-actk.conf inside the rootfs. Never a
 * mount (CVE-2024-0132 came from mounting image content). Decision rules are
 * NVIDIA's (research notes §9.4): the ELF note .note.cuda.fwd_compatibility
 * when present, else the library's major version vs the host driver major.
 */
import * as fs from "node:fs";
import path from "node:path";
import type { Logger } from "../core/log.js";
import { checkContainerPath, resolveIn, writeFileInRoot } from "./in-root.js";

export interface CudaCompatOptions {
  hostDriverVersion?: string;
  hostCudaVersion?: string;
  /** Default /usr/local/cuda/compat. */
  compatRoot?: string;
}

export interface CompatNote {
  cudaVersion?: string;
  driverMajors: number[];
}

export const compatConfFile = "/etc/ld.so.conf.d/00-compat-actk.conf";

/** Lenient version compare: numeric components, missing ones are 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Where the note is read from: the file's size and a positioned read. The
 * library is image content read by root, so the parser asks only for the
 * ranges it needs (header, section headers, section names, the note) and
 * never for more than the caps below.
 */
export interface ElfSource {
  size: number;
  /** `length` bytes at `offset`; fewer only if the file ended early. */
  read(offset: number, length: number): Buffer;
}

// Caps on what one compat libcuda can make the hook read. NVIDIA's have a few
// dozen 64-byte section headers, a section-name table of a few hundred bytes
// and a note of about a hundred; a file past these is not one of them and is
// read as "no note" (the file-name rule then decides).
const maxSectionTable = 1 << 20;
const maxNames = 64 << 10;
const maxNote = 64 << 10;
const noteName = ".note.cuda.fwd_compatibility";

function bufferSource(buf: Buffer): ElfSource {
  return { size: buf.length, read: (offset, length) => buf.subarray(offset, offset + length) };
}

/** Positioned reads of an open file, so a large (or sparse) file costs only what is read. */
function fileSource(fd: number): ElfSource {
  const st = fs.fstatSync(fd);
  return {
    // Not a regular file (a FIFO or device swapped in): nothing to read.
    size: st.isFile() ? st.size : 0,
    read(offset, length) {
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const n = fs.readSync(fd, buf, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    },
  };
}

/** Reads the `.note.cuda.fwd_compatibility` note of a 64-bit little-endian ELF file, if it has one. */
export function readCompatNote(file: Buffer | ElfSource): CompatNote | undefined {
  const src = Buffer.isBuffer(file) ? bufferSource(file) : file;
  // A range outside the file or over its cap means "no note", as a short read does.
  const take = (offset: number, length: number, cap: number): Buffer | undefined => {
    if (!Number.isSafeInteger(offset) || length > cap || offset + length > src.size) return undefined;
    const b = src.read(offset, length);
    return b.length === length ? b : undefined;
  };
  const eh = take(0, 64, 64);
  if (!eh || eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) return undefined;
  const shoff = Number(eh.readBigUInt64LE(0x28));
  const shentsize = eh.readUInt16LE(0x3a);
  const shnum = eh.readUInt16LE(0x3c);
  const shstrndx = eh.readUInt16LE(0x3e);
  if (shentsize < 64 || shstrndx >= shnum) return undefined;
  const table = take(shoff, shnum * shentsize, maxSectionTable);
  if (!table) return undefined;
  const sh = (i: number): { name: number; offset: number; size: number } => {
    const o = i * shentsize;
    return { name: table.readUInt32LE(o), offset: Number(table.readBigUInt64LE(o + 0x18)), size: Number(table.readBigUInt64LE(o + 0x20)) };
  };
  const strtab = sh(shstrndx);
  const names = take(strtab.offset, strtab.size, maxNames);
  if (!names) return undefined;
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const nameEnd = s.name < names.length ? names.indexOf(0, s.name) : -1;
    if (nameEnd < 0 || names.toString("latin1", s.name, nameEnd) !== noteName) continue;
    const note = s.size < 12 ? undefined : take(s.offset, s.size, maxNote);
    if (!note) return undefined;
    const namesz = note.readUInt32LE(0);
    const descsz = note.readUInt32LE(4);
    const nameOff = 12;
    const owner = note.toString("latin1", nameOff, nameOff + namesz).replace(/\0+$/, "");
    if (owner !== "NVIDIA Corporation") return undefined;
    const descOff = nameOff + Math.ceil(namesz / 4) * 4;
    if (descOff + descsz > note.length) return undefined;
    try {
      const j = JSON.parse(note.toString("utf8", descOff, descOff + descsz).replace(/\0+$/, "")) as Record<string, unknown>;
      const driver = Array.isArray(j.Driver) ? j.Driver.map((d) => parseInt(String(d), 10)).filter((n) => Number.isFinite(n)) : [];
      return { cudaVersion: typeof j["CUDA Version"] === "string" ? j["CUDA Version"] : undefined, driverMajors: driver };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** NVIDIA's decision: use the compat libs? `libVersion` is from the file name (libcuda.so.<version>). */
export function shouldUseCompat(libVersion: string, note: CompatNote | undefined, opts: CudaCompatOptions): boolean {
  if (note) {
    if (opts.hostDriverVersion) {
      const hostMajor = parseInt(opts.hostDriverVersion, 10);
      return note.driverMajors.includes(hostMajor) && compareVersions(libVersion, opts.hostDriverVersion) > 0;
    }
    if (opts.hostCudaVersion && note.cudaVersion) return compareVersions(note.cudaVersion, opts.hostCudaVersion) > 0;
    return false;
  }
  if (opts.hostCudaVersion) return false;
  if (!opts.hostDriverVersion) return false;
  return parseInt(opts.hostDriverVersion, 10) < parseInt(libVersion, 10);
}

export interface CudaCompatResult {
  used: boolean;
  reason: string;
  confFile?: string;
}

export function enableCudaCompat(view: string, opts: CudaCompatOptions, logger: Logger): CudaCompatResult {
  if (!opts.hostDriverVersion && !opts.hostCudaVersion) return { used: false, reason: "no host driver or CUDA version given" };
  const compatRoot = checkContainerPath(opts.compatRoot ?? "/usr/local/cuda/compat", "--cuda-compat-container-root");
  const dir = resolveIn(view, compatRoot);
  let names: string[];
  try {
    if (!fs.lstatSync(dir.host).isDirectory()) return { used: false, reason: `${compatRoot} is not a directory` };
    names = fs.readdirSync(dir.host);
  } catch {
    return { used: false, reason: `${compatRoot} does not exist in the container` };
  }
  const libs = names.filter((n) => /^libcuda\.so\.\d+\.\d+/.test(n) && fs.lstatSync(path.join(dir.host, n)).isFile());
  if (libs.length !== 1) {
    if (libs.length > 1) logger.warn("enable-cuda-compat: more than one libcuda.so.*.* in the compat dir; not using it", { libs });
    return { used: false, reason: `${libs.length} compat libcuda files in ${compatRoot}` };
  }
  const lib = libs[0] as string;
  const libVersion = lib.slice("libcuda.so.".length);
  // O_NONBLOCK: a FIFO swapped in after the lstat above must not hang the hook at open.
  const fd = fs.openSync(path.join(dir.host, lib), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  let note: CompatNote | undefined;
  try {
    note = readCompatNote(fileSource(fd));
  } finally {
    fs.closeSync(fd);
  }
  if (!shouldUseCompat(libVersion, note, opts)) {
    return { used: false, reason: `compat libcuda ${libVersion} is not needed with host driver ${opts.hostDriverVersion ?? "?"} / CUDA ${opts.hostCudaVersion ?? "?"}` };
  }
  const conf = writeFileInRoot(view, compatConfFile, dir.inRoot + "\n", 0o644, "enable-cuda-compat");
  logger.info("enabled CUDA forward compatibility", { lib, file: conf.inRoot });
  return { used: true, reason: `compat libcuda ${libVersion} is newer than host driver ${opts.hostDriverVersion ?? opts.hostCudaVersion}`, confFile: conf.inRoot };
}
