import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import fsModule from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";
import { compareVersions, compatConfFile, enableCudaCompat, readCompatNote, shouldUseCompat } from "./cuda-compat.js";
import { silentLogger } from "../core/log.js";

/**
 * A minimal ELF64 LE file whose only sections are .shstrtab and .note.cuda.fwd_compatibility,
 * as its 64-byte header and the rest, which starts at `at` (the header names absolute offsets).
 */
function elfParts(desc: object, owner = "NVIDIA Corporation", at = 64): { header: Buffer; rest: Buffer; at: number } {
  const names = Buffer.from("\0.shstrtab\0.note.cuda.fwd_compatibility\0", "latin1");
  const name = Buffer.from(owner + "\0", "latin1");
  const d = Buffer.from(JSON.stringify(desc), "utf8");
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const hdr = Buffer.alloc(12);
  hdr.writeUInt32LE(name.length, 0);
  hdr.writeUInt32LE(d.length, 4);
  hdr.writeUInt32LE(1, 8);
  const note = Buffer.concat([hdr, pad(name), pad(d)]);
  const namesOff = at;
  const noteOff = namesOff + names.length;
  const shoff = noteOff + note.length + ((8 - ((noteOff + note.length) % 8)) % 8);
  const sh = Buffer.alloc(64 * 3);
  const section = (i: number, nameIdx: number, off: number, size: number): void => {
    sh.writeUInt32LE(nameIdx, i * 64);
    sh.writeBigUInt64LE(BigInt(off), i * 64 + 0x18);
    sh.writeBigUInt64LE(BigInt(size), i * 64 + 0x20);
  };
  section(1, 1, namesOff, names.length);
  section(2, 11, noteOff, note.length);
  const eh = Buffer.alloc(64);
  eh.writeUInt32BE(0x7f454c46, 0);
  eh[4] = 2;
  eh[5] = 1;
  eh.writeBigUInt64LE(BigInt(shoff), 0x28);
  eh.writeUInt16LE(64, 0x3a);
  eh.writeUInt16LE(3, 0x3c);
  eh.writeUInt16LE(1, 0x3e);
  const body = Buffer.concat([names, note]);
  return { header: eh, rest: Buffer.concat([body, Buffer.alloc(shoff - at - body.length), sh]), at };
}

function elfWithNote(desc: object, owner = "NVIDIA Corporation"): Buffer {
  const { header, rest } = elfParts(desc, owner);
  return Buffer.concat([header, rest]);
}

test("the forward-compatibility ELF note is read (owner, CUDA version, driver majors)", () => {
  assert.deepEqual(readCompatNote(elfWithNote({ "CUDA Version": "12.8", Driver: ["535", "550"], Device: [] })), { cudaVersion: "12.8", driverMajors: [535, 550] });
  assert.equal(readCompatNote(elfWithNote({ "CUDA Version": "12.8" }, "Someone Else")), undefined);
  assert.equal(readCompatNote(Buffer.from("not an elf file at all, not at all, not at all, not at all, ok")), undefined);
});

// NVIDIA's rules (research notes §9.4), one row each.
const decisions: { name: string; lib: string; note?: { cudaVersion?: string; driverMajors: number[] }; driver?: string; cuda?: string; use: boolean }[] = [
  { name: "no note: compat major newer than host driver major → use", lib: "560.35.03", driver: "550.54.15", use: true },
  { name: "no note: compat major equal to host driver major → don't", lib: "550.90.07", driver: "550.54.15", use: false },
  { name: "no note: compat older than host driver → don't", lib: "535.1.1", driver: "550.54.15", use: false },
  { name: "no note but host CUDA version given → don't", lib: "560.35.03", cuda: "12.4", use: false },
  { name: "note: host major listed and compat newer → use", lib: "570.86.10", note: { driverMajors: [535, 550] }, driver: "550.54.15", use: true },
  { name: "note: host major not listed → don't", lib: "570.86.10", note: { driverMajors: [535] }, driver: "550.54.15", use: false },
  { name: "note with host CUDA only: note CUDA newer → use", lib: "570.86.10", note: { cudaVersion: "12.8", driverMajors: [] }, cuda: "12.4", use: true },
  { name: "note with host CUDA only: note CUDA not newer → don't", lib: "570.86.10", note: { cudaVersion: "12.4", driverMajors: [] }, cuda: "12.4", use: false },
];
for (const d of decisions) {
  test(`enable-cuda-compat decision: ${d.name}`, () => {
    assert.equal(shouldUseCompat(d.lib, d.note, { hostDriverVersion: d.driver, hostCudaVersion: d.cuda }), d.use);
  });
}

