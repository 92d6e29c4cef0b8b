/**
 * /dev/char/MAJOR:MINOR links. systemd resolves a unit's DeviceAllow= entries
 * through these links; a device granted to a container outside its OCI spec
 * (legacy hooks) and missing a link here is revoked on `systemctl
 * daemon-reload` ("Failed to initialize NVML: Unknown Error"). Creating the
 * links is the accepted workaround (NVIDIA's create-dev-char-symlinks).
 */
import * as fs from "node:fs";
import path from "node:path";
import type { HostRoot } from "./host-root.js";
import { inspectDeviceNode } from "./device-node.js";
import type { Discovery } from "../vendors/vendor.js";

export interface CharNodeRef {
  /** Device node path as the host sees it, "/dev/nvidia0". */
  path: string;
  major: number;
  minor: number;
}

/** Every character node a vendor's discovery knows: control nodes, device nodes, expected-but-missing nodes. */
export function discoveryCharNodes(d: Discovery): CharNodeRef[] {
  const out: CharNodeRef[] = [];
  for (const n of [...d.controlNodes, ...d.devices.flatMap((x) => x.deviceNodes), ...(d.missingNodes ?? [])]) {
    if (n.major !== undefined && n.minor !== undefined && (n.type ?? "c") === "c") out.push({ path: n.path, major: n.major, minor: n.minor });
  }
  return out;
}

export type LinkAction = "create" | "replace" | "keep";

export interface PlannedLink {
  /** "/dev/char/195:0" */
  link: string;
  /** Relative target written into the link, "../nvidia0". */
  target: string;
  action: LinkAction;
  /** Why a node was linked though it does not exist (create-all). */
  note?: string;
}

/**
 * Links for the given nodes. Without createAll only nodes that exist as char
 * devices (or simulated placeholders) with the expected numbers are linked.
 */
export function planDevCharLinks(host: HostRoot, nodes: readonly CharNodeRef[], opts: { createAll?: boolean; devCharPath?: string } = {}): PlannedLink[] {
  const devChar = opts.devCharPath ?? "/dev/char";
  const seen = new Set<string>();
  const out: PlannedLink[] = [];
  for (const n of nodes) {
    const name = `${n.major}:${n.minor}`;
    if (seen.has(name)) continue;
    const st = inspectDeviceNode(host, n.path);
    const present = (st.state === "char" || st.state === "placeholder") && st.major === n.major && st.minor === n.minor;
    if (!present && !opts.createAll) continue;
    seen.add(name);
    const link = path.posix.join(devChar, name);
    const target = path.posix.relative(devChar, n.path);
    const existing = host.readlink(link);
    const action: LinkAction = existing === undefined ? "create" : existing === target ? "keep" : "replace";
    out.push({ link, target, action, ...(present ? {} : { note: `${n.path} does not exist yet` }) });
  }
  return out;
}

/** Create/replace the planned links; returns a warning per link that could not be made (never throws). */
export function applyDevCharLinks(host: HostRoot, plan: readonly PlannedLink[]): string[] {
  const warnings: string[] = [];
  for (const l of plan) {
    if (l.action === "keep") continue;
    const hp = host.hostPath(l.link);
    try {
      fs.mkdirSync(path.dirname(hp), { recursive: true, mode: 0o755 });
      const tmp = `${hp}.actk-tmp-${process.pid}`;
      fs.rmSync(tmp, { force: true });
      fs.symlinkSync(l.target, tmp);
      fs.renameSync(tmp, hp);
    } catch (e) {
      warnings.push(`could not create ${l.link} -> ${l.target}: ${(e as Error).message}`);
    }
  }
  return warnings;
}
