// The engine.* doctor checks on host trees with engine configs broken on purpose, one test per failure mode.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defaultConfig } from "../../config/defaults.js";
import { containerdEngine } from "../../engines/containerd/index.js";
import { crioEngine } from "../../engines/crio/index.js";
import { dockerEngine } from "../../engines/docker/index.js";
import { podmanEngine } from "../../engines/podman/index.js";
import { HostRoot } from "../../host/host-root.js";
import type { Discovery, Vendor } from "../../vendors/vendor.js";
import type { CheckResult, DoctorContext } from "../check.js";
import { memoizedDiscovery, runChecks } from "../run.js";
import { makeEngineCheck, processStartTimes } from "./engines.js";

interface Tree { root: string; host: HostRoot; file(p: string, text: string, mode?: number): void; mtime(p: string, seconds: number): void }

function tree(t: TestContext): Tree {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "actk-doctor-engines-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const file = (p: string, text: string, mode = 0o644): void => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text, { mode });
  };
  const h: Tree = { root, host: new HostRoot(root), file, mtime: (p, s) => fs.utimesSync(path.join(root, p), s, s) };
  h.file("/usr/local/bin/actk-runtime", "#!/bin/sh\n", 0o755);
  return h;
}

const engines = [dockerEngine, containerdEngine, crioEngine, podmanEngine];

function nvidia(devices: number): Vendor {
  const d: Discovery = {
    vendor: "nvidia", source: "procfs", controlNodes: [], notes: [],
    devices: Array.from({ length: devices }, (_, i) => ({ vendor: "nvidia", kind: "nvidia.com/gpu", index: String(i), deviceNodes: [] })),
  };
  return { id: "nvidia", discover: () => d } as unknown as Vendor;
}

function ctx(host: HostRoot, vendors: Vendor[] = []): DoctorContext {
  return { host, config: { config: defaultConfig(), source: "defaults", format: "defaults" }, vendors, discovery: memoizedDiscovery(), now: new Date(0) };
}

const run = (c: DoctorContext): CheckResult[] => runChecks([makeEngineCheck(engines)], c).checks;
const byId = (rs: CheckResult[], id: string): CheckResult | undefined => rs.find((r) => r.id === id);

const containerdV2 = (actkOptions: string, extra = ""): string => `version = 2
[plugins."io.containerd.grpc.v1.cri"]
${extra}  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = true
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.actk]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.actk.options]
      BinaryName = "/usr/local/bin/actk-runtime"
${actkOptions}`;

test("a host without engine configs or programs reports no engine", (t) => {
  assert.deepEqual(run(ctx(tree(t).host)), []);
});

test("containerd with actk configured, CDI on and runc's cgroup driver passes", (t) => {
  const h = tree(t);
  h.file("/etc/containerd/config.toml", containerdV2("      SystemdCgroup = true\n", "  enable_cdi = true\n"));
  const rs = run(ctx(h.host));
  assert.deepEqual(rs.map((r) => [r.id, r.status]), [["engine.containerd", "ok"], ["engine.containerd.cdi", "ok"], ["engine.containerd.cgroup", "ok"]]);
  assert.match(byId(rs, "engine.containerd")?.summary ?? "", /runtime "actk" → \/usr\/local\/bin\/actk-runtime/);
});

test("containerd's actk runtime without SystemdCgroup while runc has it fails engine.containerd.cgroup", (t) => {
  const h = tree(t);
  h.file("/etc/containerd/config.toml", containerdV2("", "  enable_cdi = true\n"));
  const r = byId(run(ctx(h.host)), "engine.containerd.cgroup");
  assert.equal(r?.status, "fail");
  assert.match(r?.summary ?? "", /SystemdCgroup = false but "runc" has true/);
  assert.match(r?.fix ?? "", /set SystemdCgroup = true in \[plugins\."io\.containerd\.grpc\.v1\.cri"\]?\.containerd\.runtimes\.actk\.options\] of \/etc\/containerd\/config\.toml/);
});

test("a containerd 2.x drop-in's actk entry is compared with runc in the main file it is imported from", (t) => {
  const h = tree(t);
  h.file("/etc/containerd/config.toml", `version = 3\nimports = ["/etc/containerd/conf.d/*.toml"]\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\nSystemdCgroup = true\n`);
  h.file("/etc/containerd/conf.d/99-actk.toml", `version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.actk]\nruntime_type = "io.containerd.runc.v2"\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.actk.options]\nBinaryName = "/usr/local/bin/actk-runtime"\n`);
  const rs = run(ctx(h.host));
  assert.equal(byId(rs, "engine.containerd")?.status, "ok");
  assert.equal(byId(rs, "engine.containerd.cdi")?.status, "ok", "CDI is on by default in containerd 2.x");
  const r = byId(rs, "engine.containerd.cgroup");
  assert.equal(r?.status, "fail");
  assert.match(r?.fix ?? "", /of \/etc\/containerd\/conf\.d\/99-actk\.toml/);
});

test("containerd 1.7 (config version 2) without enable_cdi warns on engine.containerd.cdi", (t) => {
  const h = tree(t);
  h.file("/etc/containerd/config.toml", containerdV2("      SystemdCgroup = true\n"));
  const r = byId(run(ctx(h.host)), "engine.containerd.cdi");
  assert.equal(r?.status, "warn");
  assert.match(r?.fix ?? "", /--cdi\.enabled/);
});

