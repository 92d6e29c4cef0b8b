/**
 * `actk --host-root R doctor --json` through the built dist/bin/actk: a healthy dgx-h100 sim with
 * generated specs passes; each host broken on purpose exits 1 with the check that names the problem.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { distBin, tempDir } from "../e2e/harness/requirements.js";

interface Check { id: string; status: "ok" | "warn" | "fail"; summary: string; fix: string | null }

function actk(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(distBin("actk"), args, { encoding: "utf8", env: { PATH: process.env.PATH } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function healthySim(t: TestContext): string {
  const root = path.join(tempDir(t, "actk-doctor-it-"), "h");
  const c = actk(["sim", "create", "--profile", "dgx-h100", root]);
  assert.equal(c.status, 0, c.stderr);
  const g = actk(["--host-root", root, "cdi", "generate", "--output", path.join(root, "etc/cdi")]);
  assert.equal(g.status, 0, g.stderr);
  return root;
}

function doctor(root: string): { status: number | null; checks: Check[]; stderr: string } {
  const r = actk(["--host-root", root, "doctor", "--json"]);
  const parsed = JSON.parse(r.stdout) as { checks: Check[] };
  for (const c of parsed.checks) assert.deepEqual(Object.keys(c).sort(), ["fix", "id", "status", "summary"]);
  return { status: r.status, checks: parsed.checks, stderr: r.stderr };
}

const failing = (checks: Check[]): string[] => checks.filter((c) => c.status === "fail").map((c) => c.id);

function mknodOrPlaceholder(node: string, major: number, minor: number, real: boolean): void {
  if (real) assert.equal(spawnSync("mknod", ["-m", "666", node, "c", String(major), String(minor)]).status, 0);
  else fs.writeFileSync(node, `actk-sim placeholder char device ${major}:${minor}\n`, { mode: 0o666 });
}

test("a healthy dgx-h100 sim with generated specs: doctor exits 0 and every cdi check is ok", (t) => {
  const root = healthySim(t);
  const r = doctor(root);
  assert.equal(r.status, 0, JSON.stringify(r.checks.filter((c) => c.status !== "ok"), null, 2));
  const cdi = r.checks.filter((c) => c.id.startsWith("cdi."));
  assert.deepEqual(cdi.map((c) => [c.id, c.status]), [["cdi.specs", "ok"], ["cdi.host", "ok"], ["cdi.duplicates", "ok"], ["cdi.version", "ok"]]);
  assert.deepEqual(r.checks.filter((c) => c.id.startsWith("engine.")), [], "the sim has no engine");
});

test("a missing /dev/nvidia-uvm: exit 1, cdi.host fails and names the node", (t) => {
  const root = healthySim(t);
  fs.rmSync(path.join(root, "dev/nvidia-uvm"));
  const r = doctor(root);
  assert.equal(r.status, 1);
  assert.ok(failing(r.checks).includes("cdi.host"), failing(r.checks).join(", "));
  assert.match(r.checks.find((c) => c.id === "cdi.host")?.summary ?? "", /nvidia-uvm does not exist/);
});

test("a spec left stale by a new nvidia-uvm major: exit 1, cdi.host fails with the regenerate command", (t) => {
  const root = healthySim(t);
  const devices = path.join(root, "proc/devices");
  fs.writeFileSync(devices, fs.readFileSync(devices, "utf8").replace("509 nvidia-uvm", "508 nvidia-uvm"));
  for (const [name, minor] of [["nvidia-uvm", 0], ["nvidia-uvm-tools", 1]] as const) {
    const node = path.join(root, "dev", name);
    const real = fs.statSync(node).isCharacterDevice();
    fs.rmSync(node);
    mknodOrPlaceholder(node, 508, minor, real);
  }
  const r = doctor(root);
  assert.equal(r.status, 1);
  assert.ok(failing(r.checks).includes("cdi.host"), failing(r.checks).join(", "));
  const c = r.checks.find((x) => x.id === "cdi.host");
  assert.match(c?.summary ?? "", /is 508:0 on the host but 509:0 in the spec \(stale spec\)/);
  assert.match(c?.fix ?? "", /actk cdi generate --host-root .* --output .*etc\/cdi/);
});

test("the same device in two spec files: exit 1, cdi.duplicates fails", (t) => {
  const root = healthySim(t);
  fs.copyFileSync(path.join(root, "etc/cdi/nvidia-gpu.yaml"), path.join(root, "etc/cdi/nvidia-gpu-copy.yaml"));
  const r = doctor(root);
  assert.equal(r.status, 1);
  assert.ok(failing(r.checks).includes("cdi.duplicates"), failing(r.checks).join(", "));
  assert.match(r.checks.find((c) => c.id === "cdi.duplicates")?.summary ?? "", /nvidia\.com\/gpu=0 is defined in both/);
});

test("containerd's actk runtime without SystemdCgroup while runc has it: exit 1, engine.containerd.cgroup fails", (t) => {
  const root = healthySim(t);
  fs.mkdirSync(path.join(root, "etc/containerd"), { recursive: true });
  fs.mkdirSync(path.join(root, "usr/local/bin"), { recursive: true });
  fs.writeFileSync(path.join(root, "usr/local/bin/actk-runtime"), "#!/bin/sh\n", { mode: 0o755 });
  fs.writeFileSync(path.join(root, "etc/containerd/config.toml"), `version = 2
[plugins."io.containerd.grpc.v1.cri"]
  enable_cdi = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = true
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.actk]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.actk.options]
        BinaryName = "/usr/local/bin/actk-runtime"
`);
  const r = doctor(root);
  assert.equal(r.status, 1);
  assert.ok(failing(r.checks).includes("engine.containerd.cgroup"), failing(r.checks).join(", "));
  assert.equal(r.checks.find((c) => c.id === "engine.containerd")?.status, "ok");
  assert.match(r.checks.find((c) => c.id === "engine.containerd.cgroup")?.fix ?? "", /SystemdCgroup = true/);
});

test("a log file that cannot be written: toolkit.log.* warns and its fix names the config key as the file spells it", (t) => {
  const root = healthySim(t);
  // The simulated host has no /var/log: the default log files cannot be created there.
  fs.rmSync(path.join(root, "var/log"), { recursive: true, force: true });
  const r = doctor(root);
  const log = r.checks.find((c) => c.id === "toolkit.log.runtime");
  assert.equal(log?.status, "warn");
  assert.match(log?.fix ?? "", /actk config --set runtime\.log-file=PATH --in-place/);
});
