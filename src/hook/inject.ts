/**
 * Applies ContainerEdits to a container that already exists (prestart): device
 * nodes are created with the host's mknod and mounts made with the host's
 * mount, both run through the host's nsenter inside the container's mount
 * namespace, on targets resolved in-root beforehand and re-checked after.
 * Env and additional gids cannot change once the container process exists:
 * they are reported, not applied.
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode, toActkError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { ContainerEdits, DeviceNode, Mount } from "../edits/container-edits.js";
import { devMajor, devMinor } from "../apply/oci-spec.js";
import { isWithin } from "../host/path-in-root.js";
import type { HostRoot } from "../host/host-root.js";
import type { Container } from "./container.js";
import { allowDevice, cgroupV2Error, findDeviceCgroup, parseMountinfo } from "./device-cgroup.js";
import { hostProgram, runHost } from "./host-exec.js";
import { assertNoSymlinks, checkContainerPath, ensureMountTarget, mkdirInRoot, resolveIn } from "./in-root.js";
import { withPinnedDir } from "./pinned-dir.js";

/** Thrown for a failed injection step; the message starts with the step. */
export function stepError(step: string, e: unknown): ActkError {
  const err = toActkError(e);
  return new ActkError(`${step}: ${err.format()}`, { exitCode: err.exitCode, cause: e });
}

export interface NodeSpec {
  path: string;
  type: "c" | "b";
  major: number;
  minor: number;
  mode: number;
  uid?: number;
  gid?: number;
  permissions: string;
}

/** Fills type/major/minor from the host node when the edit does not carry them. */
export function nodeSpec(n: DeviceNode, host: HostRoot): NodeSpec {
  const p = checkContainerPath(n.path, "deviceNodes.path");
  let { type, major, minor } = n;
  if (type === undefined || major === undefined || minor === undefined) {
    const hp = n.hostPath ?? host.resolve(n.path);
    const st = fs.statSync(hp);
    if (!st.isCharacterDevice() && !st.isBlockDevice()) {
      throw new ActkError(`${hp} is not a device node`, { file: hp, exitCode: ExitCode.host, fix: "is the driver loaded? run `actk doctor`" });
    }
    type ??= st.isBlockDevice() ? "b" : "c";
    major ??= devMajor(st.rdev);
    minor ??= devMinor(st.rdev);
  }
  if (type !== "c" && type !== "b") {
    throw new ActkError(`device node ${p} has type "${type}"; only c and b can be created`, { place: "deviceNodes.type", exitCode: ExitCode.badInput });
  }
  return { path: p, type, major, minor, mode: n.fileMode ?? 0o666, uid: n.uid, gid: n.gid, permissions: n.permissions ?? "rwm" };
}

export interface InjectTools {
  nsenter: string;
  mount: string;
  mknod: string;
}

export function findTools(container: Container): InjectTools {
  const forbidden = [container.rootfs, container.view];
  return {
    nsenter: hostProgram("nsenter", forbidden),
    mount: hostProgram("mount", forbidden),
    mknod: hostProgram("mknod", forbidden),
  };
}

/** The namespace nodes and mounts are made in; without one they would land in the hook's own (the host's) mounts. */
function mountNamespace(container: Container, step: string): string {
  if (!container.mountNs) {
    throw new ActkError(`${step}: the container has no mount namespace the hook can enter: ${container.viewReason}`, {
      exitCode: ExitCode.failed,
      fix: "refusing to change the host's mounts; run `actk-hook prestart` as a prestart hook of an OCI runtime that gives the container its own mount namespace",
    });
  }
  return container.mountNs;
}

function inNamespace(container: Container, tools: InjectTools, step: string, program: string, args: string[], fds?: readonly number[]): void {
  runHost(step, tools.nsenter, [`--mount=${mountNamespace(container, step)}`, "--", program, ...args], { fds });
}

