/**
 * The container a hook works on: the OCI state from stdin, the bundle's
 * config.json, and the root filesystem as the container's mount namespace
 * sees it.
 *
 * At prestart (runc, crun) the container's mounts (its /dev tmpfs, volumes)
 * exist only inside its mount namespace, and the root has not been pivoted
 * yet. `/proc/<pid>/root` + rootfs walks that namespace's tree, so every path
 * the hook resolves is resolved against what the container will really see.
 */
import { readFileSync, readlinkSync, statSync } from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { parseJsonWithPosition } from "../request/bundle-config.js";

export interface OciState {
  id: string;
  pid?: number;
  bundle: string;
  /** Set by crun: the rootfs, already absolute. */
  root?: string;
  annotations: Record<string, string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const stateFix = "the hook must be run by an OCI runtime, which writes the container state JSON to its stdin";

/** Parses the OCI state JSON a runtime writes to a hook's stdin. */
export function parseState(text: string): OciState {
  if (text.trim() === "") {
    throw new ActkError("no container state on stdin", { place: "stdin", exitCode: ExitCode.badInput, fix: stateFix });
  }
  const v = parseJsonWithPosition(text, "<stdin: OCI state>");
  if (!isObject(v)) throw new ActkError("the OCI state must be a JSON object", { place: "stdin", exitCode: ExitCode.badInput, fix: stateFix });
  const bundle = typeof v.bundle === "string" ? v.bundle : typeof v.bundlePath === "string" ? v.bundlePath : undefined;
  if (!bundle || !path.isAbsolute(bundle)) {
    throw new ActkError("the OCI state has no absolute \"bundle\" path", { place: "stdin: bundle", exitCode: ExitCode.badInput, fix: stateFix });
  }
  const id = typeof v.id === "string" ? v.id : "";
  let pid: number | undefined;
  if (v.pid !== undefined && v.pid !== null && v.pid !== 0) {
    if (typeof v.pid !== "number" || !Number.isInteger(v.pid) || v.pid < 1) {
      throw new ActkError(`the OCI state's "pid" must be a positive integer, not ${JSON.stringify(v.pid)}`, {
        place: "stdin: pid", exitCode: ExitCode.badInput, fix: stateFix,
      });
    }
    pid = v.pid;
  }
  const annotations: Record<string, string> = {};
  if (isObject(v.annotations)) {
    for (const [k, a] of Object.entries(v.annotations)) if (typeof a === "string") annotations[k] = a;
  }
  const root = typeof v.root === "string" && path.isAbsolute(v.root) ? v.root : undefined;
  return { id, pid, bundle: path.normalize(bundle), root, annotations };
}

export interface Container {
  state: OciState;
  /** The parsed config.json. */
  spec: Record<string, unknown>;
  specFile: string;
  /** Absolute rootfs path as the runtime knows it (root.path, relative ones joined to the bundle). */
  rootfs: string;
  /**
   * Where the hook reads and writes the rootfs: `/proc/<pid>/root<rootfs>` when the
   * container has its own mount namespace, else `rootfs`.
   */
  view: string;
  /** `/proc/<pid>/ns/mnt` when the container has its own mount namespace. */
  mountNs?: string;
}

/** Loads `<bundle>/config.json` and works out the rootfs. */
export function loadContainer(state: OciState, procRoot = "/proc"): Container {
  const specFile = path.join(state.bundle, "config.json");
  let text: string;
  try {
    text = readFileSync(specFile, "utf8");
  } catch (e) {
    throw new ActkError(`cannot read the bundle's config.json: ${(e as Error).message}`, {
      file: specFile, exitCode: ExitCode.host, fix: "the bundle path in the OCI state must be the container's bundle", cause: e,
    });
  }
  const spec = parseJsonWithPosition(text, specFile);
  if (!isObject(spec)) throw new ActkError("config.json must be a JSON object", { file: specFile, exitCode: ExitCode.badInput });
  let rootfs = state.root;
  if (!rootfs) {
    const root = spec.root;
    if (!isObject(root) || typeof root.path !== "string" || root.path === "") {
      throw new ActkError("config.json has no root.path", {
        file: specFile, place: "root.path", exitCode: ExitCode.badInput, fix: "set root.path to the container's root filesystem",
      });
    }
    rootfs = path.resolve(state.bundle, root.path);
  }
  rootfs = path.normalize(rootfs);
  if (rootfs === "/") {
    throw new ActkError("the container's root filesystem is the host's /", {
      file: specFile, place: "root.path", exitCode: ExitCode.badInput, fix: "refusing to modify the host root; give the container its own rootfs",
    });
  }
  const mountNs = state.pid !== undefined ? ownMountNamespace(state.pid, procRoot) : undefined;
  const view = mountNs && state.pid !== undefined ? path.join(procRoot, String(state.pid), "root") + rootfs : rootfs;
  try {
    if (!statSync(view).isDirectory()) throw new Error("not a directory");
  } catch (e) {
    throw new ActkError(`the container's root filesystem ${rootfs} is not a directory`, {
      file: specFile, place: "root.path", exitCode: ExitCode.host, cause: e,
      fix: state.pid !== undefined ? `is container process ${state.pid} still alive?` : "check root.path",
    });
  }
  return { state, spec, specFile, rootfs, view, mountNs };
}

/** `/proc/<pid>/ns/mnt` when it differs from ours, undefined when it is the same or unreadable. */
function ownMountNamespace(pid: number, procRoot: string): string | undefined {
  const ns = path.join(procRoot, String(pid), "ns", "mnt");
  try {
    const theirs = readlinkSync(ns);
    const ours = readlinkSync(path.join(procRoot, "self", "ns", "mnt"));
    return theirs === ours ? undefined : ns;
  } catch {
    return undefined;
  }
}

/** process.env of the spec (for request parsing only: never given to the hook or its children). */
export function specEnv(spec: Record<string, unknown>): string[] {
  const p = spec.process;
  if (!isObject(p) || !Array.isArray(p.env)) return [];
  return p.env.filter((e): e is string => typeof e === "string");
}
