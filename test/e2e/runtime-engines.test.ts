// actk-runtime under real engines: containerd (ctr --runc-binary), dockerd (daemon.json from `actk runtime configure`)
// and podman (--runtime), each on a simulated dgx-h100 host, with private state everywhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import type { TestContext } from "node:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { distBin, needs, program, tempDir } from "./harness/requirements.js";
import { buildBusyboxRootfs, findBusybox } from "./harness/rootfs.js";
import { createSimHost } from "./harness/sim.js";
import { actkRuntime } from "./harness/actk-runtime.js";
import { ctr, docker, dockerImportRootfs, startContainerd, startDockerd } from "./harness/daemons.js";

const hasBusybox = (t: TestContext): boolean => (findBusybox() ? true : needs(t, { programs: ["/bin/busybox (busybox-static)"] }));
const nvidiaNodes = (out: string): string[] => out.split(/\s+/).filter((d) => /^nvidia\d+$/.test(d)).sort();
const id = (name: string): string => `actk-${name}-${process.pid}`;

test("containerd: ctr run --runc-binary actk-runtime --env NVIDIA_VISIBLE_DEVICES=1 sees only /dev/nvidia1", async (t) => {
  if (!needs(t, { root: true, programs: ["containerd", "ctr", "runc"] }) || !hasBusybox(t)) return;
  const dir = tempDir(t);
  const rt = actkRuntime(t, { hostRoot: createSimHost(t, "dgx-h100") });
  const rootfs = buildBusyboxRootfs(path.join(dir, "rootfs"));
  // The shim inherits containerd's environment, so ACTK_* reach actk-runtime this way.
  const d = startContainerd(path.join(dir, "containerd"), rt.env);
  try {
  const run = (name: string, env: string[]): ReturnType<typeof ctr> =>
    ctr(d, ["run", "--rm", "--runc-binary", rt.runtime, ...env.flatMap((e) => ["--env", e]), "--rootfs", rootfs, id(name), "/bin/sh", "-c", "ls /dev"]);
  const gpu = run("ctr-gpu", ["NVIDIA_VISIBLE_DEVICES=1"]);
  t.diagnostic(rt.log());
  assert.equal(gpu.status, 0, String(gpu.stderr));
  assert.deepEqual(nvidiaNodes(String(gpu.stdout)), ["nvidia1"]);
  const plain = run("ctr-plain", []);
  assert.equal(plain.status, 0, String(plain.stderr));
  assert.deepEqual(nvidiaNodes(String(plain.stdout)), []);
  } finally {
    await d.stop(); // before the temp dir goes
  }
});

test("docker: --runtime=actk with NVIDIA_VISIBLE_DEVICES=0 sees the GPU; a bad capability fails with actk's line", async (t) => {
  if (!needs(t, { root: true, programs: ["dockerd", "docker", "runc"] }) || !hasBusybox(t)) return;
  const dir = tempDir(t);
  const rt = actkRuntime(t, { hostRoot: createSimHost(t, "dgx-h100") });
  // daemon.json as `actk runtime configure --runtime docker` writes it (in a scratch root, so the
  // host's /etc/docker and /var/lib/actk stay untouched).
  const scratch = path.join(dir, "scratch-root");
  mkdirSync(path.join(scratch, "etc/docker"), { recursive: true });
  writeFileSync(path.join(scratch, "etc/docker/daemon.json"), '{\n  "log-level": "warn"\n}\n');
  const configure = spawnSync(distBin("actk"), ["--host-root", scratch, "runtime", "configure", "--runtime", "docker", "--runtime-path", rt.runtime, "--no-verify"], { encoding: "utf8" });
  assert.equal(configure.status, 0, configure.stderr);
  const daemonJson = JSON.parse(readFileSync(path.join(scratch, "etc/docker/daemon.json"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(daemonJson.runtimes, { actk: { path: rt.runtime } });
  const d = startDockerd(path.join(dir, "docker"), { daemonJson, env: rt.env });
  try {
  dockerImportRootfs(d, buildBusyboxRootfs(path.join(dir, "rootfs")), "actk-busybox:e2e");
  const ok = docker(d, ["run", "--rm", "--runtime=actk", "--network=none", "-e", "NVIDIA_VISIBLE_DEVICES=0", "actk-busybox:e2e", "/bin/sh", "-c", "ls /dev"]);
  t.diagnostic(rt.log());
  assert.equal(ok.status, 0, String(ok.stderr));
  assert.deepEqual(nvidiaNodes(String(ok.stdout)), ["nvidia0"]);
  const bad = docker(d, ["run", "--rm", "--runtime=actk", "--network=none", "-e", "NVIDIA_VISIBLE_DEVICES=0", "-e", "NVIDIA_DRIVER_CAPABILITIES=bogus", "actk-busybox:e2e", "true"]);
  assert.notEqual(bad.status, 0);
  assert.match(String(bad.stderr), /actk-runtime: .*NVIDIA_DRIVER_CAPABILITIES=bogus.*run `actk doctor` for a full diagnosis/);
  } finally {
    await d.stop(); // before the temp dir goes
  }
});

// conmon starts the runtime with its own environment, so ACTK_HOST_ROOT travels in a wrapper.
test("podman: --runtime actk-runtime run with NVIDIA_VISIBLE_DEVICES=2 sees /dev/nvidia2", (t) => {
  if (!needs(t, { root: true, programs: ["podman", "runc"] }) || !hasBusybox(t)) return;
  const dir = tempDir(t);
  const rt = actkRuntime(t, { hostRoot: createSimHost(t, "dgx-h100") });
  const rootfs = buildBusyboxRootfs(path.join(dir, "rootfs"));
  const podman = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(program("podman"), [
    "--root", path.join(dir, "storage"), "--runroot", path.join(dir, "run"), "--tmpdir", path.join(dir, "tmp"),
    "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", rt.wrapper, ...args,
  ], { encoding: "utf8", env: rt.env, timeout: 180_000 });
  // podman's default nofile/nproc limits exceed the hard limits of a CI container; runc then fails with EPERM.
  const r = podman(["run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "-e", "NVIDIA_VISIBLE_DEVICES=2", "--rootfs", rootfs, "/bin/sh", "-c", "ls /dev"]);
  t.diagnostic(rt.log());
  assert.equal(r.status, 0, String(r.stderr));
  assert.deepEqual(nvidiaNodes(String(r.stdout)), ["nvidia2"]);
});
