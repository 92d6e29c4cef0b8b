/**
 * containerd and dockerd on private sockets under a temp dir, stopped by pid.
 * They never touch the host's daemons: their own root, state, exec-root,
 * pidfile and socket; no networking (bridge, iptables) so nothing leaks.
 * Snapshotters are the copy-based ones (native, vfs): slower than overlay
 * but they work on any filesystem, including inside a container.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { program } from "./requirements.js";

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

export interface Daemon {
  pid: number;
  /** unix socket path */
  socket: string;
  /** the daemon's stdout+stderr, for failure messages */
  logFile: string;
  stop(): Promise<void>;
}

function startDaemon(cmd: string, args: string[], socket: string, logFile: string, env?: NodeJS.ProcessEnv, ready?: () => boolean): Daemon {
  const log = openSync(logFile, "a");
  const child: ChildProcess = spawn(cmd, args, { stdio: ["ignore", log, log], env: env ?? process.env, detached: true });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${cmd}`);
  let exited = false;
  child.on("exit", () => { exited = true; });
  const stop = async (): Promise<void> => {
    if (exited) return;
    const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try { process.kill(pid, "SIGTERM"); } catch { return; }
    const timer = setTimeout(() => { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }, 20_000);
    await done;
    clearTimeout(timer);
  };
  // Bounded wait for the socket (and the daemon's own readiness probe), not a timing assertion.
  for (let i = 0; i < 1200; i++) {
    if (existsSync(socket) && (!ready || ready())) return { pid, socket, logFile, stop };
    const r = spawnSync("kill", ["-0", String(pid)]);
    if (r.status !== 0) break;
    sleep(50);
  }
  try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
  throw new Error(`${path.basename(cmd)} did not come up on ${socket}:\n${readFileSync(logFile, "utf8").slice(-3000)}`);
}

/** containerd with its own root/state/socket; the CRI plugin is disabled (not needed, slow to start). */
export function startContainerd(dir: string, env?: NodeJS.ProcessEnv): Daemon {
  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, "containerd.sock");
  const config = path.join(dir, "containerd.toml");
  writeFileSync(config, [
    "version = 2",
    `root = ${JSON.stringify(path.join(dir, "root"))}`,
    `state = ${JSON.stringify(path.join(dir, "state"))}`,
    `disabled_plugins = ["io.containerd.grpc.v1.cri"]`,
    "[grpc]",
    `  address = ${JSON.stringify(socket)}`,
    "[ttrpc]",
    `  address = ${JSON.stringify(socket + ".ttrpc")}`,
    "",
  ].join("\n"));
  const ctr = program("ctr");
  return startDaemon(program("containerd"), ["--config", config], socket, path.join(dir, "containerd.log"), env,
    () => spawnSync(ctr, ["--address", socket, "version"], { stdio: "ignore" }).status === 0);
}

/** `ctr` against a private containerd. */
export function ctr(d: Daemon, args: string[], opts: { input?: Buffer | string } = {}): ReturnType<typeof spawnSync> {
  return spawnSync(program("ctr"), ["--address", d.socket, ...args], { encoding: "utf8", input: opts.input, timeout: 180_000, maxBuffer: 64 << 20 });
}

export interface DockerdOptions {
  /** daemon.json content (merged over the test defaults). */
  daemonJson?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

/**
 * dockerd with its own data-root, exec-root and socket, no networking, the vfs
 * storage driver; it starts its own containerd (under exec-root).
 */
export function startDockerd(dir: string, opts: DockerdOptions = {}): Daemon {
  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, "docker.sock");
  const config = path.join(dir, "daemon.json");
  writeFileSync(config, JSON.stringify({ "storage-driver": "vfs", ...opts.daemonJson }, null, 2) + "\n");
  const args = [
    "--config-file", config,
    "--data-root", path.join(dir, "data"),
    "--exec-root", path.join(dir, "exec"),
    "--pidfile", path.join(dir, "docker.pid"),
    "--host", `unix://${socket}`,
    "--bridge", "none",
    "--iptables=false",
    "--ip-masq=false",
  ];
  const dockerCli = program("docker");
  return startDaemon(program("dockerd"), args, socket, path.join(dir, "dockerd.log"), opts.env,
    () => spawnSync(dockerCli, ["--host", `unix://${socket}`, "version"], { stdio: "ignore" }).status === 0);
}

/** `docker` CLI against a private dockerd. */
export function docker(d: Daemon, args: string[], opts: { input?: Buffer | string } = {}): ReturnType<typeof spawnSync> {
  return spawnSync(program("docker"), ["--host", `unix://${d.socket}`, ...args], {
    encoding: "utf8", input: opts.input, timeout: 180_000, maxBuffer: 64 << 20, env: { ...process.env, DOCKER_CONFIG: path.join(path.dirname(d.socket), "cli") },
  });
}

/** A tarball (Buffer) of a rootfs directory, for `docker import` / `ctr images import`. */
export function tarRootfs(rootfs: string): Buffer {
  const r = spawnSync("tar", ["-C", rootfs, "-c", "."], { maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** `docker import` a busybox rootfs as `tag`. */
export function dockerImportRootfs(d: Daemon, rootfs: string, tag: string): void {
  const r = docker(d, ["import", "-", tag], { input: tarRootfs(rootfs) });
  if (r.status !== 0) throw new Error(`docker import failed: ${String(r.stderr)}`);
}
