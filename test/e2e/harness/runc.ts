/**
 * Drive an OCI runtime (runc, or actk-runtime in its place) the way engines
 * do: create → start → wait → delete, under a private --root so tests never
 * see or touch the host's containers.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";

export interface RuntimeRun {
  /** Runtime binary (runc or dist/bin/actk-runtime). */
  runtime: string;
  /** Private state dir for --root. */
  root: string;
  bundle: string;
  id: string;
  /** Environment of the runtime process (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface LifecycleResult {
  create: { status: number | null; stderr: string };
  /** What the container printed on stdout, "" when create failed. */
  output: string;
  /** The container's stderr (after create's own messages). */
  stderr?: string;
  exitStatus?: number;
}

function runtimeCall(r: RuntimeRun, args: string[], stdio?: [number | "ignore", number | "pipe", number | "pipe"]): SpawnSyncReturns<string> {
  return spawnSync(r.runtime, ["--root", r.root, ...args], {
    env: r.env ?? process.env,
    encoding: "utf8",
    stdio: stdio ?? ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  });
}

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** `runtime state`'s status, or undefined when the container does not exist. */
export function containerStatus(r: RuntimeRun): string | undefined {
  const s = runtimeCall(r, ["state", r.id]);
  if (s.status !== 0) return undefined;
  return (JSON.parse(s.stdout) as { status: string }).status;
}

/**
 * create (container stdio to a file, like a shim would pass fds), start, wait
 * until stopped, delete. Always deletes what it created.
 */
export function runLifecycle(r: RuntimeRun): LifecycleResult {
  mkdirSync(r.root, { recursive: true });
  // The container inherits the fds given to create, so a pipe would stay open until it exits.
  const outFile = path.join(path.dirname(r.root), `${r.id}.out`);
  const errFile = path.join(path.dirname(r.root), `${r.id}.err`);
  const out = openSync(outFile, "w");
  const err = openSync(errFile, "w");
  let create: SpawnSyncReturns<string>;
  try {
    create = spawnSync(r.runtime, ["--root", r.root, "create", "--bundle", r.bundle, r.id], {
      env: r.env ?? process.env, encoding: "utf8", stdio: ["ignore", out, err], timeout: 120_000,
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const result: LifecycleResult = { create: { status: create.status, stderr: readFileSync(errFile, "utf8") }, output: "" };
  if (create.status !== 0) return result;
  try {
    const start = runtimeCall(r, ["start", r.id]);
    if (start.status !== 0) throw new Error(`start failed: ${start.stderr}`);
    // Wait for the container's process to exit: bounded polling, not a timing assertion.
    for (let i = 0; i < 1200 && containerStatus(r) === "running"; i++) sleep(25);
    result.output = readFileSync(outFile, "utf8");
    result.stderr = readFileSync(errFile, "utf8");
  } finally {
    runtimeCall(r, ["delete", "--force", r.id]);
  }
  return result;
}

/** `runtime run` in the foreground; stdout/stderr of the container are returned. */
export function runForeground(r: RuntimeRun): SpawnSyncReturns<string> {
  mkdirSync(r.root, { recursive: true });
  return runtimeCall(r, ["run", "--bundle", r.bundle, r.id]);
}