test("an engine config without actk warns with the configure command", (t) => {
  const h = tree(t);
  h.file("/etc/docker/daemon.json", `{"log-driver": "journald"}\n`);
  const r = byId(run(ctx(h.host)), "engine.docker");
  assert.equal(r?.status, "warn");
  assert.match(r?.summary ?? "", /actk is not configured/);
  assert.match(r?.fix ?? "", /actk runtime configure --runtime docker, then systemctl restart docker/);
});

test("an actk runtime that points at a missing program fails", (t) => {
  const h = tree(t);
  h.file("/etc/docker/daemon.json", `{"runtimes": {"actk": {"path": "/opt/actk/bin/actk-runtime"}}, "features": {"cdi": true}}\n`);
  const r = byId(run(ctx(h.host)), "engine.docker");
  assert.equal(r?.status, "fail");
  assert.match(r?.summary ?? "", /\/opt\/actk\/bin\/actk-runtime, which does not exist/);
});

test("docker without features.cdi warns on engine.docker.cdi; with it, passes", (t) => {
  const h = tree(t);
  h.file("/etc/docker/daemon.json", `{"runtimes": {"actk": {"path": "/usr/local/bin/actk-runtime"}}}\n`);
  assert.equal(byId(run(ctx(h.host)), "engine.docker.cdi")?.status, "warn");
  h.file("/etc/docker/daemon.json", `{"runtimes": {"actk": {"path": "/usr/local/bin/actk-runtime"}}, "features": {"cdi": true}}\n`);
  assert.equal(byId(run(ctx(h.host)), "engine.docker.cdi")?.status, "ok");
});

test("a malformed engine config fails with the file and position", (t) => {
  const h = tree(t);
  h.file("/etc/docker/daemon.json", `{"runtimes": {\n`);
  const r = byId(run(ctx(h.host)), "engine.docker");
  assert.equal(r?.status, "fail");
  assert.match(r?.summary ?? "", /daemon\.json/);
});

test("a daemon started before its config last changed fails engine.<id>.restart with the restart command", (t) => {
  const h = tree(t);
  h.file("/etc/containerd/config.toml", containerdV2("      SystemdCgroup = true\n", "  enable_cdi = true\n"));
  const btime = 1_700_000_000;
  h.file("/proc/stat", `cpu  1 2 3 4\nbtime ${btime}\n`);
  h.file("/proc/4242/comm", "containerd\n");
  // starttime (field 22) = 1000 ticks = 10 s after boot.
  h.file("/proc/4242/stat", `4242 (containerd) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 12 0 1000 2000000 3000 0\n`);
  h.mtime("/etc/containerd/config.toml", btime + 60);
  const r = byId(run(ctx(h.host)), "engine.containerd.restart");
  assert.equal(r?.status, "fail");
  assert.match(r?.summary ?? "", /after containerd \(pid 4242\) started/);
  assert.equal(r?.fix, "systemctl restart containerd");
  h.mtime("/etc/containerd/config.toml", btime + 5);
  assert.equal(byId(run(ctx(h.host)), "engine.containerd.restart")?.status, "ok");
});

test("process start times come from /proc/<pid>/stat field 22 and btime, also when comm has spaces", (t) => {
  const h = tree(t);
  h.file("/proc/stat", "btime 100\n");
  h.file("/proc/7/comm", "dockerd\n");
  h.file("/proc/7/stat", "7 (docker d) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 250 0 0 0\n");
  h.file("/proc/8/comm", "containerd\n");
  assert.deepEqual(processStartTimes(h.host, "dockerd"), [{ pid: 7, start: 102.5 }]);
});

test("docker with NVIDIA GPUs but no nvidia-container-runtime-hook in PATH warns on engine.docker.gpus", (t) => {
  const h = tree(t);
  h.file("/etc/docker/daemon.json", `{"runtimes": {"actk": {"path": "/usr/local/bin/actk-runtime"}}, "features": {"cdi": true}}\n`);
  const r = byId(run(ctx(h.host, [nvidia(2)])), "engine.docker.gpus");
  assert.equal(r?.status, "warn");
  assert.match(r?.fix ?? "", /actk install --compat nvidia/);
  h.file("/usr/bin/nvidia-container-runtime-hook", "#!/bin/sh\n", 0o755);
  assert.equal(byId(run(ctx(h.host, [nvidia(2)])), "engine.docker.gpus")?.status, "ok");
  assert.equal(byId(run(ctx(h.host, [nvidia(0)])), "engine.docker.gpus"), undefined, "no GPUs, no --gpus check");
});

test("podman configured through the actk OCI hook counts as configured", (t) => {
  const h = tree(t);
  h.file("/usr/bin/podman", "#!/bin/sh\n", 0o755);
  h.file("/usr/share/containers/oci/hooks.d/oci-actk-hook.json", "{}\n");
  const r = byId(run(ctx(h.host)), "engine.podman");
  assert.equal(r?.status, "ok");
  assert.match(r?.summary ?? "", /OCI hook/);
});

test("a containerd 2.x drop-in with the actk runtime that the main config does not import fails engine.containerd", (t) => {
  const h = tree(t);
  h.file("/etc/containerd/config.toml", `version = 3\nimports = []\n`);
  h.file("/etc/containerd/conf.d/99-actk.toml", `version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.actk]\nruntime_type = "io.containerd.runc.v2"\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.actk.options]\nBinaryName = "/usr/local/bin/actk-runtime"\n`);
  const r = byId(run(ctx(h.host)), "engine.containerd");
  assert.equal(r?.status, "fail");
  assert.match(r?.summary ?? "", /does not import it/);
  assert.match(r?.fix ?? "", /\/etc\/containerd\/conf\.d\/\*\.toml/);
});
