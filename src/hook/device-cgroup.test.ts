import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cgroupV2Error, findDeviceCgroup, parseMountinfo } from "./device-cgroup.js";

function fakeProc(t: { after(fn: () => void): void }, cgroup: string, mountinfo: (dir: string) => string): { proc: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-hook-cg-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const proc = path.join(dir, "proc");
  fs.mkdirSync(path.join(proc, "42"), { recursive: true });
  fs.mkdirSync(path.join(proc, "self"), { recursive: true });
  fs.writeFileSync(path.join(proc, "42", "cgroup"), cgroup);
  fs.writeFileSync(path.join(proc, "self", "mountinfo"), mountinfo(dir));
  return { proc, dir };
}

test("cgroup v1: the container's devices cgroup is found under the devices hierarchy's mount point", (t) => {
  const { proc, dir } = fakeProc(t, "12:devices:/docker/abc\n11:memory:/docker/abc\n0::/\n", (d) =>
    `30 25 0:26 / ${d}/cg/devices rw,nosuid shared:12 - cgroup cgroup rw,devices\n31 25 0:27 / ${d}/cg/memory rw - cgroup cgroup rw,memory\n`);
  const cgDir = path.join(dir, "cg", "devices", "docker", "abc");
  fs.mkdirSync(cgDir, { recursive: true });
  fs.writeFileSync(path.join(cgDir, "devices.allow"), "");
  assert.deepEqual(findDeviceCgroup(42, proc), { version: 1, devicesDir: cgDir });
});

test("cgroup v2 (only the 0:: line) is reported as v2, and its error says to use actk-runtime or CDI", (t) => {
  const { proc } = fakeProc(t, "0::/system.slice/docker-abc.scope\n", () => "");
  assert.deepEqual(findDeviceCgroup(42, proc), { version: 2 });
  assert.match(cgroupV2Error().format(), /cgroup v2.*actk-runtime.*CDI/);
});

test("mountinfo: escapes are decoded and propagation tags kept", () => {
  const [e] = parseMountinfo("36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n");
  assert.equal(e?.mountPoint, "/mnt two");
  assert.deepEqual(e?.optional, ["master:1", "shared:2"]);
  assert.equal(e?.fsType, "ext3");
});
