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
import { assertNoSymlinks, checkContainerPath, mkdirInRoot } from "./in-root.js";

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
    const dir = mkdirInRoot(view, path.posix.dirname(link), what);
    const inRoot = path.posix.join(dir.inRoot, path.posix.basename(link));
    const host = view + inRoot;
    let existing: fs.Stats | undefined;
    try {
      existing = fs.lstatSync(host);
    } catch {
      existing = undefined;
    }
    if (existing?.isSymbolicLink() && fs.readlinkSync(host) === target) {
      logger.debug("symlink already present", { link: inRoot, target });
      continue;
    }
    if (existing?.isDirectory()) {
      throw new ActkError(`${what}: ${inRoot} is a directory in the container`, { place: inRoot, exitCode: ExitCode.failed, fix: "the image has a directory where the link belongs" });
    }
    assertNoSymlinks(view, dir.inRoot, what);
    const tmp = `${host}.actk-${process.pid}`;
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(target, tmp);
    try {
      fs.renameSync(tmp, host);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    logger.info("created symlink", { link: inRoot, target });
    created.push(inRoot);
  }
  return created;
}
