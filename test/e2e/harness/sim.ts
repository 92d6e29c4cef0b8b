/**
 * Simulated hosts for e2e tests, made by the real `dist/bin/actk sim create`
 * (as root the device nodes are real char devices, so runc can mknod them in
 * the container).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { distBin, tempDir } from "./requirements.js";

/** Creates a simulated host with `profile` in a temp dir removed after the test. */
export function createSimHost(t: TestContext, profile: string): string {
  const root = path.join(tempDir(t, `actk-sim-${profile}-`), "host");
  const r = spawnSync(distBin("actk"), ["sim", "create", "--profile", profile, root], { encoding: "utf8" });
  assert.equal(r.status, 0, `actk sim create --profile ${profile} failed (run \`npm run build\` first): ${r.stderr}`);
  return root;
}
