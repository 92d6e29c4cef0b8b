/**
 * Resolve a path inside a root directory the way the kernel would if the root
 * were `/`: component by component, symlinks re-rooted (an absolute target
 * starts again at the root), `..` clamped at the root. Used for container
 * rootfs paths (hostile) and simulated host trees alike, so no path from an
 * image is ever followed as a plain string.
 *
 * This narrows, but cannot close, the race between resolving and using a path;
 * docs/security.md says where actk relies on the kernel (openat2/RESOLVE_IN_ROOT
 * through a mount helper) for that.
 */
import { lstatSync, readlinkSync } from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";

const MAX_SYMLINKS = 40; // Linux's MAXSYMLINKS

export interface ResolveOptions {
  /** Resolve the last component too if it is a symlink (default true). */
  followFinal?: boolean;
  /**
   * Lookups made so far, shared by the calls of one pass over a tree that does not change meanwhile (one
   * discovery of a simulated host, HostRoot.withLookupCache): each directory is then lstat'ed once, not once
   * per path under it. Never for a container's rootfs, which may change under us.
   */
  lookups?: Map<string, Lookup>;
}

/** What lstat found at a host path: nothing, a symlink (its target once read) or anything else. */
export type Lookup = { kind: "missing" } | { kind: "symlink"; target?: string } | { kind: "other" };

function lookUp(hostPath: string): Lookup {
  let st;
  try {
    st = lstatSync(hostPath);
  } catch {
    return { kind: "missing" };
  }
  return st.isSymbolicLink() ? { kind: "symlink" } : { kind: "other" };
}

/**
 * Returns the host path (root + resolved path). Missing components are kept
 * as-is (the result may not exist yet), but nothing past them is followed.
 */
export function resolveInRoot(root: string, p: string, opts: ResolveOptions = {}): string {
  return path.join(root, resolveRelativeToRoot(root, p, opts));
}

/** Like resolveInRoot but returns the resolved path as seen inside the root ("/usr/lib/x"). */
export function resolveRelativeToRoot(root: string, p: string, opts: ResolveOptions = {}): string {
  const followFinal = opts.followFinal ?? true;
  const absRoot = path.resolve(root);
  // Components are never empty, "." or "..", so root + "/" + components is already what path.join would give.
  const base = absRoot === "/" ? "" : absRoot;
  let pending = splitComponents(p);
  const resolved: string[] = [];
  let links = 0;
  let missing = false;
  while (pending.length > 0) {
    const comp = pending.shift() as string;
    if (comp === "." || comp === "") continue;
    if (comp === "..") {
      resolved.pop(); // clamp: popping the empty stack keeps us at the root
      continue;
    }
    resolved.push(comp);
    if (missing) continue;
    const isFinal = pending.length === 0;
    if (isFinal && !followFinal) break;
    const hostPath = `${base}/${resolved.join("/")}`;
    let found = opts.lookups?.get(hostPath);
    if (!found) {
      found = lookUp(hostPath);
      opts.lookups?.set(hostPath, found);
    }
    if (found.kind === "missing") {
      missing = true;
      continue;
    }
    if (found.kind !== "symlink") continue;
    if (++links > MAX_SYMLINKS) {
      throw new ActkError(`too many levels of symbolic links resolving ${p}`, {
        file: path.join(absRoot, p), exitCode: ExitCode.badInput,
      });
    }
    const target = (found.target ??= readlinkSync(hostPath));
    resolved.pop();
    if (target.startsWith("/")) resolved.length = 0;
    pending = [...splitComponents(target), ...pending];
  }
  return "/" + resolved.join("/");
}

function splitComponents(p: string): string[] {
  return p.split("/").filter((c) => c !== "");
}

/** True when `candidate` (an absolute host path) is `root` or inside it. */
export function isWithin(root: string, candidate: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(candidate));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
