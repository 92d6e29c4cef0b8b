/**
 * actk-hook prestart in real containers on simulated hosts: runc with the hook
 * in the bundle (Ascend and NVIDIA requests, the env-var acceptance rule, a
 * failing request) and Podman with the hook JSON `actk runtime configure` writes, in --hooks-dir.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createBundle, readSpec, type OciSpec } from "./harness/bundle.js";
import { buildBusyboxRootfs } from "./harness/rootfs.js";
import { distBin, needs, program, tempDir } from "./harness/requirements.js";
import { podmanRunLimits } from "./harness/podman.js";
import { runLifecycle, type LifecycleResult } from "./harness/runc.js";
import { createSimHost } from "./harness/sim.js";


/** The sim writes the persistenced socket as a 0666 regular file; a real one is a socket, which the hook accepts. */
function simHost(t: TestContext, profile: string): string {
  const host = createSimHost(t, profile);
  const sock = path.join(host, "run", "nvidia-persistenced", "socket");
  if (fs.existsSync(sock) && fs.statSync(sock).isFile()) fs.chmodSync(sock, 0o644);
  return host;
}

interface Run { result: LifecycleResult; log: string }

function runWithHook(t: TestContext, host: string, env: string[], script: string, opts: { configToml?: string; privileged?: boolean } = {}): Run {
  const dir = tempDir(t, "actk-hook-prestart-");
  const bundle = path.join(dir, "bundle");
  createBundle(bundle, { args: ["/bin/sh", "-c", script], env });
  const log = path.join(dir, "hook.log");
  const config = path.join(dir, "config.toml");
  fs.writeFileSync(config, `[hook]\nlog-file = ${JSON.stringify(log)}\n${opts.configToml ?? ""}`);
  const file = path.join(bundle, "config.json");
  const spec = readSpec(file);
  spec.hooks = { prestart: [{ path: distBin("actk-hook"), args: ["actk-hook", "prestart"], env: [`ACTK_CONFIG_FILE=${config}`, `ACTK_HOST_ROOT=${host}`] }] };
  if (opts.privileged) {
    const caps = spec.process.capabilities as Record<string, string[]>;
    for (const k of Object.keys(caps)) caps[k] = [...new Set([...(caps[k] ?? []), "CAP_SYS_ADMIN"])];
  }
  fs.writeFileSync(file, JSON.stringify(spec, null, 2));
  const result = runLifecycle({ runtime: program("runc"), root: path.join(dir, "state"), bundle, id: path.basename(dir).toLowerCase() });
  return { result, log: fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "" };
}

test("Ascend on ascend-910b: ASCEND_VISIBLE_DEVICES=0,3 gets davinci0 and davinci3, the manager nodes and read-only driver mounts", (t) => {
  if (!needs(t, { root: true, programs: ["runc", "nsenter", "mount", "mknod"] })) return;
  const host = simHost(t, "ascend-910b");
  const { result: r, log } = runWithHook(t, host, ["ASCEND_VISIBLE_DEVICES=0,3"],
    "ls /dev | grep -E '^(davinci|devmm|hisi)' | sort; grep ' /usr/local/Ascend/driver/lib64 ' /proc/self/mountinfo | cut -d' ' -f6; touch /usr/local/Ascend/driver/lib64/x 2>&1 | grep -c Read-only");
  assert.equal(r.create.status, 0, r.create.stderr + log);
  assert.equal(r.output, "davinci0\ndavinci3\ndavinci_manager\ndevmm_svm\nhisi_hdc\nro,nosuid,nodev,relatime\n1\n");
});

test("Ascend: ASCEND_RUNTIME_OPTIONS=NODRV injects the NPU without driver mounts", (t) => {
  if (!needs(t, { root: true, programs: ["runc", "nsenter", "mount", "mknod"] })) return;
  const host = simHost(t, "ascend-910b");
  const { result: r, log } = runWithHook(t, host, ["ASCEND_VISIBLE_DEVICES=1", "ASCEND_RUNTIME_OPTIONS=NODRV"],
    "ls /dev | grep -E '^davinci[0-9]'; ls /usr/local/Ascend 2>&1 | grep -c 'No such file'");
  assert.equal(r.create.status, 0, r.create.stderr + log);
  assert.equal(r.output, "davinci1\n1\n");
});

test("Ascend: ASCEND_RUNTIME_MOUNTS=extra mounts what the host's extra.list names", (t) => {
  if (!needs(t, { root: true, programs: ["runc", "nsenter", "mount", "mknod"] })) return;
  const host = simHost(t, "ascend-910b");
  fs.mkdirSync(path.join(host, "opt", "ascend-extra"), { recursive: true });
  fs.writeFileSync(path.join(host, "opt", "ascend-extra", "tool.cfg"), "extra\n");
  fs.writeFileSync(path.join(host, "etc", "ascend-docker-runtime.d", "extra.list"), "/opt/ascend-extra\n");
  const { result: r, log } = runWithHook(t, host, ["ASCEND_VISIBLE_DEVICES=0", "ASCEND_RUNTIME_MOUNTS=extra"], "cat /opt/ascend-extra/tool.cfg");
  assert.equal(r.create.status, 0, r.create.stderr + log);
  assert.equal(r.output, "extra\n");
});

