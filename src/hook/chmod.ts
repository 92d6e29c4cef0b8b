/**
 * `chmod --mode M --path P…`: permissions of files inside the rootfs (e.g. a
 * device directory). Paths are resolved in-root; a symlink is resolved to its
 * in-root target, so a link to a host path cannot be chmod'ed through, and the
 * target is changed through its pinned directory, never by re-walking its path.
 */
import * as fs from "node:fs";
import { ActkError, ExitCode } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import path from "node:path";
import { checkContainerPath, resolveIn } from "./in-root.js";
import { PinnedDir } from "./pinned-dir.js";

export function parseMode(text: string | undefined): number {
  if (text === undefined || text.trim() === "") {
    throw new ActkError("a non-empty mode must be specified", { place: "--mode", exitCode: ExitCode.usage, fix: "e.g. --mode 755" });
  }
  if (!/^0?[0-7]{1,4}$/.test(text.trim())) {
    throw new ActkError(`mode "${text}" is not an octal number`, { place: "--mode", exitCode: ExitCode.usage, fix: "write the mode in octal, e.g. 755 or 0644" });
  }
  return parseInt(text.trim(), 8);
}

/** Returns the in-root paths whose mode changed. Missing paths and paths already at the mode are skipped. */
export function chmodInRoot(view: string, modeText: string | undefined, paths: readonly string[], logger: Logger): string[] {
  const mode = parseMode(modeText);
  if (paths.length === 0) throw new ActkError("no --path given", { place: "--path", exitCode: ExitCode.usage, fix: "name at least one path: --path /dev/dri" });
  const changed: string[] = [];
  for (const raw of paths) {
    const p = checkContainerPath(raw, "--path");
    const t = resolveIn(view, p);
    const what = `chmod ${p}`;
    // The resolved path's directory, pinned (./pinned-dir.ts); the root itself has none.
    const parent = t.inRoot === "/" ? "/" : path.posix.dirname(t.inRoot);
    const name = t.inRoot === "/" ? undefined : path.posix.basename(t.inRoot);
    let dir: PinnedDir;
    try {
      dir = PinnedDir.open(view, parent, { create: false, what });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      logger.debug("chmod: path missing, skipped", { path: p });
      continue;
    }
    try {
      const st = name === undefined ? fs.statSync(dir.at()) : dir.lstat(name);
      if (!st) {
        logger.debug("chmod: path missing, skipped", { path: p });
        continue;
      }
      if ((st.mode & 0o7777) === mode) continue;
      dir.chmod(name, mode, what);
      changed.push(t.inRoot);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EPERM") {
        logger.warn("chmod: not permitted, skipped", { path: t.inRoot });
        continue;
      }
      throw e;
    } finally {
      dir.close();
    }
  }
  return changed;
}
