// actk-runtime in place of runc (create/start/delete, as containerd's shim drives it) on simulated hosts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { TestContext } from "node:test";
import { distBin, distShLauncher, nativeLauncherBuilt, needs, program, repoRoot, tempDir } from "./harness/requirements.js";
import { findBusybox } from "./harness/rootfs.js";
import { createBundle } from "./harness/bundle.js";
import { runLifecycle } from "./harness/runc.js";
import { createSimHost } from "./harness/sim.js";
import { actkRuntime } from "./harness/actk-runtime.js";

const prerequisites = (t: TestContext): boolean => {
  if (!needs(t, { root: true, programs: ["runc"] })) return false;
  if (!findBusybox()) return needs(t, { programs: ["/bin/busybox (busybox-static)"] });
  return true;
};

/** What the container sees: its /dev entries and the driver libraries under /usr and /lib. */
const listDevicesAndLibs = ["/bin/sh", "-c", "ls /dev; echo ---; find /usr /lib /lib64 -name 'lib*.so*' 2>/dev/null | sort"];

interface Seen { devices: string[]; libs: string[]; create: { status: number | null; stderr: string }; config: string; configBefore: string; log: string }

function runThroughActk(t: TestContext, opts: { profile?: string; env: string[]; args?: string[]; runtime?: "actk" | "runc" | "sh"; helperDir?: string }): Seen {
  const dir = tempDir(t);
  const hostRoot = opts.profile ? createSimHost(t, opts.profile) : undefined;
  const rt = actkRuntime(t, { hostRoot, helperDir: opts.helperDir });
  const bundle = path.join(dir, "bundle");
  const configPath = createBundle(bundle, { args: opts.args ?? listDevicesAndLibs, env: opts.env });
  const configBefore = readFileSync(configPath, "utf8");
  // "sh": the sh launcher alone, what a build without a C compiler ships as actk-runtime.
  const runtime = opts.runtime === "runc" ? program("runc") : opts.runtime === "sh" ? distShLauncher() : rt.runtime;
  const r = runLifecycle({ runtime, root: path.join(dir, "state"), bundle, id: `actk-e2e-${process.pid}-${Math.floor(Math.random() * 1e6)}`, env: rt.env });
  t.diagnostic(`actk-runtime log:\n${rt.log()}`);
  const [devs = "", libs = ""] = r.output.split("---\n");
  return {
    devices: devs.split("\n").filter(Boolean), libs: libs.split("\n").filter(Boolean),
    create: r.create, config: readFileSync(configPath, "utf8"), configBefore, log: rt.log(),
  };
}

/** The bun `actk install --with-node` ships and runs the helper on, from this checkout. */
const bun = path.join(repoRoot, "node_modules/@oven/bun-linux-x64/bin/bun");

/** `actk runtime helper` in a private directory, on Node or on Bun as the installed unit runs it, stopped after the test. */
async function startHelper(t: TestContext, on: "node" | "bun"): Promise<string> {
  const dir = path.join(tempDir(t, "actk-helper-"), "helper");
  const child = on === "bun"
    ? spawn(bun, ["--config=/dev/null", "--no-env-file", distBin("actk"), "runtime", "helper", "--dir", dir], { stdio: "ignore" })
    : spawn(distBin("actk"), ["runtime", "helper", "--dir", dir], { stdio: "ignore" });
  t.after(() => {
    child.kill("SIGTERM");
  });
  for (let i = 0; i < 100 && !existsSync(path.join(dir, "pid")); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(path.join(dir, "pid")), "the runtime helper started");
  return dir;
}

const nvidiaNodes = (devices: string[]): string[] => devices.filter((d) => /^nvidia\d+$/.test(d)).sort();

test("a container without any request gets the same config.json bytes and output as with bare runc", (t) => {
  if (!prerequisites(t)) return;
  const args = ["/bin/sh", "-c", "echo plain; ls /dev | wc -l"];
  const bare = runThroughActk(t, { env: ["HOME=/root"], args, runtime: "runc" });
  const actk = runThroughActk(t, { env: ["HOME=/root"], args });
  assert.equal(actk.create.status, 0, actk.create.stderr);
  assert.equal(actk.config, actk.configBefore);
  assert.equal(bare.config, bare.configBefore);
  assert.deepEqual(actk.devices, bare.devices);
});

