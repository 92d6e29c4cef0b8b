// The per-container fast path of actk-runtime: update-ldcache as the host's ldconfig hook
// (src/runtime/ldcache-hook.ts), the JS engine choice of the launcher, and Node as the fallback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestContext } from "node:test";
import { needs, program, tempDir } from "./harness/requirements.js";
import { findBusybox } from "./harness/rootfs.js";
import { createBundle, readSpec } from "./harness/bundle.js";
import { runLifecycle } from "./harness/runc.js";
import { createSimHost } from "./harness/sim.js";
import { actkRuntime } from "./harness/actk-runtime.js";

const prerequisites = (t: TestContext): boolean => {
  if (!needs(t, { root: true, programs: ["runc", "ldconfig"] })) return false;
  if (!findBusybox()) return needs(t, { programs: ["/bin/busybox (busybox-static)"] });
  return true;
};

interface Run { status: number | null; stderr: string; rootfs: string; spec: ReturnType<typeof readSpec>; log: string; output: string }

/** One GPU container on dgx-h100 through actk-runtime; `prepareRootfs` shapes the image first. */
function gpuContainer(t: TestContext, opts: { env?: NodeJS.ProcessEnv; prepareRootfs?: (rootfs: string) => void } = {}): Run {
  const dir = tempDir(t);
  const rt = actkRuntime(t, { hostRoot: createSimHost(t, "dgx-h100") });
  const bundle = path.join(dir, "bundle");
  const configPath = createBundle(bundle, { args: ["/bin/true"], env: ["NVIDIA_VISIBLE_DEVICES=0"] });
  const rootfs = path.join(bundle, "rootfs");
  opts.prepareRootfs?.(rootfs);
  const r = runLifecycle({ runtime: rt.runtime, root: path.join(dir, "state"), bundle, id: `actk-e2e-ld-${process.pid}-${Math.floor(Math.random() * 1e6)}`, env: { ...rt.env, ...opts.env } });
  t.diagnostic(`actk-runtime log:\n${rt.log()}`);
  return { status: r.create.status, stderr: r.create.stderr, rootfs, spec: readSpec(configPath), log: rt.log(), output: r.output };
}

