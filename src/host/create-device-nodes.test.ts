import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ActkError } from "../core/errors.js";
import { createDeviceNodes } from "./create-device-nodes.js";
import { HostRoot } from "./host-root.js";

function host(t: { after(fn: () => void): void }, procDevices?: string): HostRoot {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "actk-cdn-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, "dev"));
  if (procDevices !== undefined) {
    fs.mkdirSync(path.join(root, "proc"));
    fs.writeFileSync(path.join(root, "proc/devices"), procDevices);
  }
  return new HostRoot(root);
}

const plan = [
  { path: "/dev/nvidiactl", majorNames: ["nvidia", "nvidia-frontend"], minor: 255 },
  { path: "/dev/nvidia-uvm", majorNames: ["nvidia-uvm"], minor: 0 },
];

test("dry-run reports the mknod it would run with the majors from /proc/devices and creates nothing", (t) => {
  const h = host(t, "Character devices:\n195 nvidia-frontend\n509 nvidia-uvm\n\nBlock devices:\n");
  const r = createDeviceNodes(h, plan, { dryRun: true });
  assert.deepEqual(r.map((a) => [a.path, a.action, a.major]), [["/dev/nvidiactl", "would create", 195], ["/dev/nvidia-uvm", "would create", 509]]);
  assert.match(r[1]?.detail ?? "", /mknod --mode=0666 .*\/dev\/nvidia-uvm c 509 0$/);
  assert.deepEqual(fs.readdirSync(h.hostPath("/dev")), []);
});

test("existing paths are left alone and a missing major is reported, not guessed", (t) => {
  const h = host(t, "Character devices:\n195 nvidia\n");
  fs.writeFileSync(h.hostPath("/dev/nvidiactl"), "");
  const r = createDeviceNodes(h, plan, { dryRun: false });
  assert.deepEqual(r.map((a) => a.action), ["exists", "no major"]);
  assert.match(r[1]?.detail ?? "", /no nvidia-uvm/);
});

test("a host root without /proc/devices is an error naming the file", (t) => {
  const h = host(t);
  assert.throws(() => createDeviceNodes(h, plan, { dryRun: true }), (e: unknown) =>
    e instanceof ActkError && e.file === h.hostPath("/proc/devices"));
});

test("nodes are created under the host root (real char devices as root)", (t) => {
  const h = host(t, "Character devices:\n195 nvidia\n509 nvidia-uvm\n");
  const r = createDeviceNodes(h, plan, { dryRun: false });
  const st = fs.statSync(h.hostPath("/dev/nvidia-uvm"));
  if (process.getuid?.() === 0) {
    assert.deepEqual(r.map((a) => a.action), ["created", "created"]);
    assert.ok(st.isCharacterDevice());
    assert.equal(st.mode & 0o777, 0o666);
  } else {
    assert.deepEqual(r.map((a) => a.action), ["created placeholder", "created placeholder"]);
  }
});
