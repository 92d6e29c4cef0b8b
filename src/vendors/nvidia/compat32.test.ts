import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ContainerEdits } from "../../edits/container-edits.js";
import { HostRoot } from "../../host/host-root.js";
import { parseLdCache } from "../../host/ldcache.js";
import { createSimHost } from "../../sim/create.js";
import type { Discovery } from "../vendor.js";
import { NvidiaVendor } from "./index.js";

let dir: string;
let root: string;
let vendor: NvidiaVendor;
let discovery: Discovery;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nv-compat32-"));
  root = path.join(dir, "host");
  createSimHost({ profile: "dgx-h100", dir: root, realDeviceNodes: false, vendorOptions: { nvidia: { compat32: true } } });
  vendor = new NvidiaVendor(new HostRoot(root));
  discovery = vendor.discover();
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const hookPath = "/usr/local/bin/actk-hook";
const common = (capabilities: string[]): ContainerEdits => vendor.commonEdits(discovery, { capabilities, options: [] }, { hookPath });
const lib32 = (e: ContainerEdits): string[] => (e.mounts ?? []).map((m) => m.containerPath).filter((p) => p.startsWith("/usr/lib/i386-linux-gnu/"));

test("the simulated i386 libraries are ELF32 objects that ld.so.cache lists with the i386 libc6 flags", () => {
  const file = path.join(root, "usr/lib/i386-linux-gnu/libcuda.so.550.54.15");
  const head = fs.readFileSync(file).subarray(0, 20);
  assert.equal(head[4], 1, "ELFCLASS32");
  assert.equal(head.readUInt16LE(18), 3, "EM_386");
  const cache = parseLdCache(fs.readFileSync(path.join(root, "etc/ld.so.cache")));
  const cuda = cache.entries.filter((e) => e.key === "libcuda.so.1").map((e) => [e.value, e.flags]);
  assert.deepEqual(cuda, [["/usr/lib/x86_64-linux-gnu/libcuda.so.1", 0x0303], ["/usr/lib/i386-linux-gnu/libcuda.so.1", 0x0003]]);
});

test("compat32 adds the 32-bit builds of the requested capabilities' libraries, and only those", () => {
  const table: [string[], string[], string[]][] = [
    [["compute"], [], []],
    [["compat32"], [], []],
    [["compat32", "compute"], ["/usr/lib/i386-linux-gnu/libcuda.so.550.54.15", "/usr/lib/i386-linux-gnu/libcuda.so.1", "/usr/lib/i386-linux-gnu/libnvidia-ptxjitcompiler.so.1"], ["/usr/lib/i386-linux-gnu/libnvidia-ml.so.1", "/usr/lib/i386-linux-gnu/libGLX_nvidia.so.0"]],
    [["compat32", "graphics", "utility"], ["/usr/lib/i386-linux-gnu/libGLX_nvidia.so.0", "/usr/lib/i386-linux-gnu/libnvidia-ml.so.1", "/usr/lib/i386-linux-gnu/libnvidia-glcore.so.550.54.15"], ["/usr/lib/i386-linux-gnu/libcuda.so.1"]],
  ];
  for (const [caps, present, absent] of table) {
    const got = lib32(common(caps));
    if (present.length === 0) assert.deepEqual(got, [], caps.join(","));
    for (const p of present) assert.ok(got.includes(p), `${caps}: ${p} missing from ${got.join(" ")}`);
    for (const p of absent) assert.ok(!got.includes(p), `${caps}: ${p} should not be mounted`);
  }
});

test("32-bit mounts are read-only binds of the real i386 file, and ldconfig in the container gets their folder", () => {
  const e = common(["compat32", "compute"]);
  const m = e.mounts?.find((x) => x.containerPath === "/usr/lib/i386-linux-gnu/libcuda.so.1");
  assert.deepEqual(m, {
    hostPath: path.join(root, "usr/lib/i386-linux-gnu/libcuda.so.550.54.15"), containerPath: "/usr/lib/i386-linux-gnu/libcuda.so.1",
    options: ["ro", "nosuid", "nodev", "rbind", "rprivate"],
  });
  assert.deepEqual(e.hooks?.[0]?.args, ["actk-hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu", "--folder", "/usr/lib/i386-linux-gnu"]);
  // The 64-bit libraries are unchanged by compat32.
  assert.deepEqual((common(["compute"]).mounts ?? []).map((x) => x.containerPath), (e.mounts ?? []).map((x) => x.containerPath).filter((p) => !p.startsWith("/usr/lib/i386-linux-gnu/")));
});
