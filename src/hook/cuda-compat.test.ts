import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compareVersions, compatConfFile, enableCudaCompat, readCompatNote, shouldUseCompat } from "./cuda-compat.js";
import { silentLogger } from "../core/log.js";

/** A minimal ELF64 LE file whose only sections are .shstrtab and .note.cuda.fwd_compatibility. */
function elfWithNote(desc: object, owner = "NVIDIA Corporation"): Buffer {
  const names = Buffer.from("\0.shstrtab\0.note.cuda.fwd_compatibility\0", "latin1");
  const name = Buffer.from(owner + "\0", "latin1");
  const d = Buffer.from(JSON.stringify(desc), "utf8");
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const hdr = Buffer.alloc(12);
  hdr.writeUInt32LE(name.length, 0);
  hdr.writeUInt32LE(d.length, 4);
  hdr.writeUInt32LE(1, 8);
  const note = Buffer.concat([hdr, pad(name), pad(d)]);
  const namesOff = 64;
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
  const body = Buffer.concat([eh, names, note]);
  return Buffer.concat([body, Buffer.alloc(shoff - body.length), sh]);
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