test("versions compare numerically", () => {
  assert.equal(compareVersions("550.54.15", "550.100"), -1);
  assert.equal(compareVersions("12.10", "12.9"), 1);
  assert.equal(compareVersions("12.4", "12.4.0"), 0);
});

test("enable-cuda-compat writes an ld.so.conf.d entry in the rootfs and mounts nothing; a compat dir symlinked to the host stays in-root", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-compat-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, "rootfs");
  const compat = path.join(root, "usr", "local", "cuda", "compat");
  fs.mkdirSync(compat, { recursive: true });
  fs.writeFileSync(path.join(compat, "libcuda.so.560.35.03"), "x");
  const r = enableCudaCompat(root, { hostDriverVersion: "550.54.15" }, silentLogger);
  assert.equal(r.used, true);
  assert.equal(fs.readFileSync(path.join(root, compatConfFile), "utf8"), "/usr/local/cuda/compat\n");
  assert.equal(enableCudaCompat(root, {}, silentLogger).used, false, "no versions → no-op");

  const root2 = path.join(dir, "rootfs2");
  fs.mkdirSync(path.join(root2, "usr", "local", "cuda"), { recursive: true });
  fs.symlinkSync(compat, path.join(root2, "usr", "local", "cuda", "compat"));
  assert.equal(enableCudaCompat(root2, { hostDriverVersion: "550.54.15" }, silentLogger).used, false, "the host path is not followed");
});

/** A rootfs with /usr/local/cuda/compat; returns it and the compat dir. */
function compatRoot(t: { after(fn: () => void): void }): { root: string; compat: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-compat-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, "rootfs");
  const compat = path.join(root, "usr", "local", "cuda", "compat");
  fs.mkdirSync(compat, { recursive: true });
  return { root, compat };
}

/**
 * Runs fn and counts the bytes it asks fs.readSync for. cuda-compat.ts calls readSync through
 * its ESM binding of node:fs, which syncBuiltinESMExports points at the counting wrapper.
 */
function countingReads<T>(fn: () => T): { result: T; bytes: number } {
  const orig = fsModule.readSync;
  let bytes = 0;
  const counting = (fd: number, buf: NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    bytes += typeof rest[1] === "number" ? rest[1] : buf.byteLength;
    return Reflect.apply(orig, fsModule, [fd, buf, ...rest]) as number;
  };
  fsModule.readSync = counting as unknown as typeof fsModule.readSync;
  syncBuiltinESMExports();
  try {
    const result = fn();
    return { result, bytes };
  } finally {
    fsModule.readSync = orig;
    syncBuiltinESMExports();
  }
}

test("enable-cuda-compat reads the note of the compat libcuda in the rootfs: the note, not the file name, decides", (t) => {
  const { root, compat } = compatRoot(t);
  const lib = path.join(compat, "libcuda.so.570.86.10");
  fs.writeFileSync(lib, elfWithNote({ "CUDA Version": "12.8", Driver: ["535"] }));
  // The file name alone (570 > 550) would say "use"; the note does not list the host's 550.
  assert.equal(enableCudaCompat(root, { hostDriverVersion: "550.54.15" }, silentLogger).used, false);
  fs.writeFileSync(lib, elfWithNote({ "CUDA Version": "12.8", Driver: ["535", "550"] }));
  const { result, bytes } = countingReads(() => enableCudaCompat(root, { hostDriverVersion: "550.54.15" }, silentLogger));
  assert.equal(result.used, true);
  assert.ok(bytes > 0, "reads are counted");
  assert.ok(bytes <= fs.statSync(lib).size, `read ${bytes} bytes of a ${fs.statSync(lib).size}-byte file`);
});

