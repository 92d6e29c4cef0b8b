/** Golden files for engine tests: compare with testdata/golden/NAME; ACTK_UPDATE_GOLDEN=1 rewrites them. */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ConfigureOptions } from "../engine.js";

const here = path.dirname(new URL(import.meta.url).pathname);

export function fixture(name: string): string {
  return readFileSync(path.join(here, name), "utf8");
}

export function assertGolden(name: string, actual: string): void {
  const file = path.join(here, "golden", name);
  if (process.env.ACTK_UPDATE_GOLDEN === "1") {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, "utf8"), `output differs from golden file ${file} (ACTK_UPDATE_GOLDEN=1 rewrites it)`);
}

export function options(over: Partial<ConfigureOptions> = {}): ConfigureOptions {
  return {
    runtimeName: "actk", runtimePath: "/usr/local/bin/actk-runtime", runtimeArgs: [], setAsDefault: false,
    cdiEnabled: false, cdiSpecDirs: [], configPath: "/etc/x", dropInPath: "", configMode: "config-file",
    ociHookPath: "/usr/share/containers/oci/hooks.d/oci-actk-hook.json", hookPath: "/usr/local/bin/actk-hook",
    ...over,
  };
}

/** Parsed config read by known paths in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;
