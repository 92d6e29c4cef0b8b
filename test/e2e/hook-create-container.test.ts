/**
 * actk-hook as a createContainer hook of real runc containers. runc runs these
 * hooks from `runc init`: inside the container's mount namespace before
 * pivot_root, with the state's pid counted in the container's pid namespace
 * (usually 1) while /proc is still the runtime's. The hook must then work on
 * the rootfs as it is (with the container's bind mounts and /dev tmpfs), not
 * through /proc/1/root, which is the runtime's init and shows the rootfs
 * without them. Each test makes links into a host dir the spec bind-mounts and
 * into /dev, and the container itself reads them back.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { createBundle, readSpec, type OciSpec } from "./harness/bundle.js";
import { findBusybox } from "./harness/rootfs.js";
import { distBin, needs, program, tempDir } from "./harness/requirements.js";
import { runLifecycle } from "./harness/runc.js";

interface Scene {
  bundle: string;
  rootfs: string;
  /** The host dir bind-mounted at /mnt/shared. */
  shared: string;
  log: string;
  state: string;
}

const links = ["--link", "libcuda.so.1::/mnt/shared/libcuda.so", "--link", "/dev/null::/dev/actk-link"];
const readBack = "readlink /mnt/shared/libcuda.so; readlink /dev/actk-link";

function scene(t: TestContext, edit?: (spec: OciSpec) => void): Scene {
  const dir = tempDir(t, "actk-hook-create-container-");
  const bundle = path.join(dir, "bundle");
  const file = createBundle(bundle, { args: ["/bin/sh", "-c", readBack] });
  const shared = path.join(dir, "shared");
  fs.mkdirSync(shared);
  const log = path.join(dir, "hook.log");
  const config = path.join(dir, "config.toml");
  fs.writeFileSync(config, `[hook]\nlog-file = ${JSON.stringify(log)}\n`);
  const spec = readSpec(file);
  spec.mounts = [...(spec.mounts as OciSpec[]), { destination: "/mnt/shared", type: "bind", source: shared, options: ["rbind", "rw"] }];
  spec.hooks = { createContainer: [{ path: distBin("actk-hook"), args: ["actk-hook", "--debug", "create-symlinks", ...links], env: [`ACTK_CONFIG_FILE=${config}`] }] };
  edit?.(spec);
  fs.writeFileSync(file, JSON.stringify(spec, null, 2));
  return { bundle, rootfs: path.join(bundle, "rootfs"), shared, log, state: path.join(dir, "state") };
}

function prerequisites(t: TestContext, programs: string[] = []): boolean {
  if (!needs(t, { root: true, programs: ["runc", ...programs] })) return false;
  if (!findBusybox()) return needs(t, { programs: ["/bin/busybox (busybox-static)"] });
  return true;
}

/** The links are where the container looks, in the bind-mounted host dir and runc's /dev, not in the image's own dirs. */
function assertSeenInside(t: TestContext, s: Scene, status: number | null, stderr: string, output: string): void {
  t.diagnostic(`hook log:\n${fs.existsSync(s.log) ? fs.readFileSync(s.log, "utf8") : "(none)"}`);
  assert.equal(output, "libcuda.so.1\n/dev/null\n", `the container reads both links (exit ${status}: ${stderr})`);
  assert.equal(status, 0, stderr);
  assert.equal(fs.readlinkSync(path.join(s.shared, "libcuda.so")), "libcuda.so.1", "the link is in the bind-mounted host dir");
  assert.equal(fs.existsSync(path.join(s.rootfs, "mnt", "shared", "libcuda.so")), false, "nothing under the bind mount's mount point");
  assert.equal(fs.existsSync(path.join(s.rootfs, "dev", "actk-link")), false, "nothing in the image's /dev");
}

test("createContainer hook in a container with its own pid namespace, runc in a pid namespace with its own /proc: links land in the container's mounts", (t) => {
  // Inside `unshare --pid --mount-proc` /proc/1 is the shell that runs runc, which the hook can read on any host:
  // the old view (/proc/1/root<rootfs>) put the links under the mount points here. This is the case of runc
  // inside a container (Docker-in-Docker, kind), and the proof on hosts whose own /proc/1 is unreadable.
  if (!prerequisites(t, ["unshare"])) return;
  const s = scene(t);
  const id = `actk-e2e-cc-nested-${process.pid}`;
  const runc = program("runc");
  // Everything runs inside the namespace: its pids mean nothing outside, so runc state is never used from here.
  const script = `"$0" --root "$1" run --bundle "$2" "$3"; rc=$?; "$0" --root "$1" delete --force "$3" 2>/dev/null; exit $rc`;
  const r = spawnSync(program("unshare"), ["--pid", "--fork", "--kill-child", "--mount-proc", "/bin/sh", "-c", script, runc, s.state, s.bundle, id], {
    encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000,
  });
  assertSeenInside(t, s, r.status, r.stderr, r.stdout);
});

test("createContainer hook in a container with its own pid namespace, runc on the host's /proc: links land in the container's mounts", (t) => {
  // state.pid is 1 and /proc/1 is the host's init. Where that is unreadable (this test's sandbox) the old code
  // also fell back to the rootfs; the test above and src/hook/container.test.ts pin the fix there.
  if (!prerequisites(t)) return;
  const s = scene(t);
  const r = runLifecycle({ runtime: program("runc"), root: s.state, bundle: s.bundle, id: `actk-e2e-cc-host-${process.pid}` });
  assertSeenInside(t, s, r.create.status, r.create.stderr, r.output);
});

test("createContainer hook in a container without a pid namespace (state pid is runc init's host pid): links land in the container's mounts", (t) => {
  if (!prerequisites(t)) return;
  const s = scene(t, (spec) => {
    spec.linux.namespaces = (spec.linux.namespaces as { type: string }[]).filter((n) => n.type !== "pid");
  });
  const r = runLifecycle({ runtime: program("runc"), root: s.state, bundle: s.bundle, id: `actk-e2e-cc-nopidns-${process.pid}` });
  assertSeenInside(t, s, r.create.status, r.create.stderr, r.output);
});
