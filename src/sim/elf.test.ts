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
