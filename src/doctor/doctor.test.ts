import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HostRoot } from "../host/host-root.js";
import { defaultConfig } from "../config/defaults.js";
import type { Discovery, Vendor } from "../vendors/vendor.js";
import type { DeviceNode } from "../edits/container-edits.js";
import type { DoctorCheck, DoctorContext } from "./check.js";
import { memoizedDiscovery, runChecks, worstStatus } from "./run.js";
import { deviceNodesCheck, driverCheck } from "./checks/device-nodes.js";
import { toolkitCheck } from "./checks/toolkit.js";
import { reloadTrapCheck } from "./checks/reload-trap.js";
import { applyDevCharLinks, planDevCharLinks } from "../host/dev-char-links.js";

/** A host tree with placeholder nodes in the format `actk sim create` writes when not root. */
function tree(t: import("node:test").TestContext): { root: string; host: HostRoot; node(p: string, maj: number, min: number): void; file(p: string, text: string, mode?: number): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "actk-doctor-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const file = (p: string, text: string, mode = 0o644): void => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text, { mode });
    fs.chmodSync(path.join(root, p), mode);
  };
  return { root, host: new HostRoot(root), file, node: (p, maj, min) => file(p, `actk-sim placeholder char device ${maj}:${min}\n`, 0o666) };
}

const node = (p: string, major: number, minor: number): DeviceNode => ({ path: p, type: "c", major, minor, fileMode: 0o666 });

function vendor(discovery: Partial<Discovery>): Vendor {
  const d: Discovery = { vendor: "fake", source: "procfs", devices: [], controlNodes: [], notes: [], ...discovery };
  return { id: "fake", discover: () => d } as unknown as Vendor;
}

const gpu = (i: number): Discovery["devices"][number] => ({ vendor: "fake", kind: "fake.com/gpu", index: String(i), deviceNodes: [node(`/dev/fake${i}`, 195, i)] });

function ctx(host: HostRoot, vendors: Vendor[], over: Partial<DoctorContext> = {}): DoctorContext {
  return { host, config: { config: defaultConfig(), source: "defaults", format: "defaults" }, vendors, discovery: memoizedDiscovery(), now: new Date(0), ...over };
}

const run = (check: DoctorCheck, c: DoctorContext) => runChecks([check], c).checks;

test("device nodes present with the driver's numbers pass", (t) => {
  const h = tree(t);
  h.node("/dev/fake0", 195, 0);
  h.node("/dev/fakectl", 195, 255);
  const [r] = run(deviceNodesCheck, ctx(h.host, [vendor({ devices: [gpu(0)], controlNodes: [node("/dev/fakectl", 195, 255)] })]));
  assert.equal(r?.status, "ok");
});

test("a missing control node fails with the mknod command that fixes it", (t) => {
  const h = tree(t);
  h.node("/dev/fake0", 195, 0);
  const [r] = run(deviceNodesCheck, ctx(h.host, [vendor({ devices: [gpu(0)], controlNodes: [node("/dev/fake-uvm", 510, 0)] })]));
  assert.equal(r?.status, "fail");
  assert.match(r?.summary ?? "", /\/dev\/fake-uvm is missing \(expected c 510:0\)/);
  assert.match(r?.fix ?? "", /mknod -m 666 \/dev\/fake-uvm c 510 0/);
});

test("a node left with old numbers after a module reload fails as stale", (t) => {
  const h = tree(t);
  h.node("/dev/fake-uvm", 509, 0);
  const [r] = run(deviceNodesCheck, ctx(h.host, [vendor({ devices: [], controlNodes: [node("/dev/fake-uvm", 510, 0)] })]));
  assert.equal(r?.status, "fail");
  assert.match(r?.summary ?? "", /is c 509:0 but the driver uses 510:0/);
  assert.match(r?.fix ?? "", /actk cdi refresh/);
});

test("a regular file where a device node should be fails", (t) => {
  const h = tree(t);
  h.file("/dev/fake0", "not a device\n");
  const [r] = run(deviceNodesCheck, ctx(h.host, [vendor({ devices: [gpu(0)] })]));
  assert.equal(r?.status, "fail");
  assert.match(r?.summary ?? "", /a regular file, not a character device/);
});

test("a vendor without devices reports nothing to inject and does not fail", (t) => {
  const h = tree(t);
  const c = ctx(h.host, [vendor({ notes: ["/proc/driver/fake does not exist: no driver loaded."] })]);
  assert.deepEqual(run(deviceNodesCheck, c), []);
  const [d] = run(driverCheck, c);
  assert.equal(d?.status, "ok");
  assert.match(d?.summary ?? "", /no fake device found.*no driver loaded/);
});

test("devices without a known driver version warn", (t) => {
  const h = tree(t);
  const [d] = run(driverCheck, ctx(h.host, [vendor({ devices: [gpu(0), gpu(1)] })]));
  assert.equal(d?.status, "warn");
  assert.match(d?.summary ?? "", /2 devices .*version could not be determined/);
});

test("driver version and partitions are reported", (t) => {
  const h = tree(t);
  const mig = { ...gpu(0), index: "0:0", parent: "0" };
  const [d] = run(driverCheck, ctx(h.host, [vendor({ devices: [gpu(0), mig], driverVersion: "550.54.15" })]));
  assert.equal(d?.status, "ok");
  assert.equal(d?.summary, "driver 550.54.15, 1 device and 1 partition (source: procfs)");
});

