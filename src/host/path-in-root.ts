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
   * What was found so far, shared by the calls of one pass over a tree that does not change meanwhile (one
   * discovery of a simulated host, HostRoot.withLookupCache): each path component is then lstat'ed once, and
   * each directory resolved once, not once per path under it. Never for a container's rootfs, which may change
   * under us.
   */
  lookups?: LookupCache;
}

/** What lstat found at a host path: nothing, a symlink (its target once read) or anything else. */
export type Lookup = { kind: "missing" } | { kind: "symlink"; target?: string } | { kind: "other" };

/** Where a walk stands: the path resolved so far ("" for the root, else "/a/b"), whether a component was missing, symlinks followed. */
interface WalkState {
  readonly resolved: string;
  readonly missing: boolean;
  readonly links: number;
}

/** Lookups by host path, and walk states by the (followed) input directory they resolve. */
export interface LookupCache {
  readonly lookups: Map<string, Lookup>;
  readonly walks: Map<string, WalkState>;
}

export function newLookupCache(): LookupCache {
  return { lookups: new Map(), walks: new Map() };
}

function lookUp(hostPath: string): Lookup {
  let st;
  try {
    // ENOENT without an exception (the common miss); ENOTDIR, EACCES … still throw.
    st = lstatSync(hostPath, { throwIfNoEntry: false });
  } catch {
    st = undefined;
  }
  if (!st) return { kind: "missing" };
  return st.isSymbolicLink() ? { kind: "symlink" } : { kind: "other" };
}

const rootState: WalkState = { resolved: "", missing: false, links: 0 };

/**
 * Returns the host path (root + resolved path). Missing components are kept
 * as-is (the result may not exist yet), but nothing past them is followed.
 */
export function resolveInRoot(root: string, p: string, opts: ResolveOptions = {}): string {
  return path.join(root, resolveRelativeToRoot(root, p, opts));
}

/** Like resolveInRoot but returns the resolved path as seen inside the root ("/usr/lib/x"). */
export function resolveRelativeToRoot(root: string, p: string, opts: ResolveOptions = {}): string {
  const absRoot = path.resolve(root);
  const walk: Walk = { base: absRoot === "/" ? "" : absRoot, absRoot, input: p, cache: opts.lookups };
  const comps = splitComponents(p);
  if (comps.length === 0) return "/";
  // Every component but the last is followed whatever followFinal says: that walk is shared by the
  // other paths in the same directory.
  const last = comps.pop() as string;
  const state = step(walk, walkDirectory(walk, comps), last, true, opts.followFinal ?? true);
  return state.resolved || "/";
}

/** One resolution's fixed parts. Components are never empty, "." or "..", so base + resolved is already what path.join would give. */
interface Walk {
  base: string;
  absRoot: string;
  input: string;
  cache: LookupCache | undefined;
}

/** The state after `comps`, every one of them followed; kept in the cache under the input directory. */
function walkDirectory(walk: Walk, comps: string[]): WalkState {
  if (comps.length === 0) return rootState;
  const key = walk.cache ? comps.join("/") : undefined;
  const known = key === undefined ? undefined : walk.cache?.walks.get(key);
  if (known) return known;
  const last = comps.pop() as string;
  const state = step(walk, walkDirectory(walk, comps), last, false, true);
  comps.push(last);
  if (key !== undefined) walk.cache?.walks.set(key, state);
  return state;
}

/** The state after one more component, as the kernel steps: `..` clamped at the root, symlinks re-rooted, nothing looked up past a missing component; a final one not to `follow` stays as it is. */
function step(walk: Walk, from: WalkState, comp: string, isFinal: boolean, follow: boolean): WalkState {
  if (comp === "." || comp === "") return from;
  if (comp === "..") {
    return from.resolved === "" ? from : { ...from, resolved: from.resolved.slice(0, from.resolved.lastIndexOf("/")) };
  }
  const resolved = `${from.resolved}/${comp}`;
  if (from.missing || (isFinal && !follow)) return { ...from, resolved };
  const hostPath = walk.base + resolved;
  let found = walk.cache?.lookups.get(hostPath);
  if (!found) {
    found = lookUp(hostPath);
    walk.cache?.lookups.set(hostPath, found);
  }
  if (found.kind === "missing") return { resolved, missing: true, links: from.links };
  if (found.kind !== "symlink") return { ...from, resolved };
  const links = from.links + 1;
  if (links > MAX_SYMLINKS) {
    throw new ActkError(`too many levels of symbolic links resolving ${walk.input}`, {
      file: path.join(walk.absRoot, walk.input), exitCode: ExitCode.badInput,
    });
  }
  const target = (found.target ??= readlinkSync(hostPath));
  // The link's components take its place: from the root when absolute, else from its directory.
  let state: WalkState = { resolved: target.startsWith("/") ? "" : from.resolved, missing: false, links };
  const targetComps = splitComponents(target);
  for (let i = 0; i < targetComps.length; i++) {
    state = step(walk, state, targetComps[i] as string, isFinal && i === targetComps.length - 1, follow);
  }
  return state;
}

function splitComponents(p: string): string[] {
  return p.split("/").filter((c) => c !== "");
}

/** True when `candidate` (an absolute host path) is `root` or inside it. */
export function isWithin(root: string, candidate: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(candidate));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
