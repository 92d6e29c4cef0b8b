/**
 * Real character device nodes for simulated hosts. Node has no mknod(2), so
 * as root we run the host's mknod by absolute path (never through PATH);
 * otherwise SimTree's default writes a marked placeholder file.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { SimTree, type SimDeviceNode } from "./tree.js";

export const MKNOD_PATHS = ["/usr/bin/mknod", "/bin/mknod"] as const;

export function findMknod(): string | undefined {
  return MKNOD_PATHS.find((p) => fs.existsSync(p));
}

/** Create one char device with mknod (caller has checked we are root). */
export function mknodCharDevice(hostPath: string, major: number, minor: number, mode: number): void {
  const mknod = findMknod();
  if (!mknod) {
    throw new ActkError(`cannot create ${hostPath}: no mknod at ${MKNOD_PATHS.join(" or ")}`, {
      file: hostPath, exitCode: ExitCode.host, fix: "install coreutils, or run without root to get placeholder files",
    });
  }
  fs.mkdirSync(path.dirname(hostPath), { recursive: true });
  fs.rmSync(hostPath, { force: true });
  const r = spawnSync(mknod, ["-m", mode.toString(8).padStart(4, "0"), hostPath, "c", String(major), String(minor)], {
    encoding: "utf8", env: { PATH: "/usr/bin:/bin" },
  });
  if (r.status !== 0) {
    throw new ActkError(`mknod ${hostPath} c ${major} ${minor} failed: ${(r.stderr || r.error?.message || "").trim()}`, {
      file: hostPath, exitCode: ExitCode.external, fix: "run as root on a filesystem that allows device nodes (not nodev)",
    });
  }
  fs.chmodSync(hostPath, mode); // mknod -m is subject to nothing, but be explicit about the final bits
}

/** Install into SimTree: real nodes when the tree wants them, else its placeholder files. */
export function installCharDeviceMaker(): void {
  const placeholder = defaultMakeCharDevice;
  SimTree.makeCharDevice = (tree: SimTree, node: SimDeviceNode): void => {
    if (tree.realDeviceNodes) mknodCharDevice(tree.hostPath(node.path), node.major, node.minor, node.mode ?? 0o666);
    else placeholder(tree, node);
  };
}

const defaultMakeCharDevice = SimTree.makeCharDevice;