test("NVIDIA_VISIBLE_DEVICES=0 on dgx-h100 gives /dev/nvidia0, the control nodes and the driver libraries", (t) => {
  if (!prerequisites(t)) return;
  const seen = runThroughActk(t, { profile: "dgx-h100", env: ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"] });
  assert.equal(seen.create.status, 0, seen.create.stderr);
  assert.deepEqual(nvidiaNodes(seen.devices), ["nvidia0"]);
  assert.ok(seen.devices.includes("nvidiactl"), seen.devices.join(" "));
  assert.ok(seen.libs.some((l) => /\/libcuda\.so\.550\.54\.15$/.test(l)), seen.libs.join("\n"));
  assert.ok(seen.libs.some((l) => /\/libnvidia-ml\.so\.550\.54\.15$/.test(l)), seen.libs.join("\n"));
});

for (const on of ["node", "bun"] as const) {
test(`with the runtime helper running on ${on}, NVIDIA_VISIBLE_DEVICES=0 gives the same container, edited by the helper`, { skip: on === "bun" && !existsSync(bun) && "no bun in node_modules" }, async (t) => {
  if (!prerequisites(t)) return;
  const helperDir = await startHelper(t, on);
  const env = ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"];
  const viaHelper = runThroughActk(t, { profile: "dgx-h100", env, helperDir });
  const direct = runThroughActk(t, { profile: "dgx-h100", env });
  assert.equal(viaHelper.create.status, 0, viaHelper.create.stderr);
  assert.deepEqual(nvidiaNodes(viaHelper.devices), ["nvidia0"]);
  assert.deepEqual(viaHelper.devices, direct.devices);
  assert.deepEqual(viaHelper.libs, direct.libs);
  assert.match(viaHelper.log, new RegExp(`"msg":"edited config.json".*"engine":"${on} [^"]+ \\(helper\\)"`));
  assert.doesNotMatch(direct.log, /\(helper\)/);
  assert.ok(viaHelper.libs.some((l) => /\/libcuda\.so\.550\.54\.15$/.test(l)), viaHelper.libs.join("\n"));
});
}

test("the sh launcher alone (a build without a C compiler) gives the same containers as the native launcher in front of it", { skip: !nativeLauncherBuilt() && "dist/bin/actk-runtime is the sh launcher: every other test runs it" }, (t) => {
  if (!prerequisites(t)) return;
  const args = ["/bin/sh", "-c", "echo plain; ls /dev | wc -l"];
  const plain = runThroughActk(t, { env: ["HOME=/root"], args, runtime: "sh" });
  assert.equal(plain.create.status, 0, plain.create.stderr);
  assert.equal(plain.config, plain.configBefore);
  const env = ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"];
  const sh = runThroughActk(t, { profile: "dgx-h100", env, runtime: "sh" });
  const native = runThroughActk(t, { profile: "dgx-h100", env });
  assert.equal(sh.create.status, 0, sh.create.stderr);
  assert.deepEqual(nvidiaNodes(sh.devices), ["nvidia0"]);
  assert.deepEqual(sh.devices, native.devices);
  assert.deepEqual(sh.libs, native.libs);
});

test("NVIDIA_VISIBLE_DEVICES=all on dgx-h100 gives all 8 GPUs", (t) => {
  if (!prerequisites(t)) return;
  const seen = runThroughActk(t, { profile: "dgx-h100", env: ["NVIDIA_VISIBLE_DEVICES=all"] });
  assert.equal(seen.create.status, 0, seen.create.stderr);
  assert.deepEqual(nvidiaNodes(seen.devices), ["nvidia0", "nvidia1", "nvidia2", "nvidia3", "nvidia4", "nvidia5", "nvidia6", "nvidia7"]);
});

test("NVIDIA_VISIBLE_DEVICES=void on dgx-h100 gives no GPU and leaves config.json as it was", (t) => {
  if (!prerequisites(t)) return;
  const seen = runThroughActk(t, { profile: "dgx-h100", env: ["NVIDIA_VISIBLE_DEVICES=void"] });
  assert.equal(seen.create.status, 0, seen.create.stderr);
  assert.deepEqual(nvidiaNodes(seen.devices), []);
  assert.ok(!seen.devices.includes("nvidiactl"));
  assert.equal(seen.config, seen.configBefore);
});

test("ASCEND_VISIBLE_DEVICES=3 on ascend-910b gives /dev/davinci3 and davinci_manager", (t) => {
  if (!prerequisites(t)) return;
  const seen = runThroughActk(t, { profile: "ascend-910b", env: ["ASCEND_VISIBLE_DEVICES=3"] });
  assert.equal(seen.create.status, 0, seen.create.stderr);
  assert.deepEqual(seen.devices.filter((d) => /^davinci\d+$/.test(d)), ["davinci3"]);
  assert.ok(seen.devices.includes("davinci_manager"), seen.devices.join(" "));
});

test("a bad request fails create with one actk line on stderr and leaves config.json unchanged", (t) => {
  if (!prerequisites(t)) return;
  const seen = runThroughActk(t, { profile: "dgx-h100", env: ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=bogus"] });
  assert.notEqual(seen.create.status, 0);
  const lines = seen.create.stderr.split("\n").filter(Boolean);
  assert.equal(lines.length, 1, seen.create.stderr);
  assert.match(lines[0] ?? "", /^actk-runtime: .*NVIDIA_DRIVER_CAPABILITIES.*bogus.*run `actk doctor` for a full diagnosis$/);
  assert.equal(seen.config, seen.configBefore);
});
