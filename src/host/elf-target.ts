/**
 * Which ELF files this machine runs: e_machine and class (1: 32-bit, 2: 64-bit) of each Node.js
 * architecture, and the byte order of this process. Shared by the NVML loader and the check of a
 * build's native launcher.
 */
import os from "node:os";

export const elfTargets: Readonly<Record<string, readonly [machine: number, elfClass: number]>> = {
  x64: [62, 2], arm64: [183, 2], ia32: [3, 1], arm: [40, 1], ppc64: [21, 2], ppc: [20, 1], s390x: [22, 2], s390: [22, 1],
  riscv64: [243, 2], loong64: [258, 2], mips: [8, 1], mipsel: [8, 1],
};

/** e_machine of an ELF header (its first 20 bytes at least), in the header's own byte order; -1 when too short. */
export function elfMachine(head: Buffer): number {
  if (head.length < 20) return -1;
  return head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
}

/** Whether an ELF header is for `arch`: e_machine, class and byte order all match (ppc64 is one e_machine for both orders). */
export function elfFitsArch(head: Buffer, arch: string = process.arch, endianness: "LE" | "BE" = os.endianness()): boolean {
  const target = elfTargets[arch];
  return target !== undefined && elfMachine(head) === target[0] && head[4] === target[1] && (head[5] === 2) === (endianness === "BE");
}
