import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ActkError } from "../core/errors.js";
import type { ContainerEdits } from "../edits/container-edits.js";
import type { HostDeviceInfo, OciSpec } from "./oci-spec.js";
import { applyEdits, devMajor, devMinor, editedAnnotation, lstatHostDevice } from "./oci-spec.js";

const hostDevices: Record<string, HostDeviceInfo> = {
  "/dev/nvidia0": { type: "c", major: 195, minor: 0, mode: 0o666 },
  "/dev/nvidiactl": { type: "c", major: 195, minor: 255, mode: 0o666 },
  "/dev/sda": { type: "b", major: 8, minor: 0, mode: 0o660 },
  "/dev/fifo": { type: "p", major: 0, minor: 0, mode: 0o600 },
  "/etc/hosts": { type: "other", major: 0, minor: 0, mode: 0o644 },
};
const statHost = (p: string): HostDeviceInfo | undefined => hostDevices[p];

const baseSpec = (): OciSpec => ({
  ociVersion: "1.0.2",
  process: { env: ["PATH=/bin", "NVIDIA_VISIBLE_DEVICES=0"], user: { uid: 0, gid: 0 }, args: ["true"] },
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs" },
    { destination: "/dev/shm", type: "tmpfs", source: "shm" },
  ],
  linux: { resources: { devices: [{ allow: false, access: "rwm" }] } },
  unknownField: { kept: true },
});

interface Case {
  name: string;
  edits: ContainerEdits;
  spec?: () => OciSpec;
  check: (spec: OciSpec) => void;
}

const cases: Case[] = [
  {
    name: "env replaces an existing key in place and appends new keys; a later entry wins",
    edits: { env: ["NVIDIA_VISIBLE_DEVICES=void", "A=1", "A=2"] },
    check: (s) => assert.deepEqual(s.process?.env, ["PATH=/bin", "NVIDIA_VISIBLE_DEVICES=void", "A=2"]),
  },
  {
    name: "a device node without type/major/minor is filled from the host and gets an rwm cgroup rule",
    edits: { deviceNodes: [{ path: "/dev/nvidia0" }] },
    check: (s) => {
      assert.deepEqual(s.linux?.devices, [{ path: "/dev/nvidia0", type: "c", major: 195, minor: 0, fileMode: 0o666 }]);
      assert.deepEqual(s.linux?.resources?.devices?.at(-1), { allow: true, type: "c", major: 195, minor: 0, access: "rwm" });
    },
  },
  {
    name: "a fully specified node is not looked up and keeps its permissions in the cgroup rule",
    edits: { deviceNodes: [{ path: "/dev/davinci3", type: "c", major: 236, minor: 3, fileMode: 0o660, permissions: "rw" }] },
    check: (s) => {
      assert.deepEqual(s.linux?.devices, [{ path: "/dev/davinci3", type: "c", major: 236, minor: 3, fileMode: 0o660 }]);
      assert.deepEqual(s.linux?.resources?.devices?.at(-1), { allow: true, type: "c", major: 236, minor: 3, access: "rw" });
    },
  },
  {
    name: "a node at a container path already in the spec replaces it (de-duplicated by path)",
    edits: { deviceNodes: [{ path: "/dev/nvidia0", hostPath: "/dev/nvidia0" }, { path: "/dev/nvidia0", type: "c", major: 195, minor: 0 }] },
    spec: () => ({ ...baseSpec(), linux: { devices: [{ path: "/dev/nvidia0", type: "c", major: 1, minor: 1 }] } }),
    check: (s) => assert.deepEqual(s.linux?.devices?.map((d) => [d.path, d.major, d.minor]), [["/dev/nvidia0", 195, 0]]),
  },
  {
    name: "a fifo gets no cgroup rule and a block device gets a b rule",
    edits: { deviceNodes: [{ path: "/dev/fifo" }, { path: "/dev/sda" }] },
    check: (s) => {
      assert.deepEqual(s.linux?.devices?.map((d) => d.type), ["p", "b"]);
      assert.deepEqual(s.linux?.resources?.devices?.slice(1), [{ allow: true, type: "b", major: 8, minor: 0, access: "rwm" }]);
    },
  },
  {
    name: "device uid/gid default to the process user when it is not root",
    edits: { deviceNodes: [{ path: "/dev/nvidiactl" }] },
    spec: () => ({ ...baseSpec(), process: { env: [], user: { uid: 1000, gid: 1000 } } }),
    check: (s) => assert.deepEqual([s.linux?.devices?.[0]?.uid, s.linux?.devices?.[0]?.gid], [1000, 1000]),
  },
  {
    name: "bind mounts get rprivate,nosuid,nodev, replace a mount at the same path and are sorted parents first",
    edits: {
      mounts: [
        { hostPath: "/usr/lib/x86_64-linux-gnu/libcuda.so.1", containerPath: "/usr/lib/x86_64-linux-gnu/libcuda.so.1", options: ["ro", "nosuid", "nodev", "bind"] },
        { hostPath: "/host/shm", containerPath: "/dev/shm" },
        { hostPath: "/run/x", containerPath: "/run" , type: "tmpfs", options: ["size=1m"] },
      ],
    },
    check: (s) => {
      assert.deepEqual(s.mounts?.map((m) => m.destination), ["/proc", "/dev", "/run", "/dev/shm", "/usr/lib/x86_64-linux-gnu/libcuda.so.1"]);
      const lib = s.mounts?.find((m) => m.destination.endsWith("libcuda.so.1"));
      assert.deepEqual(lib, { destination: "/usr/lib/x86_64-linux-gnu/libcuda.so.1", source: "/usr/lib/x86_64-linux-gnu/libcuda.so.1", type: "bind", options: ["ro", "nosuid", "nodev", "bind", "rprivate"] });
      assert.deepEqual(s.mounts?.find((m) => m.destination === "/dev/shm"), { destination: "/dev/shm", source: "/host/shm", type: "bind", options: ["bind", "rprivate", "nosuid", "nodev"] });
      assert.deepEqual(s.mounts?.find((m) => m.destination === "/run")?.options, ["size=1m"]);
    },
  },
  {
    name: "hooks are appended to their lists and NVIDIA's legacy prestart hook is removed",
    edits: { hooks: [
      { hookName: "createContainer", path: "/usr/bin/actk-hook", args: ["actk-hook", "update-ldcache"], env: ["PATH=/bin"] },
      { hookName: "prestart", path: "/usr/bin/actk-hook", args: ["actk-hook", "prestart"] },
    ] },
    spec: () => ({ ...baseSpec(), hooks: { prestart: [{ path: "/usr/bin/nvidia-container-runtime-hook", args: ["nvidia-container-runtime-hook", "prestart"] }, { path: "/other" }] } }),
    check: (s) => {
      assert.deepEqual(s.hooks?.prestart, [{ path: "/other" }, { path: "/usr/bin/actk-hook", args: ["actk-hook", "prestart"] }]);
      assert.deepEqual(s.hooks?.createContainer, [{ path: "/usr/bin/actk-hook", args: ["actk-hook", "update-ldcache"], env: ["PATH=/bin"] }]);
    },
  },
  {
    name: "additional gids skip 0 and are de-duplicated",
    edits: { additionalGids: [0, 44, 44, 109] },
    spec: () => ({ ...baseSpec(), process: { user: { uid: 0, gid: 0, additionalGids: [109] } } }),
    check: (s) => assert.deepEqual(s.process?.user?.additionalGids, [109, 44]),
  },
  {
    name: "unknown spec fields survive and the spec is marked as edited with the mode",
    edits: {},
    check: (s) => {
      assert.deepEqual(s.unknownField, { kept: true });
      assert.equal(s.annotations?.[editedAnnotation], "jit");
    },
  },
];