test("a 1 GiB sparse libcuda costs a few reads, not the file: its note at the end is found, and plain zeros are no note", (t) => {
  const { root, compat } = compatRoot(t);
  const lib = path.join(compat, "libcuda.so.570.86.10");
  const GiB = 1 << 30;
  // Header at 0, section names, note and section headers in the last KiB: hostile size, real layout.
  const { header, rest, at } = elfParts({ "CUDA Version": "12.8", Driver: ["535"] }, "NVIDIA Corporation", GiB - 1024);
  fs.writeFileSync(lib, header);
  fs.truncateSync(lib, GiB);
  const fd = fs.openSync(lib, "r+");
  fs.writeSync(fd, rest, 0, rest.length, at);
  fs.closeSync(fd);
  const withNote = countingReads(() => enableCudaCompat(root, { hostDriverVersion: "550.54.15" }, silentLogger));
  assert.ok(withNote.bytes < 4096, `read ${withNote.bytes} bytes`);
  assert.equal(withNote.result.used, false, "the note (535 only) decides, as for a small file");

  fs.truncateSync(lib, 0);
  fs.truncateSync(lib, GiB);
  const zeros = countingReads(() => enableCudaCompat(root, { hostDriverVersion: "550.54.15" }, silentLogger));
  assert.ok(zeros.bytes > 0 && zeros.bytes <= 64, `read ${zeros.bytes} bytes`);
  assert.equal(zeros.result.used, true, "no note: the file name (570 > 550) decides");
});

test("section tables, name tables and notes past their caps are no note, and are not read", () => {
  const base = elfWithNote({ "CUDA Version": "12.8", Driver: ["550"] });
  const shoff = Number(base.readBigUInt64LE(0x28));
  const reads: number[] = [];
  const source = (buf: Buffer) => ({
    size: 1 << 30,
    read: (offset: number, length: number) => { reads.push(length); return Buffer.concat([buf, Buffer.alloc(length)]).subarray(offset, offset + length); },
  });
  const cases: [string, (b: Buffer) => void][] = [
    ["65535 section headers of 65535 bytes", (b) => { b.writeUInt16LE(0xffff, 0x3a); b.writeUInt16LE(0xfffe, 0x3c); }],
    ["a 512 MiB section-name table", (b) => b.writeBigUInt64LE(512n << 20n, shoff + 64 + 0x20)],
    ["a 512 MiB note", (b) => b.writeBigUInt64LE(512n << 20n, shoff + 128 + 0x20)],
  ];
  for (const [what, corrupt] of cases) {
    const b = Buffer.from(base);
    corrupt(b);
    reads.length = 0;
    assert.equal(readCompatNote(source(b)), undefined, what);
    assert.ok(reads.every((n) => n <= 1 << 20), `${what}: read ${reads.join(", ")}`);
  }
});

test("a truncated or corrupted libcuda is no note (the file-name rule decides), never an exception", (t) => {
  const good = elfWithNote({ "CUDA Version": "12.8", Driver: ["535"] });
  for (let n = 0; n < good.length; n++) {
    assert.doesNotThrow(() => readCompatNote(good.subarray(0, n)), `first ${n} bytes`);
    // The section headers come last, so every cut loses them (and with them the note).
    assert.equal(readCompatNote(good.subarray(0, n)), undefined, `first ${n} bytes`);
  }
  // Every byte of the header, section headers and note set to 0xff in turn.
  for (let i = 0; i < good.length; i++) {
    const b = Buffer.from(good);
    b[i] = 0xff;
    assert.doesNotThrow(() => readCompatNote(b), `byte ${i} = 0xff`);
  }
  const { root, compat } = compatRoot(t);
  fs.writeFileSync(path.join(compat, "libcuda.so.570.86.10"), good.subarray(0, good.length - 100));
  const r = enableCudaCompat(root, { hostDriverVersion: "550.54.15" }, silentLogger);
  assert.equal(r.used, true, "no note: 570 > 550 by the file name");
});
