/**
 * Create missing character device nodes whose majors come from /proc/devices
 * (dynamic majors such as nvidia-uvm are only known there), under a HostRoot.
 * Like `nvidia-ctk system create-device-nodes`: existing paths are skipped,
 * new nodes get mode 0666, --dry-run only reports.
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { mknodCharDevice } from "../sim/char-device.js";
import type { HostRoot } from "./host-root.js";
import { parseProcDevices } from "./proc-devices.js";

export interface PlannedNode {
  path: string;
  /** /proc/devices names to take the major from, first found wins ("nvidia", "nvidia-frontend"). */
  majorNames: string[];
  minor: number;
  mode?: number;
}

export interface NodeAction {
  path: string;
  major?: number;
  minor: number;
  action: "created" | "created placeholder" | "would create" | "exists" | "no major";
  detail?: string;
}

export function createDeviceNodes(host: HostRoot, plan: readonly PlannedNode[], opts: { dryRun: boolean }): NodeAction[] {
  const text = host.readTextIfExists("/proc/devices");
  if (text === undefined) {
    throw new ActkError("no such file", {
      file: host.hostPath("/proc/devices"), exitCode: ExitCode.host, fix: "is /proc mounted? (or is --host-root a simulated host?)",
    });
  }
  const majors = parseProcDevices(text, host.hostPath("/proc/devices")).char;
  const actions: NodeAction[] = [];
  for (const p of plan) {
    const name = p.majorNames.find((n) => majors.has(n));
    const major = name ? majors.get(name) : undefined;
    if (host.lstat(p.path)) {
      actions.push({ path: p.path, major, minor: p.minor, action: "exists" });
      continue;
    }
    if (major === undefined) {
      actions.push({ path: p.path, minor: p.minor, action: "no major", detail: `/proc/devices has no ${p.majorNames.join(" or ")} (is the kernel module loaded?)` });
      continue;
    }
    if (opts.dryRun) {
      actions.push({ path: p.path, major, minor: p.minor, action: "would create", detail: `mknod --mode=${(p.mode ?? 0o666).toString(8).padStart(4, "0")} ${host.hostPath(p.path)} c ${major} ${p.minor}` });
      continue;
    }
    if (process.getuid?.() !== 0 && !host.isRealHost) {
      // A simulated host made without root has placeholder files for nodes; keep it consistent.
      const hp = host.hostPath(p.path);
      fs.mkdirSync(path.dirname(hp), { recursive: true });
      fs.writeFileSync(hp, `actk-sim placeholder char device ${major}:${p.minor}\n`, { mode: p.mode ?? 0o666 });
      actions.push({ path: p.path, major, minor: p.minor, action: "created placeholder" });
      continue;
    }
    if (process.getuid?.() !== 0) {
      throw new ActkError(`creating ${host.hostPath(p.path)} needs root`, { exitCode: ExitCode.host, fix: "run as root, or use --dry-run to see what would be done" });
    }
    mknodCharDevice(host.hostPath(p.path), major, p.minor, p.mode ?? 0o666);
    actions.push({ path: p.path, major, minor: p.minor, action: "created" });
  }
  return actions;
}
