// The watcher's own behaviour, with a stand-in refresh: which events trigger a pass, what is logged, clean stop.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "../core/log.js";
import { HostRoot } from "../host/host-root.js";
import type { RefreshOutcome } from "./refresh.js";
import { defaultWatchDirs, inputFingerprint, logOutcomes, mountDirsOf, watchAndRefresh } from "./watch.js";

function tree(t: TestContext): HostRoot {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "actk-watch-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const d of ["proc/driver/nvidia", "dev", "etc"]) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, "proc/devices"), "Character devices:\n509 nvidia-uvm\n");
  return new HostRoot(root);
}

function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>): void => { lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`); };
  return { lines, logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") } };
}

/** Resolves when `cond` holds; rejects after a generous bound so a broken watcher fails instead of hanging. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test("a change to /proc/devices triggers a refresh pass naming the file, and close() ends the watcher", async (t) => {
  const host = tree(t);
  let passes = 0;
  const { logger, lines } = recorder();
  const w = watchAndRefresh({
    host, intervalMs: 0, debounceMs: 20, logger,
    refresh: () => [passes++ === 0
      ? { file: "/etc/cdi/x.yaml", changed: false, reason: "up to date" }
      : { file: "/etc/cdi/x.yaml", changed: true, reason: "device node /dev/nvidia-uvm 509:0→508:0" }],
  });
  t.after(() => w.close());
  assert.ok(w.watched().includes("/proc"), `watched: ${w.watched().join(", ")}`);
  fs.writeFileSync(host.hostPath("/proc/devices"), "Character devices:\n508 nvidia-uvm\n");
  await until(() => lines.some((l) => l.startsWith("info refreshed /etc/cdi/x.yaml: device node /dev/nvidia-uvm 509:0→508:0")), "the refresh log line");
  assert.ok(lines.some((l) => l.includes("changed: /proc/devices")), lines.join("\n"));
  w.close();
  await w.done;
});

test("events for unrelated files in /etc and /proc do not trigger a pass", async (t) => {
  const host = tree(t);
  const { logger, lines } = recorder();
  const w = watchAndRefresh({ host, intervalMs: 0, debounceMs: 10, logger, refresh: () => [{ file: "f", changed: true, reason: "r" }] });
  t.after(() => w.close());
  fs.writeFileSync(host.hostPath("/etc/hostname"), "x\n");
  fs.writeFileSync(host.hostPath("/proc/cpuinfo"), "x\n");
  // A relevant change afterwards proves the watcher was live while the unrelated ones happened.
  fs.writeFileSync(host.hostPath("/etc/ld.so.cache"), "x");
  await until(() => lines.some((l) => l.includes("/etc/ld.so.cache")), "the ld.so.cache pass");
  assert.ok(!lines.some((l) => /hostname|cpuinfo/.test(l)), lines.join("\n"));
});

test("polling runs refresh without any event (real procfs sends none)", async (t) => {
  const host = tree(t);
  let passes = 0;
  const w = watchAndRefresh({ host, intervalMs: 30, debounceMs: 10, logger: recorder().logger, refresh: () => { passes++; return []; } });
  t.after(() => w.close());
  await until(() => passes >= 3, "two poll passes");
});

test("a refresh that throws is logged as an error and the watcher keeps running", async (t) => {
  const host = tree(t);
  const { logger, lines } = recorder();
  let calls = 0;
  const w = watchAndRefresh({ host, intervalMs: 20, debounceMs: 10, logger, refresh: () => { calls++; throw new Error("boom"); } });
  t.after(() => w.close());
  await until(() => calls >= 2, "a second pass after the failure");
  assert.ok(lines.some((l) => l.startsWith("error refresh failed: boom")));
});

test("outcomes are logged by kind: changes as info, errors as warnings, the rest at debug", () => {
  const { logger, lines } = recorder();
  const outcomes: RefreshOutcome[] = [
    { file: "a", changed: true, reason: "driver version 1→2" },
    { file: "b", changed: false, reason: "regeneration failed", error: "no devices" },
    { file: "c", changed: false, reason: "up to date" },
  ];
  logOutcomes(logger, outcomes, "poll");
  assert.deepEqual(lines.map((l) => l.split(" ")[0]), ["info", "warn", "debug"]);
  assert.match(lines[0] ?? "", /refreshed a: driver version 1→2 \{"trigger":"poll"\}/);
});

test("library directories to watch come from the specs' mounts, made relative to the host root", () => {
  const host = new HostRoot("/tmp/h");
  assert.deepEqual(mountDirsOf(["/tmp/h/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/tmp/h/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "/tmp/h/lib/firmware/nvidia/550/gsp.bin"], host),
    ["/lib/firmware/nvidia/550", "/usr/lib/x86_64-linux-gnu"]);
});

test("the poll fingerprint changes with procfs content and device nodes, not with unrelated files", (t) => {
  const host = tree(t);
  fs.writeFileSync(host.hostPath("/dev/nvidia-uvm"), "actk-sim placeholder char device 509:0\n");
  fs.mkdirSync(host.hostPath("/proc/driver/nvidia/capabilities/gpu0/mig/gi1"), { recursive: true });
  const print = (): string => inputFingerprint(host, defaultWatchDirs);
  const base = print();
  assert.equal(print(), base, "stable when nothing changed");
  fs.writeFileSync(host.hostPath("/etc/hostname"), "other\n");
  fs.mkdirSync(host.hostPath("/proc/4242"));
  fs.writeFileSync(host.hostPath("/dev/ttyS9"), "x");
  assert.equal(print(), base, "unrelated files and processes do not count");
  const cases: [string, () => void][] = [
    ["a new major in /proc/devices (same size)", () => fs.writeFileSync(host.hostPath("/proc/devices"), "Character devices:\n508 nvidia-uvm\n")],
    ["a replaced device node", () => { fs.rmSync(host.hostPath("/dev/nvidia-uvm")); fs.writeFileSync(host.hostPath("/dev/nvidia-uvm"), "actk-sim placeholder char device 508:0\n"); }],
    ["a MIG instance removed deep in capabilities", () => fs.rmSync(host.hostPath("/proc/driver/nvidia/capabilities/gpu0/mig/gi1"), { recursive: true })],
    ["a new driver version", () => fs.writeFileSync(host.hostPath("/proc/driver/nvidia/version"), "NVRM version: 550.90.07\n")],
  ];
  let last = print();
  for (const [what, change] of cases) {
    change();
    const now = print();
    assert.notEqual(now, last, what);
    last = now;
  }
});