test("NVIDIA on dgx-h100: NVIDIA_VISIBLE_DEVICES=1 gets /dev/nvidia1 only, allowed in the device cgroup, and libcuda resolvable", (t) => {
  if (!needs(t, { root: true, programs: ["runc", "nsenter", "mount", "mknod"] })) return;
  const host = simHost(t, "dgx-h100");
  const { result: r, log } = runWithHook(t, host, ["NVIDIA_VISIBLE_DEVICES=1"],
    "ls /dev | grep -E '^nvidia[0-9]+$'; grep -c '^c 195:1 rwm' /sys/fs/cgroup/devices/devices.list; ls /usr/lib/x86_64-linux-gnu/libcuda.so.1; cat /etc/ld.so.conf.d/00-actk-*.conf");
  assert.equal(r.create.status, 0, r.create.stderr + log);
  assert.equal(r.output, "nvidia1\n1\n/usr/lib/x86_64-linux-gnu/libcuda.so.1\n/usr/lib/x86_64-linux-gnu\n");
});

// (4) Device selection from env vars follows NVIDIA's acceptance rule.
const acceptance: { name: string; toml: string; privileged: boolean; gets: boolean }[] = [
  { name: "unprivileged, accept-envvar-unprivileged=true (default): injected", toml: "", privileged: false, gets: true },
  { name: "unprivileged, accept-envvar-unprivileged=false: ignored", toml: "[plugins.\"actk.vendor.v1\".nvidia]\naccept-envvar-unprivileged = false\n", privileged: false, gets: false },
  { name: "privileged, accept-envvar-unprivileged=false: injected", toml: "[plugins.\"actk.vendor.v1\".nvidia]\naccept-envvar-unprivileged = false\n", privileged: true, gets: true },
];
for (const a of acceptance) {
  test(`(4) NVIDIA_VISIBLE_DEVICES from the image: ${a.name}`, (t) => {
    if (!needs(t, { root: true, programs: ["runc", "nsenter", "mount", "mknod"] })) return;
    const host = simHost(t, "dgx-h100");
    const { result: r, log } = runWithHook(t, host, ["NVIDIA_VISIBLE_DEVICES=0"], "ls /dev | grep -c '^nvidia0$' || true", { configToml: a.toml, privileged: a.privileged });
    assert.equal(r.create.status, 0, r.create.stderr + log);
    assert.equal(r.output, a.gets ? "1\n" : "0\n");
  });
}

test("a request for a device the host lacks fails create with one line naming the step and `actk doctor`", (t) => {
  if (!needs(t, { root: true, programs: ["runc"] })) return;
  const host = simHost(t, "dgx-h100");
  const { result: r } = runWithHook(t, host, ["NVIDIA_VISIBLE_DEVICES=42"], "echo started");
  assert.notEqual(r.create.status, 0);
  assert.equal(r.output, "");
  // runc quotes the hook's stderr inside its own message: undo that escaping first.
  const text = r.create.stderr.replace(/\\n/g, "\n").replace(/\\"/g, '"');
  const line = /actk-hook: [^\n]*/.exec(text)?.[0] ?? "";
  assert.match(line, /^actk-hook: resolve request: .*42.*run `actk doctor` for a full diagnosis$/);
});

test("Podman with --hooks-dir holding the hook JSON `actk runtime configure --config-mode oci-hook` wrote injects an Ascend NPU", (t) => {
  if (!needs(t, { root: true, programs: ["podman", "nsenter", "mount", "mknod"] })) return;
  const host = simHost(t, "ascend-910b");
  // Not tempDir(): podman's storage must be reset before the dir goes, or the reset recreates it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-hook-podman-"));
  const storage = ["--root", path.join(dir, "storage"), "--runroot", path.join(dir, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none"];
  t.after(() => {
    spawnSync(program("podman"), [...storage, "system", "reset", "--force"], { stdio: "ignore" });
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const rootfs = buildBusyboxRootfs(path.join(dir, "rootfs"));
  const log = path.join(dir, "hook.log");
  const config = path.join(dir, "config.toml");
  fs.writeFileSync(config, `[hook]\nlog-file = ${JSON.stringify(log)}\n`);
  // The hook JSON is the one `actk runtime configure --config-mode oci-hook` writes (into a scratch
  // root, so the real host's hooks.d and backups are untouched). Its hook path is a wrapper that
  // points actk-hook at the simulated host, as an installed hook would be pointed at /.
  const wrapper = path.join(dir, "actk-hook-sim");
  fs.writeFileSync(wrapper, `#!/bin/sh\nexport ACTK_CONFIG_FILE='${config}' ACTK_HOST_ROOT='${host}'\nexec '${distBin("actk-hook")}' "$@"\n`, { mode: 0o755 });
  const scratch = path.join(dir, "scratch-root");
  fs.mkdirSync(scratch);
  const hookFile = "/usr/share/containers/oci/hooks.d/oci-actk-hook.json";
  const configure = spawnSync(distBin("actk"), ["--host-root", scratch, "runtime", "configure", "--runtime", "podman",
    "--config-mode", "oci-hook", "--oci-hook-path", hookFile, "--hook-path", wrapper, "--no-verify"], { encoding: "utf8" });
  assert.equal(configure.status, 0, configure.stderr);
  const hooksDir = path.join(scratch, path.dirname(hookFile));
  const written = JSON.parse(fs.readFileSync(path.join(scratch, hookFile), "utf8")) as OciSpec;
  assert.deepEqual((written.hook as { env: string[] }).env.filter((e) => !e.startsWith("PATH=")), [], "the hook gets no environment but PATH");
  const r = spawnSync(program("podman"), [...storage, "--hooks-dir", hooksDir, "--runtime", program("runc"), "run", "--rm", ...podmanRunLimits, "--network", "none",
    "--env", "ASCEND_VISIBLE_DEVICES=2", "--rootfs", rootfs, "/bin/sh", "-c", "ls /dev | grep -E '^davinci[0-9]'"], { encoding: "utf8", timeout: 180_000 });
  const hookLog = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
  assert.equal(r.status, 0, r.stderr + hookLog);
  assert.equal(r.stdout, "davinci2\n");
});
