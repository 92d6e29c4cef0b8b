import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { silentLogger } from "../core/log.js";
import { HostRoot } from "../host/host-root.js";
import type { Container } from "./container.js";
import { checkMountSource, injectEdits } from "./inject.js";

/** A rootfs, a host dir beside it, and the Container the hook would build for them (no mount namespace needed). */
function scene(t: TestContext): { container: Container; rootfs: string; host: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-hook-inject-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rootfs = path.join(dir, "bundle", "rootfs");
  const host = path.join(dir, "host");
  fs.mkdirSync(path.join(rootfs, "usr", "lib"), { recursive: true });
  fs.mkdirSync(host);
  const container: Container = {
    state: { id: "c1", bundle: path.dirname(rootfs), annotations: {} },
    spec: {}, specFile: path.join(path.dirname(rootfs), "config.json"),
    rootfs, view: rootfs, viewReason: "test",
  };
  return { container, rootfs, host };
}

const mount = (hostPath: string): { hostPath: string; containerPath: string } => ({ hostPath, containerPath: "/usr/lib/libcuda.so.1" });

/** The scene's host driver file, at `mode` (chmod: the umask does not apply). */
function driverFile(s: { host: string }, mode: number): string {
  const lib = path.join(s.host, "libcuda.so.1");
  fs.writeFileSync(lib, "driver\n");
  fs.chmodSync(lib, mode);
  return lib;
}

/** Whether the test can give files to other ids (root); skips it otherwise. */
function asRoot(t: TestContext, why: string): boolean {
  if (process.geteuid?.() === 0) return true;
  t.skip(`needs root to ${why}`);
  return false;
}

test("(6) a mount source inside the rootfs is refused, also when a host path links into it", (t) => {
  const s = scene(t);
  const inImage = path.join(s.rootfs, "usr", "lib", "libcuda.so.1");
  fs.writeFileSync(inImage, "image content\n", { mode: 0o644 });
  assert.throws(() => checkMountSource(mount(inImage), s.container), /lies inside the container's root filesystem/);
  const link = path.join(s.host, "libcuda.so.1");
  fs.symlinkSync(inImage, link);
  assert.throws(() => checkMountSource(mount(link), s.container), /lies inside the container's root filesystem/);
});

test("(6) a world-writable mount source is refused; the same file at 0644 is accepted", (t) => {
  const s = scene(t);
  const lib = driverFile(s, 0o666);
  assert.throws(() => checkMountSource(mount(lib), s.container), /libcuda\.so\.1 is world-writable/);
  fs.chmodSync(lib, 0o644);
  assert.deepEqual(checkMountSource(mount(lib), s.container), { source: lib, directory: false });
});

test("(6) a mount source a group other than root's can write is refused; root's group may", (t) => {
  if (!asRoot(t, "give a file to another group")) return;
  const s = scene(t);
  const lib = driverFile(s, 0o664);
  fs.chownSync(lib, 0, 65534);
  assert.throws(() => checkMountSource(mount(lib), s.container), /libcuda\.so\.1 is writable by group 65534, not only by root.*/);
  fs.chmodSync(lib, 0o644);
  assert.deepEqual(checkMountSource(mount(lib), s.container), { source: lib, directory: false }, "readable by the group only: fine");
  fs.chmodSync(lib, 0o664);
  fs.chownSync(lib, 0, 0);
  assert.deepEqual(checkMountSource(mount(lib), s.container), { source: lib, directory: false });
});

test("(6) a mount source owned by another user than root and the hook is refused", (t) => {
  if (!asRoot(t, "give a file to another user")) return;
  const s = scene(t);
  const dir = path.join(s.host, "lib");
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chownSync(dir, 65534, 65534);
  assert.throws(() => checkMountSource({ hostPath: dir, containerPath: "/usr/lib/driver" }, s.container), /lib is owned by uid 65534, not root/);
});

test("(6) a mount source that does not exist on the host is refused", (t) => {
  const s = scene(t);
  assert.throws(() => checkMountSource(mount(path.join(s.host, "missing.so")), s.container), /does not exist on the host/);
});

test("injection without a mount namespace to enter fails before it reads the pid's cgroup or makes a directory, and says why", (t) => {
  const s = scene(t);
  const container: Container = { ...s.container, state: { ...s.container.state, pid: 1 }, viewReason: "/proc belongs to another pid namespace than ours" };
  const tools = { nsenter: "/nonexistent/nsenter", mount: "/nonexistent/mount", mknod: "/nonexistent/mknod" };
  const edits = { deviceNodes: [{ path: "/dev/dri/card0", type: "c" as const, major: 226, minor: 0 }] };
  assert.throws(() => injectEdits(container, edits, new HostRoot("/"), silentLogger, tools), /^ActkError: inject: the container has no mount namespace the hook can enter: \/proc belongs/);
  assert.equal(fs.existsSync(path.join(s.rootfs, "dev")), false, "no directory was made");
  assert.throws(() => injectEdits(container, { mounts: [mount(s.host)] }, new HostRoot("/"), silentLogger, tools), /no mount namespace the hook can enter/);
});
