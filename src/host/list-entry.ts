/**
 * Checks one path from a host-side mount list (Ascend `/etc/ascend-docker-runtime.d/*.list`,
 * Tegra CSV files)
 * before it becomes a bind-mount source. The list is root-owned, but it is
 * still input: an entry must be absolute, must not use `..`, and must not
 * resolve outside the host root through a relative symlink that climbs above
 * it. Absolute symlink targets are re-rooted (a simulated host tree keeps its
 * real layout), exactly as HostRoot.resolve does.
 */
import path from "node:path";
import type { HostRoot } from "./host-root.js";

const MAX_SYMLINKS = 40; // Linux's MAXSYMLINKS

export type EntryCheck =
  | { ok: true; /** Resolved path as the host sees it. */ resolved: string; exists: boolean; isDirectory: boolean }
  | { ok: false; problem: string; fix: string };

/** Syntax only: absolute, no `..` components, no NUL. */
export function entrySyntaxProblem(entry: string): { problem: string; fix: string } | undefined {
  if (entry.includes("\0")) return { problem: "the path contains a NUL byte", fix: "remove the entry" };
  if (!entry.startsWith("/")) {
    return { problem: `"${entry}" is not an absolute path`, fix: "write the full host path, starting with /" };
  }
  if (entry.split("/").includes("..")) {
    return { problem: `"${entry}" contains "..", which is not allowed`, fix: "write the path without .. components" };
  }
  return undefined;
}

/** Syntax check, then resolution inside the host root without clamping at the root. */
export function checkListEntry(host: HostRoot, entry: string): EntryCheck {
  const bad = entrySyntaxProblem(entry);
  if (bad) return { ok: false, ...bad };
  let pending = entry.split("/").filter((c) => c !== "" && c !== ".");
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const comp = pending.shift() as string;
    if (comp === "..") {
      // On the real host ".." at / stays at /; under a host root it would leave the tree.
      if (resolved.length === 0 && !host.isRealHost) {
        return {
          ok: false,
          problem: `"${entry}" resolves outside the host root through a symbolic link`,
          fix: "point the entry (or the link) at a path inside the host tree",
        };
      }
      resolved.pop();
      continue;
    }
    resolved.push(comp);
    const asHost = "/" + resolved.join("/");
    const st = host.lstat(asHost);
    if (!st) {
      const rest = [...resolved, ...pending.filter((c) => c !== "" && c !== ".")];
      return { ok: true, resolved: "/" + rest.join("/"), exists: false, isDirectory: false };
    }
    if (!st.isSymbolicLink()) continue;
    if (++links > MAX_SYMLINKS) {
      return { ok: false, problem: `too many levels of symbolic links resolving "${entry}"`, fix: "fix the symbolic link loop" };
    }
    const target = host.readlink(asHost) ?? "";
    resolved.pop();
    if (target.startsWith("/")) resolved.length = 0;
    pending = [...target.split("/").filter((c) => c !== "" && c !== "."), ...pending];
  }
  const final = "/" + resolved.join("/");
  const st = host.lstat(final);
  return { ok: true, resolved: path.posix.normalize(final), exists: st !== undefined, isDirectory: st?.isDirectory() ?? false };
}

export function isGlob(p: string): boolean {
  return /[*?[]/.test(p);
}

/** Glob (last component only) to a RegExp; `[...]` classes pass through, everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) { re += "\\["; continue; }
      const body = glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
      re += `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
