/**
 * The container a hook works on: the OCI state from stdin, the bundle's
 * config.json, and the root filesystem as the container's mount namespace
 * sees it.
 *
 * At prestart (runc, crun) the container's mounts (its /dev tmpfs, volumes)
 * exist only inside its mount namespace, and the root has not been pivoted
 * yet. `/proc/<pid>/root` + rootfs walks that namespace's tree, so every path
 * the hook resolves is resolved against what the container will really see.
 * A createContainer hook already runs inside that namespace; see containerView.
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
   * container's process is in another mount namespace than the hook, else `rootfs`
   * (the hook shares the container's namespace, or there is no process to go through).
   */
  view: string;
  /** Why `view` is what it is, for the debug log. */
  viewReason: string;
  /** `/proc/<pid>/ns/mnt` exactly when `view` goes through `/proc/<pid>/root`: the namespace mounts are made in. */
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
  const { view, reason: viewReason, mountNs } = containerView(state.pid, rootfs, procRoot);
  try {
    if (!statSync(view).isDirectory()) throw new Error("not a directory");
  } catch (e) {
    throw new ActkError(`the container's root filesystem ${rootfs} is not a directory`, {
      file: specFile, place: "root.path", exitCode: ExitCode.host, cause: e,
      fix: state.pid !== undefined ? `is container process ${state.pid} still alive?` : "check root.path",
    });
  }
  return { state, spec, specFile, rootfs, view, viewReason, mountNs };
}

interface View {
  view: string;
  reason: string;
  mountNs?: string;
}

/**
 * The tree that is the rootfs as the container sees it.
 *
 * A state's pid counts in the pid namespace of the process that wrote the
 * state, and `/proc/<pid>` names that process only when the procfs at procRoot
 * belongs to the same pid namespace. For prestart and createRuntime hooks it
 * does: they run in the runtime's namespaces and the pid's root leads into the
 * container's mounts. runc runs createContainer hooks from `runc init` itself:
 * inside the container's mount namespace before pivot_root, with its getpid()
 * in the container's pid namespace (usually 1), while /proc is still the
 * host's. /proc/1 is then the host's init, whose view of the rootfs lacks the
 * container's mounts (driver libraries, the /dev tmpfs). Our own NSpid, read
 * through the same procfs, lists our pid from the procfs's namespace down to
 * ours: more than one entry means a pid from our side cannot be looked up there,
 * and the hook, started inside the container, already sees its rootfs as is.
 * The other createContainer cases end at `rootfs` anyway: without a pid
 * namespace runc init's host pid shares our mount namespace, crun passes pid 0.
 * A runtime in a nested pid namespace with its own /proc gives one entry and
 * keeps the `/proc/<pid>/root` path.
 */
function containerView(pid: number | undefined, rootfs: string, procRoot: string): View {
  if (pid === undefined) return { view: rootfs, reason: "the state has no pid" };
  const depth = pidNamespaceDepth(procRoot);
  if (depth > 1) {
    // No mountNs: there is no process to enter, so prestart refuses to inject (the helpers need none).
    return { view: rootfs, reason: `${procRoot} belongs to another pid namespace than ours (NSpid has ${depth} entries), so it cannot name pid ${pid}: a hook runc starts inside the container (createContainer) sees the rootfs as is` };
  }
  const ns = path.join(procRoot, String(pid), "ns", "mnt");
  let theirs: string;
  let ours: string;
  try {
    theirs = readlinkSync(ns);
    ours = readlinkSync(path.join(procRoot, "self", "ns", "mnt"));
  } catch (e) {
    return { view: rootfs, reason: `cannot compare mount namespaces (${(e as Error).message})` };
  }
  if (theirs === ours) return { view: rootfs, reason: `process ${pid} shares the hook's mount namespace` };
  return { view: path.join(procRoot, String(pid), "root") + rootfs, reason: `process ${pid} has its own mount namespace`, mountNs: ns };
}

/** How many pid namespaces our NSpid line lists, from the procfs's down to ours; 1 when there is none (Linux < 4.1). */
function pidNamespaceDepth(procRoot: string): number {
  let status: string;
  try {
    status = readFileSync(path.join(procRoot, "self", "status"), "utf8");
  } catch {
    return 1;
  }
  const line = /^NSpid:(.*)$/m.exec(status);
  return line ? Math.max(1, (line[1] ?? "").trim().split(/\s+/).length) : 1;
}

/** process.env of the spec (for request parsing only: never given to the hook or its children). */
export function specEnv(spec: Record<string, unknown>): string[] {
  const p = spec.process;
  if (!isObject(p) || !Array.isArray(p.env)) return [];
  return p.env.filter((e): e is string => typeof e === "string");
}