test("an invalid config fails toolkit.config with its message", (t) => {
  const h = tree(t);
  const r = run(toolkitCheck, ctx(h.host, [], { configError: "/etc/actk/config.toml: line 3, column 1: unknown key" }));
  const c = r.find((x) => x.id === "toolkit.config");
  assert.equal(c?.status, "fail");
  assert.match(c?.summary ?? "", /line 3/);
});

test("the hook: missing warns, not executable fails, executable passes", (t) => {
  const h = tree(t);
  const cfg = defaultConfig();
  const hookPath = cfg.hook.path;
  const at = (): string | undefined => run(toolkitCheck, ctx(h.host, [])).find((x) => x.id === "toolkit.hook")?.status;
  assert.equal(at(), "warn");
  h.file(hookPath, "#!/bin/sh\n", 0o644);
  assert.equal(at(), "fail");
  h.file(hookPath, "#!/bin/sh\n", 0o755);
  assert.equal(at(), "ok");
});

test("a check that throws is reported as a failed check, and the others still run", (t) => {
  const h = tree(t);
  const boom: DoctorCheck = { id: "boom", description: "", run: () => { throw new Error("kaput"); } };
  const report = runChecks([boom, driverCheck], ctx(h.host, [vendor({})]));
  assert.equal(report.checks[0]?.status, "fail");
  assert.match(report.checks[0]?.summary ?? "", /kaput/);
  assert.equal(report.checks[1]?.id, "driver.fake");
  assert.equal(worstStatus(report), "fail");
});

test("--check selects checks by id prefix", (t) => {
  const h = tree(t);
  const report = runChecks([driverCheck, toolkitCheck], ctx(h.host, [vendor({})]), ["toolkit"]);
  assert.ok(report.checks.every((c) => c.id.startsWith("toolkit.")));
});

test("reload trap: legacy grants + systemd + missing /dev/char links warns with the fix", (t) => {
  const h = tree(t);
  h.node("/dev/fake0", 195, 0);
  fs.mkdirSync(path.join(h.root, "run/systemd/system"), { recursive: true });
  const cfg = defaultConfig();
  cfg.runtime.mode = "legacy";
  const [r] = run(reloadTrapCheck, ctx(h.host, [vendor({ devices: [gpu(0)] })], { config: { config: cfg, source: "x", format: "actk" } }));
  assert.equal(r?.status, "warn");
  assert.match(r?.fix ?? "", /actk system create-dev-char-symlinks --create-all/);
});

test("reload trap: a docker --gpus hook in PATH is an out-of-band grant too", (t) => {
  const h = tree(t);
  h.node("/dev/fake0", 195, 0);
  h.file("/usr/bin/nvidia-container-runtime-hook", "#!/bin/sh\n", 0o755);
  fs.mkdirSync(path.join(h.root, "run/systemd/system"), { recursive: true });
  const [r] = run(reloadTrapCheck, ctx(h.host, [vendor({ devices: [gpu(0)] })]));
  assert.equal(r?.status, "warn");
  assert.match(r?.summary ?? "", /nvidia-container-runtime-hook is installed/);
});

test("reload trap: devices declared in OCI specs are not exposed", (t) => {
  const h = tree(t);
  h.node("/dev/fake0", 195, 0);
  fs.mkdirSync(path.join(h.root, "run/systemd/system"), { recursive: true });
  const [r] = run(reloadTrapCheck, ctx(h.host, [vendor({ devices: [gpu(0)] })]));
  assert.equal(r?.status, "ok");
  assert.match(r?.summary ?? "", /declared in OCI specs/);
});

test("reload trap: once the links exist the check passes", (t) => {
  const h = tree(t);
  h.node("/dev/fake0", 195, 0);
  fs.mkdirSync(path.join(h.root, "run/systemd/system"), { recursive: true });
  const cfg = defaultConfig();
  cfg.runtime.mode = "legacy";
  const nodes = [{ path: "/dev/fake0", major: 195, minor: 0 }];
  assert.deepEqual(applyDevCharLinks(h.host, planDevCharLinks(h.host, nodes)), []);
  const [r] = run(reloadTrapCheck, ctx(h.host, [vendor({ devices: [gpu(0)] })], { config: { config: cfg, source: "x", format: "actk" } }));
  assert.equal(r?.status, "ok");
});

test("dev-char links: existing nodes only by default, all with createAll, idempotent", (t) => {
  const h = tree(t);
  h.node("/dev/fake0", 195, 0);
  const nodes = [{ path: "/dev/fake0", major: 195, minor: 0 }, { path: "/dev/fake1", major: 195, minor: 1 }];
  const plan = planDevCharLinks(h.host, nodes);
  assert.deepEqual(plan, [{ link: "/dev/char/195:0", target: "../fake0", action: "create" }]);
  applyDevCharLinks(h.host, plan);
  assert.equal(fs.readlinkSync(path.join(h.root, "dev/char/195:0")), "../fake0");
  const all = planDevCharLinks(h.host, nodes, { createAll: true });
  assert.deepEqual(all.map((l) => [l.link, l.action]), [["/dev/char/195:0", "keep"], ["/dev/char/195:1", "create"]]);
  assert.match(all[1]?.note ?? "", /does not exist yet/);
});
