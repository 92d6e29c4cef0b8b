import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildSharedObject } from "./elf.js";
import { parseLdCache } from "../host/ldcache.js";

const READELF = "/usr/bin/readelf";
const LDCONFIG = "/sbin/ldconfig";

function tempDir(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-elf-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test("the ELF writer produces a 64-bit little-endian x86-64 shared object", () => {
  const b = buildSharedObject({ soname: "libcuda.so.1" });
  assert.equal(b.toString("latin1", 0, 4), "\x7fELF");
  assert.equal(b[4], 2);
  assert.equal(b[5], 1);
  assert.equal(b.readUInt16LE(16), 3, "ET_DYN");
  assert.equal(b.readUInt16LE(18), 62, "EM_X86_64");
});

test("readelf -d shows the SONAME and DT_NEEDED the writer put in", { skip: !fs.existsSync(READELF) && "no readelf" }, (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "libnvidia-ml.so.550.54.15");
  fs.writeFileSync(file, buildSharedObject({ soname: "libnvidia-ml.so.1", needed: ["libc.so.6"] }));
  const r = spawnSync(READELF, ["-d", file], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\(SONAME\)\s+Library soname: \[libnvidia-ml\.so\.1\]/);
  assert.match(r.stdout, /\(NEEDED\)\s+Shared library: \[libc\.so\.6\]/);
});

test("ldconfig -r indexes the written objects under their SONAMEs and creates the links", { skip: !fs.existsSync(LDCONFIG) && "no ldconfig" }, (t) => {
  const root = tempDir(t);
  const lib = path.join(root, "usr/lib/x86_64-linux-gnu");
  fs.mkdirSync(lib, { recursive: true });
  fs.mkdirSync(path.join(root, "etc"));
  fs.writeFileSync(path.join(root, "etc/ld.so.conf"), "/usr/lib/x86_64-linux-gnu\n");
  fs.writeFileSync(path.join(lib, "libcuda.so.550.54.15"), buildSharedObject({ soname: "libcuda.so.1" }));
  fs.writeFileSync(path.join(lib, "libnvidia-glcore.so.550.54.15"), buildSharedObject({ soname: "libnvidia-glcore.so.550.54.15" }));
  const r = spawnSync(LDCONFIG, ["-r", root, "-C", "/etc/ld.so.cache"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readlinkSync(path.join(lib, "libcuda.so.1")), "libcuda.so.550.54.15");
  const cache = parseLdCache(fs.readFileSync(path.join(root, "etc/ld.so.cache")));
  assert.deepEqual(cache.entries.map((e) => [e.key, e.value, e.flags]), [
    ["libnvidia-glcore.so.550.54.15", "/usr/lib/x86_64-linux-gnu/libnvidia-glcore.so.550.54.15", 0x0303],
    ["libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", 0x0303],
  ]);
});

test("the i386 variant is a 32-bit little-endian EM_386 shared object", () => {
  const b = buildSharedObject({ soname: "libcuda.so.1", arch: "i386" });
  assert.equal(b.toString("latin1", 0, 4), "\x7fELF");
  assert.equal(b[4], 1, "ELFCLASS32");
  assert.equal(b[5], 1);
  assert.equal(b.readUInt16LE(16), 3, "ET_DYN");
  assert.equal(b.readUInt16LE(18), 3, "EM_386");
  assert.equal(b.readUInt16LE(42), 32, "e_phentsize");
});

test("readelf reads the i386 object's class, machine, SONAME and DT_NEEDED", { skip: !fs.existsSync(READELF) && "no readelf" }, (t) => {
  const file = path.join(tempDir(t), "libcuda.so.550.54.15");
  fs.writeFileSync(file, buildSharedObject({ soname: "libcuda.so.1", needed: ["libc.so.6"], arch: "i386" }));
  const h = spawnSync(READELF, ["-h", file], { encoding: "utf8" });
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /Class:\s+ELF32/);
  assert.match(h.stdout, /Machine:\s+Intel 80386/);
  const d = spawnSync(READELF, ["-d", file], { encoding: "utf8" });
  assert.equal(d.status, 0, d.stderr);
  assert.match(d.stdout, /\(SONAME\)\s+Library soname: \[libcuda\.so\.1\]/);
  assert.match(d.stdout, /\(NEEDED\)\s+Shared library: \[libc\.so\.6\]/);
});

test("ldconfig -r indexes i386 objects with the i386 flags (0x0003) next to the x86-64 ones", { skip: !fs.existsSync(LDCONFIG) && "no ldconfig" }, (t) => {
  const root = tempDir(t);
  const lib64 = path.join(root, "usr/lib/x86_64-linux-gnu");
  const lib32 = path.join(root, "usr/lib/i386-linux-gnu");
  fs.mkdirSync(lib64, { recursive: true });
  fs.mkdirSync(lib32, { recursive: true });
  fs.mkdirSync(path.join(root, "etc"));
  fs.writeFileSync(path.join(root, "etc/ld.so.conf"), "/usr/lib/x86_64-linux-gnu\n/usr/lib/i386-linux-gnu\n");
  fs.writeFileSync(path.join(lib64, "libcuda.so.550.54.15"), buildSharedObject({ soname: "libcuda.so.1" }));
  // ldconfig calls a 32-bit object libc6 (flag 3, not 1) only when it needs libc.so.6.
  fs.writeFileSync(path.join(lib32, "libcuda.so.550.54.15"), buildSharedObject({ soname: "libcuda.so.1", needed: ["libc.so.6"], arch: "i386" }));
  const r = spawnSync(LDCONFIG, ["-r", root, "-C", "/etc/ld.so.cache"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const cache = parseLdCache(fs.readFileSync(path.join(root, "etc/ld.so.cache")));
  assert.deepEqual(cache.entries.map((e) => [e.key, e.value, e.flags]), [
    ["libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", 0x0303],
    ["libcuda.so.1", "/usr/lib/i386-linux-gnu/libcuda.so.1", 0x0003],
  ]);
});
