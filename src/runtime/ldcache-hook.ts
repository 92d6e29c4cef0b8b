/**
 * The update-ldcache hook without a second JS process per container. Vendor
 * edits ask for `actk-hook update-ldcache --folder D…` as a createContainer
 * hook; that hook writes /etc/ld.so.conf.d/00-actk-<hash>.conf in the rootfs
 * and runs the host's `ldconfig -r <rootfs>`. The runtime can do the first part
 * itself before `create` (the rootfs is on disk already) and hand runc the
 * second as the hook: the host's ldconfig, checked like the hook checks it
 * (root-owned, not group/other-writable, outside the rootfs), with an explicit
 * minimal env. ldconfig chroot()s into the rootfs before it opens anything, so
 * every path it follows resolves inside the container (docs/security.md rule 2).
 * createContainer hooks run in the container's mount namespace after its
 * mounts and before pivot_root, so the injected libraries are there.
 *
 * Anything unexpected (other flags, no rootfs on disk, an ldconfig that fails
 * the checks) keeps the actk-hook hook as it was: it then fails or succeeds
 * exactly as before.
 */
import path from "node:path";
import type { Logger } from "../core/log.js";
import type { ContainerEdits, Hook } from "../edits/container-edits.js";
import { childEnv } from "../hook/host-exec.js";
import { checkContainerPath } from "../hook/in-root.js";
import { findLdconfig, ldconfigArgs, writeLoaderConfig } from "../hook/update-ldcache.js";
import { existsSync, statSync } from "node:fs";

export interface LdcacheLowering {
  edits: ContainerEdits;
  /** Writes the loader config into the rootfs; call only once everything else has succeeded. */
  commit(): void;
  /** How many hooks became direct ldconfig runs. */
  lowered: number;
}

/** `update-ldcache` flags this lowering understands; undefined for anything else. */
export function parseLdcacheArgs(args: readonly string[]): { folders: string[]; ldconfig?: string } | undefined {
  if (args[1] !== "update-ldcache") return undefined;
  const folders: string[] = [];
  let ldconfig: string | undefined;
  for (let i = 2; i < args.length; i++) {
    const a = args[i] as string;
    const m = /^--?(folder|ldconfig-path)(?:=(.*))?$/s.exec(a);
    if (!m) return undefined;
    const value = m[2] ?? args[++i];
    if (value === undefined) return undefined;
    if (m[1] === "folder") folders.push(value);
    else ldconfig = value.replace(/^@/, "");
  }
  return { folders, ldconfig };
}

/** The rootfs as a host path: root.path, relative to the bundle when not absolute. */
export function rootfsOf(bundle: string, rootPath: string | undefined): string | undefined {
  if (!rootPath) return undefined;
  const p = path.resolve(bundle, rootPath);
  try {
    return statSync(p).isDirectory() ? p : undefined;
  } catch {
    return undefined;
  }
}

export function lowerLdcacheHooks(edits: ContainerEdits, opts: { hookPath: string; rootfs: string | undefined; logger: Logger }): LdcacheLowering {
  const writes: (() => void)[] = [];
  let lowered = 0;
  const hooks = edits.hooks?.map((h): Hook => {
    if (h.hookName !== "createContainer" || h.path !== opts.hookPath || !opts.rootfs || !existsSync(opts.rootfs)) return h;
    const parsed = parseLdcacheArgs(h.args ?? []);
    if (!parsed) return h;
    const rootfs = opts.rootfs;
    try {
      const folders = [...new Set(parsed.folders.map((f) => checkContainerPath(f, "--folder")))];
      const ldconfig = findLdconfig({ folders, forbidden: [rootfs], ldconfig: parsed.ldconfig });
      writes.push(() => void writeLoaderConfig(rootfs, folders, opts.logger));
      lowered++;
      const env = Object.entries(childEnv()).map(([k, v]) => `${k}=${v ?? ""}`);
      return { hookName: "createContainer", path: ldconfig, args: [path.basename(ldconfig), ...ldconfigArgs(rootfs, folders)], env, ...(h.timeout ? { timeout: h.timeout } : {}) };
    } catch (e) {
      opts.logger.debug("update-ldcache stays an actk-hook hook", { error: (e as Error).message });
      return h;
    }
  });
  return {
    edits: hooks ? { ...edits, hooks } : edits,
    lowered,
    commit: () => {
      for (const w of writes) w();
    },
  };
}