export function createDeviceNode(container: Container, tools: InjectTools, n: NodeSpec, logger: Logger): void {
  const step = `mknod ${n.path}`;
  const parent = mkdirInRoot(container.view, path.posix.dirname(n.path), step);
  const t = resolveIn(container.view, path.posix.join(parent.inRoot, path.posix.basename(n.path)), false);
  const name = path.posix.basename(t.inRoot);
  withPinnedDir(container.view, parent.inRoot, { create: true, what: step }, (dir) => {
    const st = dir.lstat(name);
    if (st) {
      const same = (n.type === "c" ? st.isCharacterDevice() : st.isBlockDevice()) &&
        devMajor(st.rdev) === n.major && devMinor(st.rdev) === n.minor;
      if (!same) {
        throw new ActkError(`${step}: ${t.inRoot} already exists in the container and is not device ${n.major}:${n.minor}`, {
          place: t.inRoot, exitCode: ExitCode.failed, fix: "remove it from the image",
        });
      }
      logger.debug("device node already present", { path: t.inRoot });
    } else {
      // mknod gets the pinned directory as its fd 3: the node lands there, whatever its path has become since.
      inNamespace(container, tools, step, tools.mknod, ["-m", n.mode.toString(8).padStart(4, "0"), `/proc/self/fd/3/${name}`, n.type, String(n.major), String(n.minor)], [dir.fd]);
    }
    const made = dir.lstat(name);
    if (!made || made.isSymbolicLink() || !(made.isCharacterDevice() || made.isBlockDevice())) {
      throw new ActkError(`${step}: ${t.inRoot} is not the device node just created`, { exitCode: ExitCode.failed });
    }
    if (n.uid !== undefined || n.gid !== undefined) fs.lchownSync(dir.at(name), n.uid ?? made.uid, n.gid ?? made.gid);
  });
}

/** Mount sources must be host files outside the container, owned by root (or us), not writable by others. */
export function checkMountSource(m: Mount, container: Container): { source: string; directory: boolean } {
  let real: string;
  try {
    real = fs.realpathSync(m.hostPath);
  } catch (e) {
    throw new ActkError(`mount source ${m.hostPath} does not exist on the host`, { file: m.hostPath, exitCode: ExitCode.host, cause: e, fix: "is the driver installed? run `actk doctor`" });
  }
  for (const f of [container.rootfs, container.view]) {
    if (isWithin(f, real)) {
      throw new ActkError(`mount source ${m.hostPath} lies inside the container's root filesystem`, {
        file: m.hostPath, exitCode: ExitCode.failed, fix: "refusing to mount content from the image",
      });
    }
  }
  const st = fs.statSync(real);
  // Whoever can change the source's content can change what every container gets: only root (or the
  // hook's own user), never everyone, nor a group other than root's. Sockets (nvidia-persistenced,
  // fabric manager) are writable by design: they carry no content.
  const refuse = (what: string, fix: string): never => {
    throw new ActkError(`mount source ${real} ${what}`, { file: real, exitCode: ExitCode.failed, fix });
  };
  if (st.uid !== 0 && st.uid !== process.geteuid?.()) refuse(`is owned by uid ${st.uid}, not root`, `chown root ${real}`);
  if (!st.isSocket() && (st.mode & 0o002) !== 0) refuse("is world-writable", `chmod o-w ${real}`);
  if (!st.isSocket() && (st.mode & 0o020) !== 0 && st.gid !== 0 && st.gid !== process.getegid?.()) {
    refuse(`is writable by group ${st.gid}, not only by root`, `chmod g-w ${real}`);
  }
  return { source: real, directory: st.isDirectory() };
}