/** The names an ld.so.cache file lists, as the host's `ldconfig -p` prints them (the container's loader reads the same file). */
function cacheNames(file: string): string[] {
  const r = spawnSync(program("ldconfig"), ["-C", file, "-p"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").map((l) => l.trim().split(" ")[0] ?? "").filter((n) => n.startsWith("lib"));
}

const engineOf = (log: string): string | undefined =>
  log.split("\n").filter((l) => l.includes('"engine"')).map((l) => (JSON.parse(l) as { engine?: string }).engine).pop();

test("the update-ldcache hook is the host's ldconfig -r <rootfs> with an explicit env, and the cache lists the driver libraries", (t) => {
  if (!prerequisites(t)) return;
  const r = gpuContainer(t);
  assert.equal(r.status, 0, r.stderr);
  const hooks = (r.spec.hooks?.createContainer ?? []) as { path: string; args: string[]; env: string[] }[];
  assert.equal(hooks.length, 1, JSON.stringify(r.spec.hooks));
  const hook = hooks[0] as { path: string; args: string[]; env: string[] };
  assert.match(hook.path, /^\/(usr\/)?s?bin\/ldconfig(\.real)?$/);
  assert.deepEqual(hook.args.slice(1, 7), ["-r", r.rootfs, "-f", "/etc/ld.so.conf", "-C", "/etc/ld.so.cache"]);
  assert.deepEqual(hook.env, ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]);
  const names = cacheNames(path.join(r.rootfs, "etc/ld.so.cache"));
  assert.ok(names.includes("libcuda.so.1"), names.join(" "));
  assert.ok(names.includes("libnvidia-ml.so.1"), names.join(" "));
  const confs = readdirSync(path.join(r.rootfs, "etc/ld.so.conf.d")).filter((f) => /^00-actk-[0-9a-f]{8}\.conf$/.test(f));
  assert.equal(confs.length, 1);
  assert.match(readFileSync(path.join(r.rootfs, "etc/ld.so.conf.d", confs[0] as string), "utf8"), /^\/usr\/lib\/x86_64-linux-gnu\n$/);
});

test("a RHEL-style image (relative include, /usr/lib64, its own conf files) keeps its loader config and gets the driver libraries in its cache", (t) => {
  if (!prerequisites(t)) return;
  const r = gpuContainer(t, {
    prepareRootfs: (rootfs) => {
      mkdirSync(path.join(rootfs, "etc/ld.so.conf.d"), { recursive: true });
      mkdirSync(path.join(rootfs, "usr/lib64"), { recursive: true });
      writeFileSync(path.join(rootfs, "etc/ld.so.conf"), "include ld.so.conf.d/*.conf\n");
      writeFileSync(path.join(rootfs, "etc/ld.so.conf.d/dyninst-x86_64.conf"), "/usr/lib64/dyninst\n");
    },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(path.join(r.rootfs, "etc/ld.so.conf"), "utf8"), "include ld.so.conf.d/*.conf\n");
  assert.ok(existsSync(path.join(r.rootfs, "etc/ld.so.conf.d/dyninst-x86_64.conf")));
  const names = cacheNames(path.join(r.rootfs, "etc/ld.so.cache"));
  assert.ok(names.includes("libcuda.so.1"), names.join(" "));
});

test("the image's own ldconfig is never run by the update-ldcache hook", (t) => {
  if (!prerequisites(t)) return;
  let marker = "";
  const r = gpuContainer(t, {
    prepareRootfs: (rootfs) => {
      marker = path.join(rootfs, "ldconfig-ran");
      for (const dir of ["sbin", "usr/sbin", "usr/bin", "bin"]) {
        mkdirSync(path.join(rootfs, dir), { recursive: true });
        for (const name of ["ldconfig", "ldconfig.real"]) writeFileSync(path.join(rootfs, dir, name), "#!/bin/sh\ntouch /ldconfig-ran\n", { mode: 0o755 });
      }
    },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(existsSync(marker), false);
});

test("ACTK_JS=node runs the JS part on Node (the fallback engine) with the same result", (t) => {
  if (!prerequisites(t)) return;
  const r = gpuContainer(t, { env: { ACTK_JS: "node" } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(engineOf(r.log) ?? "", /^node \d+\./);
  assert.ok(cacheNames(path.join(r.rootfs, "etc/ld.so.cache")).includes("libcuda.so.1"));
});

test("without ACTK_JS a checkout's bun runs the JS part when it is installed (optional dependency)", (t) => {
  if (!prerequisites(t)) return;
  const bun = path.resolve("node_modules/@oven/bun-linux-x64/bin/bun");
  if (!existsSync(bun)) {
    t.skip("@oven/bun-linux-x64 is not installed (optional dependency)");
    return;
  }
  const r = gpuContainer(t, { env: { ACTK_JS: "" } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(engineOf(r.log) ?? "", /^bun \d+\./);
});

test("ACTK_RUNTIME_LDCACHE=actk-hook keeps the actk-hook update-ldcache hook, which gives the same cache", (t) => {
  if (!prerequisites(t)) return;
  const r = gpuContainer(t, { env: { ACTK_RUNTIME_LDCACHE: "actk-hook" } });
  assert.equal(r.status, 0, r.stderr);
  const hooks = (r.spec.hooks?.createContainer ?? []) as { path: string; args: string[] }[];
  assert.equal(hooks[0]?.args[1], "update-ldcache");
  assert.ok(cacheNames(path.join(r.rootfs, "etc/ld.so.cache")).includes("libcuda.so.1"));
});

test("bun reads no bunfig.toml (preload scripts) and no .env from the directory the engine runs actk-runtime in", (t) => {
  if (!prerequisites(t)) return;
  if (!existsSync(path.resolve("node_modules/@oven/bun-linux-x64/bin/bun"))) {
    t.skip("@oven/bun-linux-x64 is not installed (optional dependency)");
    return;
  }
  const dir = tempDir(t);
  const rt = actkRuntime(t, { hostRoot: createSimHost(t, "dgx-h100") });
  const bundle = path.join(dir, "bundle");
  createBundle(bundle, { args: ["/bin/true"], env: ["NVIDIA_VISIBLE_DEVICES=0"] });
  const marker = path.join(dir, "preloaded");
  writeFileSync(path.join(bundle, "bunfig.toml"), 'preload = ["./pre.js"]\n');
  writeFileSync(path.join(bundle, "pre.js"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x");\n`);
  writeFileSync(path.join(bundle, ".env"), "ACTK_HOST_ROOT=/nonexistent\nACTK_RUNTIME_MODE=csv\n");
  const id = `actk-e2e-bunfig-${process.pid}`;
  const state = path.join(dir, "state");
  // Never a pipe: the created container inherits create's stdio and would hold it open.
  const errFile = path.join(dir, "create.err");
  const err = openSync(errFile, "w");
  let r: ReturnType<typeof spawnSync>;
  try {
    r = spawnSync(rt.runtime, ["--root", state, "create", "--bundle", ".", id], { cwd: bundle, env: { ...rt.env, ACTK_JS: "" }, stdio: ["ignore", "ignore", err], timeout: 60_000 });
  } finally {
    closeSync(err);
    // Here, not in t.after: the temp dir (with the state dir) is removed by an after hook too.
    spawnSync(program("runc"), ["--root", state, "delete", "--force", id]);
  }
  assert.equal(r.status, 0, readFileSync(errFile, "utf8"));
  assert.equal(existsSync(marker), false, "bunfig.toml's preload ran");
  assert.match(engineOf(rt.log()) ?? "", /^bun \d+\./);
});
