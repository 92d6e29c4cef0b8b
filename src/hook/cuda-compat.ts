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

/** Reads the `.note.cuda.fwd_compatibility` note of a 64-bit little-endian ELF file, if it has one. */
export function readCompatNote(buf: Buffer): CompatNote | undefined {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return undefined;
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  if (shentsize < 64 || shoff + shnum * shentsize > buf.length || shstrndx >= shnum) return undefined;
  const sh = (i: number): { name: number; offset: number; size: number } => {
    const o = shoff + i * shentsize;
    return { name: buf.readUInt32LE(o), offset: Number(buf.readBigUInt64LE(o + 0x18)), size: Number(buf.readBigUInt64LE(o + 0x20)) };
  };
  const strtab = sh(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const nameStart = strtab.offset + s.name;
    if (nameStart >= buf.length) continue;
    const nameEnd = buf.indexOf(0, nameStart);
    if (buf.toString("latin1", nameStart, nameEnd) !== ".note.cuda.fwd_compatibility") continue;
    if (s.offset + s.size > buf.length || s.size < 12) return undefined;
    const namesz = buf.readUInt32LE(s.offset);
    const descsz = buf.readUInt32LE(s.offset + 4);
    const nameOff = s.offset + 12;
    const owner = buf.toString("latin1", nameOff, nameOff + namesz).replace(/\0+$/, "");
    if (owner !== "NVIDIA Corporation") return undefined;
    const descOff = nameOff + Math.ceil(namesz / 4) * 4;
    if (descOff + descsz > buf.length) return undefined;
    try {
      const j = JSON.parse(buf.toString("utf8", descOff, descOff + descsz).replace(/\0+$/, "")) as Record<string, unknown>;
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
  const fd = fs.openSync(path.join(dir.host, lib), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  let note: CompatNote | undefined;
  try {
    const size = fs.fstatSync(fd).size;
    // The note sits in the section headers' range; a compat libcuda is well under this cap.
    const buf = Buffer.alloc(Math.min(size, 512 << 20));
    fs.readSync(fd, buf, 0, buf.length, 0);
    note = readCompatNote(buf);
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