/** Bind-mounts one host file or directory read-only, nosuid, nodev, private; throws without a step prefix. */
export function bindMount(container: Container, tools: InjectTools, m: Mount, logger: Logger): void {
  const containerPath = checkContainerPath(m.containerPath, "mounts.containerPath");
  if (m.type && m.type !== "bind" && m.type !== "none") {
    throw new ActkError(`only bind mounts can be injected by the hook, not type "${m.type}"`, { exitCode: ExitCode.failed });
  }
  const { source, directory } = checkMountSource(m, container);
  const t = ensureMountTarget(container.view, containerPath, directory, `mount ${containerPath}`);
  const target = container.rootfs + t.inRoot;
  // mount(8) walks the path itself: check it once more just before (docs/security.md says what remains).
  assertNoSymlinks(container.view, t.inRoot, `mount ${containerPath}`);
  // One mount(8) call: bind, then remount ro/nosuid/nodev, then make it private (util-linux >= 2.27).
  inNamespace(container, tools, "mount", tools.mount, ["--no-canonicalize", "--make-private", "-o", "bind,ro,nosuid,nodev", source, target]);
  // Re-check: the mount must be at the resolved target, read-only and not shared with the host.
  const pid = container.state.pid as number;
  const found = parseMountinfo(fs.readFileSync(`/proc/${pid}/mountinfo`, "utf8")).filter((e) => e.mountPoint === target).pop();
  if (!found) {
    throw new ActkError(`the mount did not land on ${target}`, { exitCode: ExitCode.failed, fix: "refusing to continue; the rootfs changed during the hook" });
  }
  if (found.optional.some((o) => o.startsWith("shared:"))) {
    throw new ActkError(`the mount on ${target} is shared with the host`, { exitCode: ExitCode.failed, fix: "report this: the hook makes every mount private" });
  }
  logger.debug("mounted", { source, target: t.inRoot });
}

export interface InjectReport {
  deviceNodes: string[];
  mounts: string[];
  /** Edits a prestart hook cannot apply (env, additionalGids …), one sentence each. */
  notApplied: string[];
}

export function injectEdits(container: Container, edits: ContainerEdits, host: HostRoot, logger: Logger, tools = findTools(container)): InjectReport {
  const report: InjectReport = { deviceNodes: [], mounts: [], notApplied: [] };
  const pid = container.state.pid;
  if (pid === undefined) throw new ActkError("the OCI state has no pid", { place: "stdin: pid", exitCode: ExitCode.badInput });
  const nodes = (edits.deviceNodes ?? []).map((n) => {
    try {
      return nodeSpec(n, host);
    } catch (e) {
      throw stepError(`device ${n.path}`, e);
    }
  });
  const mounts = edits.mounts ?? [];
  // Checked before the pid's cgroup is read or a directory is made: without the namespace nothing can be
  // injected, and the pid may not even name the container's process (see containerView).
  if (nodes.length > 0 || mounts.length > 0) mountNamespace(container, "inject");
  if (nodes.length > 0) {
    let cg;
    try {
      cg = findDeviceCgroup(pid);
    } catch (e) {
      throw stepError("device cgroup", e);
    }
    if (cg.version === 2) throw stepError("device cgroup", cgroupV2Error());
    for (const n of nodes) {
      try {
        createDeviceNode(container, tools, n, logger);
        allowDevice(cg.devicesDir, n.type, n.major, n.minor, n.permissions);
      } catch (e) {
        throw stepError(`device ${n.path}`, e);
      }
      report.deviceNodes.push(n.path);
    }
  }
  for (const m of mounts) {
    try {
      bindMount(container, tools, m, logger);
    } catch (e) {
      throw stepError(`mount ${m.containerPath}`, e);
    }
    report.mounts.push(m.containerPath);
  }
  if (edits.env?.length) report.notApplied.push(`env ${edits.env.map((e) => e.split("=")[0]).join(", ")}: a process's environment cannot change after it exists`);
  if (edits.additionalGids?.length) report.notApplied.push(`additional groups ${edits.additionalGids.join(", ")}: set before the process starts`);
  if (edits.intelRdt) report.notApplied.push("intelRdt: not supported by the hook");
  if (edits.netDevices?.length) report.notApplied.push("netDevices: not supported by the hook");
  return report;
}
