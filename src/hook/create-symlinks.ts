/**
 * `create-symlinks --link TARGET::LINK`: symlinks inside the rootfs (e.g.
 * libcuda.so → libcuda.so.1). The link's directory is resolved in-root and
 * created without following links; the link is made under a temp name and
 * renamed into place, which replaces a planted file or link instead of
 * writing through it. The target text is written verbatim: the container
 * resolves it later, inside its own root, with its own privileges.
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { checkContainerPath, resolveIn } from "./in-root.js";
import { withPinnedDir } from "./pinned-dir.js";

export interface LinkSpec {
  target: string;
  link: string;
}

export function parseLinkSpec(spec: string): LinkSpec {
  const parts = spec.split("::");
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new ActkError(`invalid symlink specification "${spec}"`, {
      place: "--link", exitCode: ExitCode.usage, fix: "write --link TARGET::LINK, e.g. --link libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so",
    });
  }
  if (parts[0].includes("\0")) throw new ActkError("symlink target contains NUL", { place: "--link", exitCode: ExitCode.usage });
  return { target: parts[0], link: checkContainerPath(parts[1], "--link") };
}

/** Returns the links created (in-root paths); existing identical links are left alone. */
export function createSymlinks(view: string, specs: readonly string[], logger: Logger): string[] {
  const parsed = specs.map(parseLinkSpec);
  const seen = new Set<string>();
  const created: string[] = [];
  for (const { target, link } of parsed) {
    if (seen.has(link)) continue;
    seen.add(link);
    const what = `create-symlinks ${link}`;
    const parent = resolveIn(view, path.posix.dirname(link));
    const name = path.posix.basename(link);
    const inRoot = path.posix.join(parent.inRoot, name);
    const made = withPinnedDir(view, parent.inRoot, { create: true, what }, (dir) => {
      const existing = dir.lstat(name);
      if (existing?.isSymbolicLink() && fs.readlinkSync(dir.at(name)) === target) return false;
      if (existing?.isDirectory()) {
        throw new ActkError(`${what}: ${inRoot} is a directory in the container`, { place: inRoot, exitCode: ExitCode.failed, fix: "the image has a directory where the link belongs" });
      }
      const tmp = `${name}.actk-${process.pid}`;
      fs.rmSync(dir.at(tmp), { force: true });
      fs.symlinkSync(target, dir.at(tmp));
      try {
        fs.renameSync(dir.at(tmp), dir.at(name));
      } catch (e) {
        fs.rmSync(dir.at(tmp), { force: true });
        throw e;
      }
      return true;
    });
    if (!made) {
      logger.debug("symlink already present", { link: inRoot, target });
      continue;
    }
    logger.info("created symlink", { link: inRoot, target });
    created.push(inRoot);
  }
  return created;
}
