/**
 * What an e2e test needs from the machine (root, programs) and what happens
 * when it is missing: outside CI the test is skipped with the reason; in CI
 * (CI=true) a missing requirement fails the test, so a broken CI image cannot
 * turn the e2e suite green by skipping everything.
 */
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { launcherFile } from "../../../src/install/layout.js";

/** Directories searched after PATH; test runners often start with a PATH without the sbin dirs. */
const extraDirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export const inCi = (): boolean => process.env.CI === "true" || process.env.CI === "1";

/** Absolute path of an executable named `name` (or `name` itself when it contains "/"), or undefined. */
export function findProgram(name: string): string | undefined {
  const candidates = name.includes("/")
    ? [name]
    : [...(process.env.PATH ?? "").split(":").filter(Boolean), ...extraDirs].map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return path.resolve(c);
    } catch {
      // not here
    }
  }
  return undefined;
}

function missing(t: TestContext, reason: string): false {
  if (inCi()) assert.fail(`${reason} (CI=true: a missing e2e requirement is a failure; run scripts/install-test-deps.sh)`);
  t.skip(reason);
  return false;
}

export interface Needs {
  root?: boolean;
  programs?: string[];
}

/**
 * True when the test can run. Otherwise skips it (outside CI) or fails it (in CI);
 * the caller returns at once on false: `if (!needs(t, { root: true, programs: ["runc"] })) return;`
 */
export function needs(t: TestContext, what: Needs): boolean {
  if (what.root && process.getuid?.() !== 0) return missing(t, "needs root");
  for (const p of what.programs ?? []) {
    if (!findProgram(p)) return missing(t, `needs ${p}, which is not installed`);
  }
  return true;
}

/** Same as findProgram but throws (for use after needs() said it is there). */
export function program(name: string): string {
  const p = findProgram(name);
  if (!p) throw new Error(`${name} is not installed`);
  return p;
}

/** A fresh temp dir removed after the test (also when it fails). */
export function tempDir(t: TestContext, prefix = "actk-e2e-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The repo root (where dist/ is). */
export const repoRoot = path.resolve(new URL("../../..", import.meta.url).pathname);

/** The built programs: dist/bin, or ACTK_E2E_DIST/bin to test another build (an installed one). */
export const distBin = (name: "actk" | "actk-runtime" | "actk-hook"): string =>
  path.join(process.env.ACTK_E2E_DIST ?? path.join(repoRoot, "dist"), "bin", name);

/** Whether the build's actk-runtime is the native launcher (an ELF file), which runs distShLauncher() for requests. */
export const nativeLauncherBuilt = (): boolean => launcherFile(readFileSync(distBin("actk-runtime")).subarray(0, 64)).kind === "native";

/** The build's sh launcher: lib/actk-runtime.sh beside the bin/ of distBin. */
export const distShLauncher = (): string => path.join(path.dirname(path.dirname(distBin("actk-runtime"))), "lib", "actk-runtime.sh");
