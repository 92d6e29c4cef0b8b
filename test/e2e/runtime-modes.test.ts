// actk-runtime's cdi and legacy modes with runc on a simulated dgx-h100: the mode from the
// program name (actk-runtime.cdi/.legacy symlinks) and auto → cdi for CDI annotations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import type { TestContext } from "node:test";
import { distBin, needs, tempDir } from "./harness/requirements.js";
import { findBusybox } from "./harness/rootfs.js";
import { createBundle, type OciSpec } from "./harness/bundle.js";
import { runLifecycle } from "./harness/runc.js";
import { createSimHost } from "./harness/sim.js";
import { actkRuntime } from "./harness/actk-runtime.js";

const prerequisites = (t: TestContext): boolean => {
  if (!needs(t, { root: true, programs: ["runc"] })) return false;
  if (!findBusybox()) return needs(t, { programs: ["/bin/busybox (busybox-static)"] });
  return true;
};
const nvidiaNodes = (out: string): string[] => out.split(/\s+/).filter((d) => /^nvidia\d+$/.test(d)).sort();

/** A simulated dgx-h100 whose /etc/cdi holds the specs `actk cdi generate` writes for it. */
function simWithSpecs(t: TestContext): { root: string; rt: ReturnType<typeof actkRuntime> } {
  const root = createSimHost(t, "dgx-h100");
  const rt = actkRuntime(t, { hostRoot: root });
  // Same config as the runtime, so the specs' hooks name the built actk-hook.
  const r = spawnSync(distBin("actk"), ["--host-root", root, "cdi", "generate", "--vendor", "nvidia", "--output", path.join(root, "etc", "cdi")], { encoding: "utf8", env: rt.env });
  assert.equal(r.status, 0, r.stderr);
  return { root, rt };
}

function run(t: TestContext, opts: { runtime: string; env: NodeJS.ProcessEnv; containerEnv?: string[]; annotations?: Record<string, string> }): { status: number | null; stderr: string; output: string; spec: OciSpec } {
  const dir = tempDir(t);
  const bundle = path.join(dir, "bundle");
  const config = createBundle(bundle, { args: ["/bin/sh", "-c", "ls /dev"], env: opts.containerEnv, annotations: opts.annotations });
  const r = runLifecycle({ runtime: opts.runtime, root: path.join(dir, "state"), bundle, id: `actk-mode-${process.pid}-${Math.floor(Math.random() * 1e6)}`, env: opts.env });
  return { status: r.create.status, stderr: r.create.stderr, output: r.output, spec: JSON.parse(readFileSync(config, "utf8")) as OciSpec };
}

test("auto mode uses cdi for a CDI annotation and injects the named device from /etc/cdi", (t) => {
  if (!prerequisites(t)) return;
  const { rt } = simWithSpecs(t);
  const r = run(t, { runtime: rt.runtime, env: rt.env, annotations: { "cdi.k8s.io/actk-e2e": "nvidia.com/gpu=2" } });
  t.diagnostic(rt.log());
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(nvidiaNodes(r.output), ["nvidia2"]);
  assert.equal(r.spec.annotations?.["io.actk.edited"], "cdi");
});

test("actk-runtime.cdi maps NVIDIA_VISIBLE_DEVICES=3 to nvidia.com/gpu=3 and fails clearly for a name no spec has", (t) => {
  if (!prerequisites(t)) return;
  const { rt } = simWithSpecs(t);
  const alias = path.join(tempDir(t), "actk-runtime.cdi");
  symlinkSync(rt.runtime, alias);
  const ok = run(t, { runtime: alias, env: rt.env, containerEnv: ["NVIDIA_VISIBLE_DEVICES=3"] });
  t.diagnostic(rt.log());
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(nvidiaNodes(ok.output), ["nvidia3"]);
  const bad = run(t, { runtime: alias, env: rt.env, containerEnv: ["NVIDIA_VISIBLE_DEVICES=9"] });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /^actk-runtime: .*unresolvable CDI devices nvidia.com\/gpu=9.*run `actk doctor` for a full diagnosis\n$/);
});

test("actk-runtime.legacy adds only actk-hook prestart, with an absolute path and an explicit env", (t) => {
  if (!prerequisites(t)) return;
  const hostRoot = createSimHost(t, "dgx-h100");
  const rt = actkRuntime(t, { hostRoot });
  const alias = path.join(tempDir(t), "actk-runtime.legacy");
  symlinkSync(rt.runtime, alias);
  const r = run(t, { runtime: alias, env: rt.env, containerEnv: ["NVIDIA_VISIBLE_DEVICES=0"] });
  t.diagnostic(`create: ${r.status} ${r.stderr}\n${rt.log()}`);
  // What the hook then does (and whether this host's cgroup version lets it) is actk-hook's test.
  const hooks = r.spec.hooks as Record<string, { path: string; args: string[]; env: string[] }[]>;
  assert.deepEqual(Object.keys(hooks), ["prestart"]);
  assert.equal(hooks.prestart?.length, 1);
  const hook = hooks.prestart?.[0];
  assert.ok(hook && path.isAbsolute(hook.path) && hook.path.endsWith("/actk-hook"), JSON.stringify(hook));
  assert.deepEqual(hook?.args, ["actk-hook", "prestart"]);
  assert.ok(hook?.env.includes(`ACTK_HOST_ROOT=${hostRoot}`), JSON.stringify(hook?.env));
  assert.ok(!hook?.env.some((e) => e.startsWith("NVIDIA_")), "the hook must not inherit the container's environment");
  assert.equal(r.spec.linux?.devices, undefined);
});
