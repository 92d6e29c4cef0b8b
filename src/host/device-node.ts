/**
 * What is at a device-node path: a real character device (with its numbers),
 * a simulated-host placeholder (a plain file `actk sim create` writes when not
 * root, carrying the numbers it stands for), something else, or nothing.
 * Doctor, `cdi validate --host` and the dev-char links all need this same
 * answer, so it lives in one place.
 */
import type { DeviceNode } from "../edits/container-edits.js";
import type { HostRoot } from "./host-root.js";

export type NodeState =
  | { state: "char"; major: number; minor: number; mode: number }
  | { state: "placeholder"; major: number; minor: number; mode: number }
  | { state: "missing" }
  | { state: "other"; what: string };

/** Linux dev_t split, as glibc's major()/minor() do it. */
export function splitRdev(rdev: number): { major: number; minor: number } {
  const big = BigInt(rdev);
  const major = Number(((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn));
  const minor = Number((big & 0xffn) | ((big >> 12n) & ~0xffn));
  return { major, minor };
}

const placeholderPattern = /^actk-sim placeholder char device (\d+):(\d+)\n?$/;

export function inspectDeviceNode(host: HostRoot, p: string): NodeState {
  const st = host.stat(p);
  if (!st) return { state: "missing" };
  if (st.isCharacterDevice()) return { state: "char", ...splitRdev(st.rdev), mode: st.mode & 0o7777 };
  if (st.isFile() && st.size < 128) {
    const m = placeholderPattern.exec(host.readTextIfExists(p) ?? "");
    if (m) return { state: "placeholder", major: Number(m[1]), minor: Number(m[2]), mode: st.mode & 0o7777 };
  }
  return { state: "other", what: st.isDirectory() ? "a directory" : st.isBlockDevice() ? "a block device" : "a regular file" };
}

/**
 * The device-node edit for a host node (numbers and mode from the host), at `containerPath`
 * (default: where the host has it); undefined when there is no character device there. A node
 * that is something else always gets a note; a missing one only with `noteMissing`.
 */
export function hostDeviceNode(
  host: HostRoot, hostSeen: string, notes: string[], opts: { containerPath?: string; noteMissing?: boolean } = {},
): DeviceNode | undefined {
  const st = inspectDeviceNode(host, hostSeen);
  if (st.state === "missing") {
    if (opts.noteMissing) notes.push(`${hostSeen} is missing.`);
    return undefined;
  }
  if (st.state === "other") {
    notes.push(`${hostSeen} is ${st.what}, not a character device; it is ignored.`);
    return undefined;
  }
  const containerPath = opts.containerPath ?? hostSeen;
  const node: DeviceNode = { path: containerPath, type: "c", major: st.major, minor: st.minor, fileMode: st.mode, permissions: "rwm" };
  const hp = host.hostPath(hostSeen);
  if (hp !== containerPath) node.hostPath = hp;
  return node;
}