for (const c of cases) {
  test(`apply: ${c.name}`, () => {
    const spec = (c.spec ?? baseSpec)();
    const r = applyEdits(spec, c.edits, { mode: "jit", statHost });
    assert.equal(r.changed, true);
    c.check(spec);
  });
}

test("apply: a second pass over an edited spec changes nothing", () => {
  const spec = baseSpec();
  const edits: ContainerEdits = { env: ["X=1"], deviceNodes: [{ path: "/dev/nvidia0" }], mounts: [{ hostPath: "/a", containerPath: "/a" }] };
  applyEdits(spec, edits, { mode: "jit", statHost });
  const once = JSON.stringify(spec);
  const r = applyEdits(spec, edits, { mode: "jit", statHost });
  assert.equal(r.changed, false);
  assert.equal(JSON.stringify(spec), once);
});

const badNodes: { name: string; node: { path: string; type?: "c" | "b" }; text: RegExp }[] = [
  { name: "a missing host node without major/minor", node: { path: "/dev/nvidia9" }, text: /does not exist on the host/ },
  { name: "a host path that is not a device", node: { path: "/etc/hosts" }, text: /is not a device node/ },
  { name: "a type that contradicts the host", node: { path: "/dev/sda", type: "c" }, text: /says type "c" but \/dev\/sda is type "b"/ },
];
for (const c of badNodes) {
  test(`apply: ${c.name} is an error and the spec is untouched`, () => {
    const spec = baseSpec();
    const before = JSON.stringify(spec);
    assert.throws(() => applyEdits(spec, { env: ["A=1"], deviceNodes: [c.node] }, { mode: "jit", statHost }), (e: unknown) => e instanceof ActkError && c.text.test(e.message));
    assert.equal(JSON.stringify(spec), before);
  });
}

test("dev_t decoding matches glibc's major()/minor() for small and large numbers", () => {
  assert.deepEqual([devMajor(0xc300), devMinor(0xc300)], [195, 0]); // makedev(195, 0)
  assert.deepEqual([devMajor(0xc3ff), devMinor(0xc3ff)], [195, 255]);
  assert.deepEqual([devMajor(0x1ff00), devMinor(0x1ff00)], [511, 0]); // majors above 255 use the next bits
  assert.deepEqual([devMajor(0x100000), devMinor(0x100000)], [0, 256]); // minors above 255 move to bits 20+
});

test("lstatHostDevice reports files and symlinks as not device nodes and a missing path as undefined", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "actk-apply-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, "f"), "");
  symlinkSync("/dev/null", path.join(dir, "l"));
  assert.equal(lstatHostDevice(path.join(dir, "f"))?.type, "other");
  assert.equal(lstatHostDevice(path.join(dir, "l"))?.type, "other");
  assert.equal(lstatHostDevice(path.join(dir, "missing")), undefined);
  assert.deepEqual(lstatHostDevice("/dev/null"), { type: "c", major: 1, minor: 3, mode: 0o666 });
});
