/**
 * `actk sim create` + `actk info --json --host-root` + `actk system create-device-nodes`
 * driven through the built dist/bin/actk on simulated hosts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { distBin, tempDir } from "../e2e/harness/requirements.js";

function actk(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(distBin("actk"), args, { encoding: "utf8", env: { PATH: process.env.PATH } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface InfoJson {
  hostRoot: string;
  vendors: { vendor: string; source: string; driverVersion?: string; devices: { index: string; uuid?: string; parent?: string; busId?: string; deviceNodes: { path: string; major: number; minor: number }[] }[]; controlNodes: { path: string }[]; notes: string[] }[];
}

test("sim create --profile dgx-h100 then info --json shows its 8 GPUs and 6 MIG devices", (t) => {
  const root = path.join(tempDir(t, "actk-sim-it-"), "h");
  const c = actk(["sim", "create", "--profile", "dgx-h100", root, "--json"]);
  assert.equal(c.status, 0, c.stderr);
  const created = JSON.parse(c.stdout) as { profile: string; vendors: string[]; realDeviceNodes: boolean };
  assert.deepEqual([created.profile, created.vendors], ["dgx-h100", ["nvidia"]]);
  const st = fs.statSync(path.join(root, "dev/nvidiactl"));
  assert.equal(st.isCharacterDevice(), created.realDeviceNodes);

  const i = actk(["info", "--json", "--host-root", root, "--vendor", "nvidia"]);
  assert.equal(i.status, 0, i.stderr);
  const info = JSON.parse(i.stdout) as InfoJson;
  const nv = info.vendors[0];
  assert.ok(nv);
  assert.deepEqual([nv.vendor, nv.source, nv.driverVersion], ["nvidia", "procfs", "550.54.15"]);
  assert.equal(nv.devices.filter((d) => d.parent === undefined).length, 8);
  assert.deepEqual(nv.devices.filter((d) => d.parent !== undefined).map((d) => d.index), ["0:0", "0:1", "0:2", "1:0", "1:1", "1:2"]);
  const node0 = nv.devices[0]?.deviceNodes[0];
  assert.deepEqual([node0?.path, node0?.major, node0?.minor], ["/dev/nvidia0", 195, 0]);
  assert.deepEqual(nv.controlNodes.map((n) => n.path), ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"]);
});

test("sim create refuses a non-empty directory with exit code 2 and changes nothing", (t) => {
  const dir = tempDir(t, "actk-sim-it-");
  fs.writeFileSync(path.join(dir, "mine"), "keep");
  const r = actk(["sim", "create", "--profile", "empty", dir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not empty/);
  assert.deepEqual(fs.readdirSync(dir), ["mine"]);
});

test("sim create --option with a key the vendor does not take exits 2 with one line naming the key and the keys it takes", (t) => {
  const parent = tempDir(t, "actk-sim-it-");
  const r = actk(["sim", "create", "--profile", "dgx-h100", "--option", "nvidia.bogus=1", path.join(parent, "h")]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^actk: --option nvidia\.bogus: unknown option \(nvidia takes count, model, driverVersion, mig, imexChannels, extras, compat32, tegra\)/);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.deepEqual(fs.readdirSync(parent), []);
});

test("sim profiles --json lists every profile", () => {
  const r = actk(["sim", "profiles", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const names = (JSON.parse(r.stdout) as { profiles: { name: string }[] }).profiles.map((p) => p.name);
  assert.deepEqual(names, ["dgx-h100", "ascend-910b", "amd-mi300", "mixed", "jetson-orin", "empty"]);
});

test("system create-device-nodes --control-devices recreates a missing nvidia-uvm with the major from /proc/devices", (t) => {
  const root = path.join(tempDir(t, "actk-sim-it-"), "h");
  assert.equal(actk(["sim", "create", "--profile", "dgx-h100", root]).status, 0);
  fs.rmSync(path.join(root, "dev/nvidia-uvm"));
  const dry = actk(["--host-root", root, "system", "create-device-nodes", "--control-devices", "--dry-run", "--json"]);
  assert.equal(dry.status, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { nodes: { path: string; action: string; major?: number; minor: number }[] };
  assert.deepEqual(plan.nodes.map((n) => `${n.path} ${n.action}`), [
    "/dev/nvidiactl exists", "/dev/nvidia-modeset exists", "/dev/nvidia-uvm would create", "/dev/nvidia-uvm-tools exists",
  ]);
  assert.equal(fs.existsSync(path.join(root, "dev/nvidia-uvm")), false);
  if (process.getuid?.() !== 0) return;
  const r = actk(["--host-root", root, "system", "create-device-nodes", "--control-devices", "--load-kernel-modules"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /would run \/sbin\/modprobe nvidia /);
  const st = fs.statSync(path.join(root, "dev/nvidia-uvm"));
  assert.ok(st.isCharacterDevice());
  assert.equal(Math.floor(st.rdev / 256) & 0xfff, 509);
});

test("the mixed profile is seen by both the NVIDIA and the Ascend vendor; an unknown --vendor is a usage error", (t) => {
  const root = path.join(tempDir(t, "actk-sim-it-"), "h");
  assert.equal(actk(["sim", "create", "--profile", "mixed", root]).status, 0);
  const i = actk(["--host-root", root, "info", "--json"]);
  assert.equal(i.status, 0, i.stderr);
  const counts = Object.fromEntries((JSON.parse(i.stdout) as InfoJson).vendors.map((v) => [v.vendor, v.devices.length]));
  assert.equal(counts.nvidia, 2);
  assert.equal(counts.ascend, 2);
  const bad = actk(["--host-root", root, "info", "--vendor", "nosuch"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown vendor "nosuch"/);
});
