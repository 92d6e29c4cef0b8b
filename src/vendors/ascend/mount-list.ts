/**
 * Ascend's mount lists: `/etc/ascend-docker-runtime.d/<name>.list`, one
 * absolute host path per line, mounted at the same path in the container.
 * Blank lines and `#` comments are skipped (as Ascend's CDI provider does);
 * at most 128 entries per file (Ascend's own limit). Globs (`*?[`) are
 * allowed in the last component only (ub_driver.list uses `/usr/lib64/libummu*`);
 * as in Ascend's hook, a match that is a symlink must resolve inside the
 * pattern's directory.
 */
import path from "node:path";
import { ActkError, ExitCode } from "../../core/errors.js";
import type { HostRoot } from "../../host/host-root.js";
import { checkListEntry, entrySyntaxProblem, globToRegExp, isGlob } from "../../host/list-entry.js";

export const mountListDir = "/etc/ascend-docker-runtime.d";
export const maxListEntries = 128;

export interface MountListEntry {
  /** Path as written (host path = container path). */
  path: string;
  line: number;
}

/** A list entry checked against the host: where it resolves and whether it is there. */
export interface ResolvedListEntry extends MountListEntry {
  /** Resolved path as the host sees it (symlinks followed inside the host root). */
  resolved: string;
  /** Where that is on this machine (under --host-root): the bind-mount source. */
  hostPath: string;
  exists: boolean;
  isDirectory: boolean;
}

/** Pure: the entries of one list file; throws ActkError (file + line) on the first bad line. */
export function parseMountList(text: string, file: string): MountListEntry[] {
  const out: MountListEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, "");
    const value = raw.trim();
    if (value === "" || value.startsWith("#")) continue;
    const line = i + 1;
    if (isGlob(path.posix.dirname(value))) {
      throw new ActkError(`"${value}" has a glob pattern in a directory component; only the last component may be a pattern`, {
        file, line, exitCode: ExitCode.badInput, fix: "write the directories in full",
      });
    }
    const bad = entrySyntaxProblem(value);
    if (bad) throw new ActkError(bad.problem, { file, line, exitCode: ExitCode.badInput, fix: bad.fix });
    out.push({ path: value, line });
    if (out.length > maxListEntries) {
      throw new ActkError(`more than ${maxListEntries} entries`, {
        file, line, exitCode: ExitCode.badInput, fix: `split the list into files of at most ${maxListEntries} entries`,
      });
    }
  }
  return out;
}

/** A list name from ASCEND_RUNTIME_MOUNTS must name a file in mountListDir, nothing else. */
export function checkListName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || name.includes("..")) {
    throw new ActkError(`"${name}" is not a mount list name`, {
      place: "ASCEND_RUNTIME_MOUNTS", exitCode: ExitCode.badInput,
      fix: `use the name of a file in ${mountListDir} without ".list" (letters, digits, "_", "-", ".")`,
    });
  }
}

/** Read, parse and resolve one list file; entries that resolve outside the host root are errors. */
export function loadMountList(host: HostRoot, file: string): ResolvedListEntry[] {
  const text = host.readText(file);
  const shown = host.hostPath(file);
  const out: ResolvedListEntry[] = [];
  const fail = (line: number, problem: string, fix: string): never => {
    throw new ActkError(problem, { file: shown, line, exitCode: ExitCode.badInput, fix });
  };
  for (const entry of parseMountList(text, shown)) {
    if (!isGlob(entry.path)) {
      const check = checkListEntry(host, entry.path);
      if (!check.ok) fail(entry.line, check.problem, check.fix);
      else out.push({ ...entry, resolved: check.resolved, hostPath: host.hostPath(check.resolved), exists: check.exists, isDirectory: check.isDirectory });
      continue;
    }
    const dir = path.posix.dirname(entry.path);
    const dirCheck = checkListEntry(host, dir);
    if (!dirCheck.ok) fail(entry.line, dirCheck.problem, dirCheck.fix);
    else if (!dirCheck.exists) continue;
    const pattern = globToRegExp(path.posix.basename(entry.path));
    const realDir = dirCheck.ok ? dirCheck.resolved : dir;
    for (const d of host.readdir(realDir)) {
      if (!pattern.test(d.name)) continue;
      const match = path.posix.join(dir, d.name);
      const check = checkListEntry(host, match);
      if (!check.ok) { fail(entry.line, check.problem, check.fix); continue; }
      if (d.isSymbolicLink && path.posix.dirname(check.resolved) !== realDir) {
        fail(entry.line, `"${match}" matches "${entry.path}" but is a symbolic link to ${check.resolved}, outside ${dir}`,
          "list the link's target explicitly if it should be mounted");
      }
      out.push({
        path: match, line: entry.line, resolved: check.resolved, hostPath: host.hostPath(check.resolved),
        exists: check.exists, isDirectory: check.isDirectory,
      });
    }
  }
  return out;
}
