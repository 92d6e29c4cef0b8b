/**
 * `update-ldcache [--folder D]…`: make injected libraries resolvable. The
 * folders go into /etc/ld.so.conf.d/00-actk-<hash>.conf inside the rootfs
 * (written in-root), then the HOST's ldconfig runs with `-r <rootfs>`: it
 * chroots into the rootfs itself, so every path it opens (including a planted
 * /etc/ld.so.cache symlink) is resolved inside the container. The image's
 * ldconfig (or ldconfig.real) is never run.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import type { Logger } from "../core/log.js";
import { checkContainerPath, resolveIn, writeFileInRoot } from "./in-root.js";
import { hostProgram, runHost } from "./host-exec.js";

export interface LdcacheOptions {
  folders: readonly string[];
  /** Trees the ldconfig binary must not come from (the rootfs as the runtime and the hook see it). */
  forbidden: readonly string[];
  /** Host ldconfig to use (absolute); default: the first of /usr/sbin, /usr/bin, /sbin, /bin. */
  ldconfig?: string;
}

export interface LdcacheResult {
  confFile?: string;
  ldconfig: string;
}

/** Bun's native SHA-256 where it runs (loading node:crypto costs Bun ≈10 ms, on every container). */
const bunSha256 = (globalThis as { Bun?: { SHA256: { hash(data: string, encoding: "hex"): string } } }).Bun?.SHA256;

export function confNameFor(folders: readonly string[]): string {
  const text = folders.join("\n");
  const hex = bunSha256 ? bunSha256.hash(text, "hex") : createHash("sha256").update(text).digest("hex");
  return `00-actk-${hex.slice(0, 8)}.conf`;
}

/** The host's ldconfig; like NVIDIA, `<path>.real` wins where Debian-style wrappers exist. */
export function findLdconfig(opts: LdcacheOptions): string {
  const base = opts.ldconfig ?? "ldconfig";
  try {
    return hostProgram(`${base}.real`, opts.forbidden);
  } catch {
    return hostProgram(base, opts.forbidden);
  }
}

/**
 * Writes the loader config inside the root at `view` (in-root): /etc/ld.so.conf when the image has
 * none, and /etc/ld.so.conf.d/00-actk-<hash>.conf listing `folders`. Returns the conf file's path in the root.
 */
export function writeLoaderConfig(view: string, folders: readonly string[], logger: Logger): string | undefined {
  const ldsoConf = resolveIn(view, "/etc/ld.so.conf");
  if (!fs.existsSync(ldsoConf.host)) {
    writeFileInRoot(view, "/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n", 0o644, "update-ldcache");
  }
  if (folders.length === 0) return undefined;
  const name = `/etc/ld.so.conf.d/${confNameFor(folders)}`;
  const confFile = writeFileInRoot(view, name, folders.join("\n") + "\n", 0o644, "update-ldcache").inRoot;
  logger.debug("wrote loader config", { file: confFile, folders });
  return confFile;
}

/** ldconfig's arguments: `-r` makes ldconfig chroot() into `root` before reading or writing anything. */
export function ldconfigArgs(root: string, folders: readonly string[]): string[] {
  return ["-r", root, "-f", "/etc/ld.so.conf", "-C", "/etc/ld.so.cache", ...folders];
}

export function updateLdcache(view: string, opts: LdcacheOptions, logger: Logger): LdcacheResult {
  // Look the binary up first: a missing or unsafe ldconfig must fail before the rootfs is touched.
  const ldconfig = findLdconfig(opts);
  const folders = [...new Set(opts.folders.map((f) => checkContainerPath(f, "--folder")))];
  const result: LdcacheResult = { ldconfig };
  const confFile = writeLoaderConfig(view, folders, logger);
  if (confFile) result.confFile = confFile;
  runHost("update-ldcache", ldconfig, ldconfigArgs(view, folders));
  return result;
}
