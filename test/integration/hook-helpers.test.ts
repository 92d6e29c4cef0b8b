/**
 * The built actk-hook's helper commands against a rootfs in a temp dir, driven
 * the way a runtime drives them (OCI state on stdin), under all three names.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";

const repo = path.resolve(new URL("../..", import.meta.url).pathname);
const hookBin = path.join(repo, "dist", "bin", "actk-hook");

interface Setup { dir: string; bundle: string; rootfs: string; outside: string; log: string; config: string; state: string }

function setup(t: TestContext): Setup {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-hook-it-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, "bundle");
  const rootfs = path.join(bundle, "rootfs");
  const outside = path.join(dir, "outside");
  for (const d of [path.join(rootfs, "etc"), path.join(rootfs, "usr", "lib"), outside]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(bundle, "config.json"), JSON.stringify({ ociVersion: "1.0.2", process: { env: ["LD_PRELOAD=/proc/self/cwd/evil.so"] }, root: { path: "rootfs" } }));
  const log = path.join(dir, "hook.log");
  const config = path.join(dir, "config.toml");
  fs.writeFileSync(config, `[hook]\nlog-file = ${JSON.stringify(log)}\n`);
  return { dir, bundle, rootfs, outside, log, config, state: JSON.stringify({ ociVersion: "1.0.2", id: "it", status: "creating", bundle }) };
}

/** Runs the hook under `name` (a symlink to the built binary). */
function hook(s: Setup, name: string, args: string[], stdin = s.state): { status: number | null; stderr: string; stdout: string } {
  let bin = hookBin;
  if (name !== "actk-hook") {
    bin = path.join(s.dir, name);
    if (!fs.existsSync(bin)) fs.symlinkSync(hookBin, bin);
  }
  const r = spawnSync(bin, args, { input: stdin, encoding: "utf8", env: { PATH: process.env.PATH, ACTK_CONFIG_FILE: s.config } });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function listing(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

test("create-symlinks under nvidia-cdi-hook resolves the link in-root when the image's lib dir points at a host dir", (t) => {
  const s = setup(t);
  fs.symlinkSync(s.outside, path.join(s.rootfs, "usr", "lib", "x86_64-linux-gnu"));
  const r = hook(s, "nvidia-cdi-hook", ["create-symlinks", "--link", "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(listing(s.outside), []);
  assert.equal(fs.readlinkSync(path.join(s.rootfs, s.outside, "libcuda.so")), "libcuda.so.1");
  assert.equal(r.stdout, "");
});

test("chmod changes in-root paths and exits 2 on a bad mode without touching anything", (t) => {
  const s = setup(t);
  fs.mkdirSync(path.join(s.rootfs, "dev", "dri"), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.join(s.rootfs, "dev", "dri"), 0o700);
  assert.equal(hook(s, "actk-hook", ["chmod", "--mode", "7x5", "--path", "/dev/dri"]).status, 2);
  assert.equal(fs.statSync(path.join(s.rootfs, "dev", "dri")).mode & 0o777, 0o700);
  const r = hook(s, "actk-hook", ["chmod", "--mode", "755", "--path", "/dev/dri"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.statSync(path.join(s.rootfs, "dev", "dri")).mode & 0o777, 0o755);
});

test("--container-spec FILE is read instead of stdin (NVIDIA CDI hook compatibility)", (t) => {
  const s = setup(t);
  const stateFile = path.join(s.dir, "state.json");
  fs.writeFileSync(stateFile, s.state);
  const r = hook(s, "nvidia-cdi-hook", ["create-symlinks", "--container-spec", stateFile, "--link", "a::/etc/b"], "");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readlinkSync(path.join(s.rootfs, "etc", "b")), "a");
});

test("update-ldcache refuses an ldconfig inside the container's rootfs and changes nothing", (t) => {
  const s = setup(t);
  fs.mkdirSync(path.join(s.rootfs, "sbin"));
  fs.writeFileSync(path.join(s.rootfs, "sbin", "ldconfig"), "#!/bin/sh\ntouch /marker\n", { mode: 0o755 });
  const before = listing(s.rootfs);
  const r = hook(s, "nvidia-cdi-hook", ["update-ldcache", "--ldconfig-path", path.join(s.rootfs, "sbin", "ldconfig"), "--folder", "/usr/lib/x"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /inside a container root filesystem.*run `actk doctor` for a full diagnosis/);
  assert.deepEqual(listing(s.rootfs), before);
});

test("a rootfs that is the host's / is refused", (t) => {
  const s = setup(t);
  fs.writeFileSync(path.join(s.bundle, "config.json"), JSON.stringify({ ociVersion: "1.0.2", root: { path: "/" } }));
  const r = hook(s, "actk-hook", ["create-symlinks", "--link", "a::/tmp/actk-should-not-exist"]);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /refusing to modify the host root/);
  assert.equal(fs.existsSync("/tmp/actk-should-not-exist"), false);
});

test("errors are one line on stderr and in the hook log", (t) => {
  const s = setup(t);
  const r = hook(s, "actk-hook", ["create-symlinks", "--link", "bad-spec"]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(fs.readFileSync(s.log, "utf8"), /invalid symlink specification/);
});

test("the container's env (LD_PRELOAD) is never applied; prestart with no request does nothing", (t) => {
  const s = setup(t);
  const before = listing(s.dir);
  const r = hook(s, "nvidia-container-runtime-hook", ["-config", s.config, "prestart"]);
  assert.equal(r.status, 0, r.stderr);
  const ours = new Set(["hook.log", "nvidia-container-runtime-hook"]);
  assert.deepEqual(listing(s.dir).filter((f) => !ours.has(f)), before.filter((f) => !ours.has(f)));
});

function simHost(s: Setup, profile: string): string {
  const host = path.join(s.dir, "host");
  const r = spawnSync(path.join(repo, "dist", "bin", "actk"), ["sim", "create", "--profile", profile, host], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return host;
}

function withSpec(s: Setup, spec: object): void {
  fs.writeFileSync(path.join(s.bundle, "config.json"), JSON.stringify({ ociVersion: "1.0.2", root: { path: "rootfs" }, ...spec }));
}

test("prestart does nothing when actk-runtime already edited the spec (jit/cdi): no double injection", (t) => {
  const s = setup(t);
  const host = simHost(s, "dgx-h100");
  withSpec(s, { process: { env: ["NVIDIA_VISIBLE_DEVICES=0"] }, annotations: { "io.actk.edited": "jit" } });
  const r = spawnSync(hookBin, ["--host-root", host, "prestart"], { input: s.state, encoding: "utf8", env: { PATH: process.env.PATH, ACTK_CONFIG_FILE: s.config } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(listing(s.rootfs), ["etc", "usr", "usr/lib"]);
});

test("prestart with a request but no pid in the state fails naming the step", (t) => {
  const s = setup(t);
  const host = simHost(s, "ascend-910b");
  withSpec(s, { process: { env: ["ASCEND_VISIBLE_DEVICES=0"] } });
  const r = spawnSync(hookBin, ["--host-root", host, "prestart"], { input: s.state, encoding: "utf8", env: { PATH: process.env.PATH, ACTK_CONFIG_FILE: s.config } });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /^actk-hook: read state: .*no pid.*run `actk doctor` for a full diagnosis\n$/);
});

test("prestart with an invalid device list fails with exit 3 and one line", (t) => {
  const s = setup(t);
  const host = simHost(s, "dgx-h100");
  withSpec(s, { process: { env: ["NVIDIA_VISIBLE_DEVICES=0,,zz!"] } });
  const r = spawnSync(hookBin, ["--host-root", host, "prestart"], { input: s.state, encoding: "utf8", env: { PATH: process.env.PATH, ACTK_CONFIG_FILE: s.config } });
  assert.notEqual(r.status, 0);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^actk-hook: resolve request: .*NVIDIA_VISIBLE_DEVICES/);
});
