/**
 * The edge of the containerd engine: which containerd is installed, and
 * `containerd --config FILE config dump` to check the result parses and shows
 * the runtime.
 */
import { spawnSync } from "node:child_process";
import { parse as parseToml } from "smol-toml";
import type { ConfigureOptions, EnginePlan, VerifyContext, VerifyResult } from "../engine.js";
import { findProgram, programMajor } from "../program.js";
import { getAt } from "../value-change.js";
import { criPluginPath } from "./plan.js";

export function detectContainerdMajor(): number | undefined {
  const bin = findProgram("containerd");
  return bin ? programMajor(bin) : undefined;
}

/** Where the runtime shows up in a dump, for any config version. */
export function dumpedBinaryName(dump: unknown, runtimeName: string): unknown {
  for (const plugin of Object.values(criPluginPath)) {
    const v = getAt(dump, [...plugin, "containerd", "runtimes", runtimeName, "options", "BinaryName"]);
    if (v !== undefined) return v;
  }
  return undefined;
}

export function verifyContainerd(opts: ConfigureOptions, plan: EnginePlan, ctx: VerifyContext): VerifyResult {
  const bin = findProgram("containerd");
  if (!bin) return { ok: true, skipped: true, detail: "containerd is not installed; not verified" };
  const major = programMajor(bin);
  // The file that holds the runtime: the drop-in when one was written, else the main file.
  const file = plan.files.find((f) => f.path !== opts.configPath)?.path ?? opts.configPath;
  const text = plan.files.find((f) => f.path === file)?.after ?? "";
  if (/^\s*version\s*=\s*3\b/m.test(text) && (major ?? 0) < 2) {
    return { ok: true, skipped: true, detail: `the installed containerd ${major ?? "?"}.x cannot read config version 3; not verified` };
  }
  const r = spawnSync(bin, ["--config", ctx.hostPath(file), "config", "dump"], {
    encoding: "utf8", timeout: 60_000, env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
  });
  const shown = `containerd --config ${file} config dump`;
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || "").trim().split("\n").pop() ?? "";
    return { ok: false, detail: `\`${shown}\` failed: ${why}` };
  }
  let dump: unknown;
  try {
    dump = parseToml(r.stdout);
  } catch (e) {
    return { ok: false, detail: `\`${shown}\` printed TOML that does not parse: ${(e as Error).message.split("\n")[0]}` };
  }
  const binary = dumpedBinaryName(dump, opts.runtimeName);
  if (binary !== opts.runtimePath) {
    return { ok: false, detail: `\`${shown}\` does not show runtime "${opts.runtimeName}" with BinaryName ${opts.runtimePath}` };
  }
  const cdiIgnored = opts.cdiEnabled && !Object.values(criPluginPath).some((p) => getAt(dump, [...p, "enable_cdi"]) === true);
  return {
    ok: true,
    detail: `\`${shown}\` shows runtime "${opts.runtimeName}" (BinaryName ${opts.runtimePath})` +
      (cdiIgnored ? "; this containerd does not know enable_cdi (CDI needs containerd 1.7 or later)" : ""),
  };
}
