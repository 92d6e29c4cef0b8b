/**
 * Device access for nodes the hook creates. On cgroup v1 the container's
 * devices cgroup (from /proc/<pid>/cgroup, under the devices hierarchy's
 * mount point from /proc/self/mountinfo) gets one devices.allow line per node.
 * On cgroup v2 device access is an eBPF program the runtime attaches; a hook
 * cannot extend it safely, so prestart refuses (actk-runtime or CDI put the
 * devices into the spec instead, and the runtime's program allows them).
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";

export type CgroupSetup = { version: 1; devicesDir: string } | { version: 2 };

/** Unescapes mountinfo's octal escapes (\040 for a space). */
export function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export interface MountinfoEntry {
  root: string;
  mountPoint: string;
  /** Optional fields (propagation: "shared:N", "master:N" …). */
  optional: string[];
  fsType: string;
  superOptions: string[];
}

export function parseMountinfo(text: string): MountinfoEntry[] {
  const out: MountinfoEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const [pre, post] = line.split(" - ");
    if (!pre || !post) continue;
    const f = pre.split(" ");
    const g = post.split(" ");
    out.push({
      root: unescapeMountinfo(f[3] ?? ""),
      mountPoint: unescapeMountinfo(f[4] ?? ""),
      optional: f.slice(6).filter(Boolean),
      fsType: g[0] ?? "",
      superOptions: (g[2] ?? "").split(","),
    });
  }
  return out;
}

/** Finds the container's devices cgroup directory (v1) or says it is cgroup v2. */
export function findDeviceCgroup(pid: number, procRoot = "/proc"): CgroupSetup {
  const cgText = fs.readFileSync(path.join(procRoot, String(pid), "cgroup"), "utf8");
  let devicesPath: string | undefined;
  let unified = false;
  for (const line of cgText.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[2]?.split(",").includes("devices")) devicesPath = m[3];
    if (m[1] === "0" && m[2] === "") unified = true;
  }
  if (devicesPath === undefined) {
    if (unified) return { version: 2 };
    throw new ActkError(`no devices cgroup for process ${pid}`, { file: path.join(procRoot, String(pid), "cgroup"), exitCode: ExitCode.host });
  }
  const mounts = parseMountinfo(fs.readFileSync(path.join(procRoot, "self", "mountinfo"), "utf8"))
    .filter((e) => e.fsType === "cgroup" && e.superOptions.includes("devices"));
  for (const m of mounts) {
    const rel = path.posix.relative(m.root, devicesPath);
    if (rel.startsWith("..")) continue;
    const dir = path.join(m.mountPoint, rel);
    if (fs.existsSync(path.join(dir, "devices.allow"))) return { version: 1, devicesDir: dir };
  }
  throw new ActkError(`the devices cgroup ${devicesPath} of process ${pid} is not mounted here`, {
    file: path.join(procRoot, "self", "mountinfo"), exitCode: ExitCode.host, fix: "mount the cgroup v1 devices hierarchy (usually /sys/fs/cgroup/devices)",
  });
}

export function cgroupV2Error(): ActkError {
  return new ActkError("this host uses cgroup v2, where a prestart hook cannot grant device access", {
    place: "device cgroup", exitCode: ExitCode.host,
    fix: "start the container through actk-runtime (runtime mode jit or cdi) or request CDI devices (actk cdi generate) instead of the legacy hook",
  });
}

/** Appends one devices.allow rule ("c 195:0 rwm"). */
export function allowDevice(devicesDir: string, type: string, major: number, minor: number, permissions = "rwm"): void {
  if (!/^[rwm]{1,3}$/.test(permissions)) {
    throw new ActkError(`bad cgroup permissions "${permissions}"`, { place: "deviceNodes.permissions", exitCode: ExitCode.badInput });
  }
  const t = type === "b" ? "b" : "c";
  // A kernel control file, not a config file: written in place, one rule per write.
  fs.writeFileSync(path.join(devicesDir, "devices.allow"), `${t} ${major}:${minor} ${permissions}`);
}
