/**
 * `cdi transform root`: move a spec's paths from one root to another, as
 * `nvidia-ctk cdi transform root` does (research nvidia-toolkit §2.5). A path is
 * rewritten only when it is the `from` root or lies under it at a component
 * boundary; the spec version and everything else stay as they were.
 */
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import type { ContainerEdits } from "../edits/container-edits.js";
import type { CdiSpec } from "./spec.js";

export type RelativeTo = "host" | "container";

export function parseRelativeTo(text: string): RelativeTo {
  if (text === "host" || text === "container") return text;
  throw new ActkError(`invalid --relative-to value "${text}"`, { place: "--relative-to", exitCode: ExitCode.usage, fix: "use host or container" });
}

/** `p` with the root `from` replaced by `to`, or `p` when it is not under `from`. */
export function rerootPath(p: string, from: string, to: string): string {
  const f = from.replace(/\/+$/, "");
  if (p === f || (p + "/").startsWith(f + "/")) {
    const rest = p.slice(f.length);
    return path.posix.join(to || "/", rest || "/").replace(/(.)\/$/, "$1");
  }
  return p;
}

function rerootArgs(args: string[] | undefined, f: (p: string) => string): string[] | undefined {
  // Hook args may hold paths, and `a::b` pairs (create-symlinks); both halves are rewritten.
  return args?.map((a) => a.split("::").map(f).join("::"));
}

function transformEdits(e: ContainerEdits, from: string, to: string, rel: RelativeTo): ContainerEdits {
  const r = (p: string): string => rerootPath(p, from, to);
  const out: ContainerEdits = { ...e };
  if (e.deviceNodes) {
    out.deviceNodes = e.deviceNodes.map((n) =>
      rel === "host" ? { ...n, hostPath: r(n.hostPath || n.path) } : { ...n, path: r(n.path) });
  }
  if (e.mounts) {
    out.mounts = e.mounts.map((m) => (rel === "host" ? { ...m, hostPath: r(m.hostPath) } : { ...m, containerPath: r(m.containerPath) }));
  }
  if (e.hooks) {
    out.hooks = e.hooks.map((h) => {
      const inContainer = h.hookName === "createContainer" || h.hookName === "startContainer";
      if (rel === "host") {
        const hook = { ...h, path: h.hookName === "startContainer" ? h.path : r(h.path) };
        if (!inContainer && h.args) hook.args = rerootArgs(h.args, r);
        return hook;
      }
      const hook = { ...h, path: h.hookName === "startContainer" ? r(h.path) : h.path };
      if (inContainer && h.args) hook.args = rerootArgs(h.args, r);
      return hook;
    });
  }
  return out;
}

/** The spec with `from` replaced by `to` in host (or container) paths. */
export function transformRoot(spec: CdiSpec, from: string, to: string, rel: RelativeTo = "host"): CdiSpec {
  if (!from.startsWith("/") || (to !== "" && !to.startsWith("/"))) {
    throw new ActkError(`--from and --to must be absolute paths (got "${from}" and "${to}")`, { place: "--from/--to", exitCode: ExitCode.usage, fix: "e.g. --from /run/nvidia/driver --to /" });
  }
  if (from === to) return spec;
  return {
    ...spec,
    devices: spec.devices.map((d) => ({ ...d, containerEdits: transformEdits(d.containerEdits, from, to, rel) })),
    ...(spec.containerEdits ? { containerEdits: transformEdits(spec.containerEdits, from, to, rel) } : {}),
  };
}
