/**
 * OCI bundles for runc: config.json from `runc spec` (so it matches what this
 * runc expects), adjusted for tests: no terminal, the given args and env, a
 * writable busybox rootfs.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildBusyboxRootfs } from "./rootfs.js";
import { program } from "./requirements.js";

export interface BundleOptions {
  args: string[];
  /** Extra KEY=VALUE entries appended to process.env. */
  env?: string[];
  annotations?: Record<string, string>;
  /** Rootfs to use (absolute); default: a fresh busybox rootfs in <bundle>/rootfs. */
  rootfs?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OciSpec = Record<string, any>;

/** Creates `dir` as an OCI bundle and returns its config.json path. */
export function createBundle(dir: string, opts: BundleOptions): string {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(program("runc"), ["spec", "--bundle", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`runc spec failed: ${r.stderr}`);
  const configPath = path.join(dir, "config.json");
  const spec = JSON.parse(readFileSync(configPath, "utf8")) as OciSpec;
  spec.process.terminal = false;
  spec.process.args = opts.args;
  spec.process.env = [...spec.process.env, ...(opts.env ?? [])];
  if (opts.annotations) spec.annotations = { ...(spec.annotations ?? {}), ...opts.annotations };
  if (opts.rootfs) spec.root = { path: opts.rootfs, readonly: false };
  else {
    buildBusyboxRootfs(path.join(dir, "rootfs"));
    spec.root = { path: "rootfs", readonly: false };
  }
  writeFileSync(configPath, JSON.stringify(spec, null, 2) + "\n");
  return configPath;
}

export function readSpec(configPath: string): OciSpec {
  return JSON.parse(readFileSync(configPath, "utf8")) as OciSpec;
}
