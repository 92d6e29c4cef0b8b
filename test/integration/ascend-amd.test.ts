/**
 * Ascend and AMD through the built dist/bin/actk on simulated hosts:
 * sim create → info --json → cdi generate, and a hostile Ascend mount list.
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

interface VendorInfo {
  vendor: string;
  driverVersion?: string;
  devices: { index: string; uuid?: string; model?: string; deviceNodes: { path: string; major: number; minor: number }[] }[];
  controlNodes: { path: string }[];
}

function info(root: string, vendor: string): VendorInfo {
  const r = actk(["info", "--json", "--host-root", root, "--vendor", vendor]);
  assert.equal(r.status, 0, r.stderr);
  const v = (JSON.parse(r.stdout) as { vendors: VendorInfo[] }).vendors.find((x) => x.vendor === vendor);
  assert.ok(v);
  return v;
}

test("sim create --profile ascend-910b: info shows 8 NPUs and the CDI spec mounts base.list read-only", (t) => {
  const root = path.join(tempDir(t, "actk-ascend-it-"), "h");
  assert.equal(actk(["sim", "create", "--profile", "ascend-910b", root]).status, 0);
  const asc = info(root, "ascend");
  assert.equal(asc.driverVersion, "24.1.rc2");
  assert.deepEqual(asc.devices.map((d) => d.index), ["0", "1", "2", "3", "4", "5", "6", "7"]);
  assert.deepEqual(asc.devices[5]?.deviceNodes.map((n) => [n.path, n.minor]), [["/dev/davinci5", 5]]);
  assert.ok(asc.controlNodes.some((n) => n.path === "/dev/davinci_manager"));

  const g = actk(["cdi", "generate", "--host-root", root, "--vendor", "ascend", "--format", "json"]);
  assert.equal(g.status, 0, g.stderr);
  const spec = JSON.parse(g.stdout) as { kind: string; containerEdits: { mounts?: { containerPath: string; hostPath: string; options: string[] }[] } };
  assert.equal(spec.kind, "ascend.com/npu");
  const lib64 = spec.containerEdits.mounts?.find((m) => m.containerPath === "/usr/local/Ascend/driver/lib64");
  assert.equal(lib64?.hostPath, path.join(root, "/usr/local/Ascend/driver/lib64"));
  assert.ok(lib64?.options.includes("ro"));
});

test("a base.list entry that climbs out of the host root fails cdi generate with the file and line, writing nothing", (t) => {
  const dir = tempDir(t, "actk-ascend-it-");
  const root = path.join(dir, "h");
  assert.equal(actk(["sim", "create", "--profile", "ascend-910b", root]).status, 0);
  const list = path.join(root, "etc/ascend-docker-runtime.d/base.list");
  fs.chmodSync(list, 0o640);
  fs.appendFileSync(list, "/usr/local/evil\n");
  fs.symlinkSync("../../../../../../../../../../etc", path.join(root, "usr/local/evil"));
  const out = path.join(dir, "ascend.json");
  const g = actk(["cdi", "generate", "--host-root", root, "--vendor", "ascend", "--output", out]);
  assert.equal(g.status, 3, g.stderr);
  assert.match(g.stderr, /base\.list: line 6: .*outside the host root/);
  assert.equal(fs.existsSync(out), false);
});

test("sim create --profile amd-mi300: info shows 4 MI300X GPUs with unique ids, DRM nodes and /dev/kfd", (t) => {
  const root = path.join(tempDir(t, "actk-amd-it-"), "h");
  assert.equal(actk(["sim", "create", "--profile", "amd-mi300", root]).status, 0);
  const amd = info(root, "amd");
  assert.equal(amd.devices.length, 4);
  assert.match(amd.devices[0]?.uuid ?? "", /^0x[0-9a-f]+$/);
  assert.equal(amd.devices[0]?.model, "AMD Instinct MI300X");
  assert.deepEqual(amd.devices[2]?.deviceNodes.map((n) => [n.path, n.major, n.minor]), [
    ["/dev/dri/card2", 226, 2], ["/dev/dri/renderD130", 226, 130],
  ]);
  assert.deepEqual(amd.controlNodes.map((n) => n.path), ["/dev/kfd"]);
});
