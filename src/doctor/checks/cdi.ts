/**
 * CDI specs as the engines will read them: every file in cdi.specDirs (under
 * the host root) parses and is valid; every device node and mounted file it
 * references exists with the same numbers (a spec left from an earlier driver
 * or module load is the usual cause of "unresolvable CDI devices" and of
 * containers that start without their GPU); no device is defined in two
 * files; and no file has a cdiVersion newer than an installed engine accepts.
 */
import * as fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { loadSpecDirs, type LoadedSpec } from "../../cdi/load.js";
import { readGenerationRecord } from "../../cdi/refresh.js";
import { compareCdiVersions } from "../../cdi/spec.js";
import { validateAgainstHost, validateSpec, validateSpecSet, type Problem } from "../../cdi/validate.js";
import { findProgram } from "../../engines/program.js";
import type { CheckResult, DoctorCheck, DoctorContext } from "../check.js";

/**
 * Highest cdiVersion each engine release reads (its bundled CDI library), from
 * /work/shared/research/cdi-and-vendors.md §B.2; a row holds until the next.
 * "none": that release reads no CDI spec at all.
 */
const engineCdiSupport: Record<string, readonly (readonly [string, string])[]> = {
  podman: [["0.0.0", "none"], ["4.1.0", "0.4.0"], ["4.3.0", "0.5.0"], ["4.7.0", "0.6.0"], ["5.1.0", "0.7.0"], ["5.2.0", "0.8.0"], ["5.5.0", "1.0.0"]],
  crio: [["0.0.0", "none"], ["1.24.0", "0.3.0"], ["1.25.0", "0.5.0"], ["1.28.0", "0.6.0"], ["1.30.0", "0.7.0"], ["1.31.0", "0.8.0"], ["1.33.0", "1.0.0"], ["1.35.0", "1.1.0"]],
  containerd: [["0.0.0", "none"], ["1.7.0", "0.5.0"], ["1.7.12", "0.6.0"], ["1.7.16", "0.7.0"], ["1.7.27", "0.8.0"], ["2.0.0", "0.8.0"], ["2.0.5", "1.0.0"], ["2.2.1", "1.1.0"]],
  docker: [["0.0.0", "none"], ["25.0.0", "0.6.0"], ["25.0.17", "0.8.0"], ["26.0.0", "0.6.0"], ["26.1.0", "0.7.0"], ["27.4.0", "0.8.0"], ["28.1.0", "1.0.0"], ["29.2.0", "1.1.0"]],
};

/** The programs whose `--version` says which engine release is installed. */
const enginePrograms: Record<string, string> = { podman: "podman", crio: "crio", containerd: "containerd", docker: "dockerd" };

export interface EngineVersion {
  engine: string;
  version: string;
}

/** Highest cdiVersion `engine` at `version` reads, "none" when it reads no CDI, undefined when unknown. */
export function maxCdiVersionFor(engine: string, version: string): string | undefined {
  const rows = engineCdiSupport[engine];
  if (!rows) return undefined;
  let found: string | undefined;
  for (const [from, max] of rows) if (compareCdiVersions(version, from) >= 0) found = max;
  return found;
}

/** x.y.z from `<program> --version` ("Docker version 20.10.24+dfsg1, build …" → 20.10.24). */
export function parseProgramVersion(text: string): string | undefined {
  const m = /\bv?(\d+\.\d+\.\d+)/.exec(text);
  return m?.[1];
}

/** Installed engine versions on the real host (never under --host-root: the programs there cannot be run). */
export function installedEngineVersions(): EngineVersion[] {
  const out: EngineVersion[] = [];
  for (const [engine, program] of Object.entries(enginePrograms)) {
    const bin = findProgram(program);
    if (!bin) continue;
    const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000, env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" } });
    const version = parseProgramVersion(`${r.stdout ?? ""}\n${r.stderr ?? ""}`);
    if (version) out.push({ engine, version });
  }
  return out;
}

/** Files whose cdiVersion an installed engine cannot read, one line each; and the engines that read no CDI. */
export function versionProblems(specs: readonly LoadedSpec[], engines: readonly EngineVersion[]): { problems: string[]; noCdi: string[] } {
  const problems: string[] = [];
  const noCdi: string[] = [];
  for (const e of engines) {
    const max = maxCdiVersionFor(e.engine, e.version);
    if (max === undefined) continue;
    if (max === "none") {
      noCdi.push(`${e.engine} ${e.version}`);
      continue;
    }
    for (const s of specs) {
      if (compareCdiVersions(s.spec.cdiVersion, max) > 0) {
        problems.push(`${s.file} has cdiVersion ${s.spec.cdiVersion} but ${e.engine} ${e.version} reads at most ${max}`);
      }
    }
  }
  return { problems, noCdi };
}

function specDirs(ctx: DoctorContext): string[] {
  return ctx.config.config.cdi.specDirs.map((d) => ctx.host.hostPath(d));
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return ""; // Loaded a moment ago; if it is gone now, there is no record to read.
  }
}

/** The command that regenerates a spec: the one it records, else a generic generate. */
function regenerateFor(s: LoadedSpec): string {
  return readGenerationRecord(readText(s.file), s.spec)?.command ?? `actk cdi generate --output ${path.dirname(s.file)}`;
}

const line = (p: Problem): string => `${p.file ? `${p.file}${p.line ? `:${p.line}` : ""}: ` : ""}${p.device ?? p.place}: ${p.message}`;

function validity(ctx: DoctorContext, dirs: string[], specs: LoadedSpec[], loadErrors: string[]): CheckResult {
  const id = "cdi.specs";
  const problems = specs.flatMap((s) => validateSpec(s.spec, s.file, s.deviceLines)).filter((p) => p.severity === "error");
  const count = specs.length + loadErrors.length;
  if (count === 0) {
    const needed = ctx.config.config.runtime.mode === "cdi";
    return {
      id, status: needed ? "fail" : "ok",
      summary: `no CDI specs in ${dirs.join(", ")}${needed ? ", but runtime.mode is cdi" : " (CDI requests cannot be resolved until specs are generated)"}`,
      ...(needed ? { fix: `actk cdi generate --output ${ctx.config.config.cdi.specDirs[0] ?? "/etc/cdi"}` } : {}),
    };
  }
  const errors = [...loadErrors, ...problems.map(line)];
  if (!errors.length) return { id, status: "ok", summary: `${specs.length} CDI spec file(s) valid (${specs.reduce((n, s) => n + s.spec.devices.length, 0)} devices)` };
  return {
    id, status: "fail",
    summary: `${errors.length} problem(s) in CDI specs: ${errors.slice(0, 3).join("; ")}${errors.length > 3 ? "; …" : ""}`,
    fix: "fix or regenerate the files named (actk cdi validate lists every problem; engines reject the whole file for one error)",
    details: errors,
  };
}

/** The spec was generated for another driver version than the one the host runs now. */
function driverProblem(s: LoadedSpec, ctx: DoctorContext): Problem | undefined {
  const recorded = readGenerationRecord(readText(s.file), s.spec)?.driverVersion;
  const vendor = ctx.vendors.find((v) => s.spec.kind.startsWith(`${v.cdiVendor}/`));
  if (!recorded || !vendor) return undefined;
  const now = ctx.discovery(vendor).driverVersion;
  if (!now || now === recorded) return undefined;
  return { severity: "error", file: s.file, place: "annotations", message: `generated for driver ${recorded} but the host runs ${now}` };
}

function staleness(specs: LoadedSpec[], ctx: DoctorContext): CheckResult[] {
  const out: CheckResult[] = [];
  for (const s of specs) {
    // The configured hook program is toolkit.hook's concern; a spec naming another one (made before
    // hook.path changed) is stale like a spec naming an old node: regenerating writes today's hook.path.
    const hookPath = ctx.config.config.hook.path;
    const problems = validateAgainstHost(s.spec, ctx.host, s.file)
      .filter((p) => p.severity === "error" && !(/\.hooks\[\d+\]$/.test(p.place) && p.message.startsWith(`hook program ${hookPath} `)));
    const driver = driverProblem(s, ctx);
    if (driver) problems.unshift(driver);
    if (!problems.length) continue;
    const devices = [...new Set(problems.map((p) => p.device ?? `${s.spec.kind} (spec-wide edits)`))];
    const messages = [...new Set(problems.map((p) => p.message))];
    out.push({
      id: "cdi.host",
      status: "fail",
      summary: `${s.file} is stale for ${devices.length} device(s) (${devices.slice(0, 4).join(", ")}${devices.length > 4 ? ", …" : ""}): ${messages.slice(0, 3).join("; ")}${messages.length > 3 ? "; …" : ""}`,
      fix: `run \`${regenerateFor(s)}\` (or \`actk cdi refresh\`, which repeats it for every generated spec); if a node is the stale part, recreate it first (actk system create-device-nodes)`,
      details: problems.map((p) => `${p.device ?? p.place}: ${p.message}`),
    });
  }
  if (!out.length && specs.length) {
    out.push({ id: "cdi.host", status: "ok", summary: `every device node and file the ${specs.length} spec(s) reference exists with the same numbers` });
  }
  return out;
}

function duplicates(specs: LoadedSpec[]): CheckResult {
  const id = "cdi.duplicates";
  const problems = validateSpecSet(specs);
  const errors = problems.filter((p) => p.severity === "error");
  if (errors.length) {
    return {
      id, status: "fail",
      summary: `${errors.length} device(s) defined in two files of the same directory, which engines then refuse: ${errors.slice(0, 3).map((p) => p.message).join("; ")}`,
      fix: errors[0]?.fix ?? "remove one of the two files",
      details: errors.map((p) => p.message),
    };
  }
  if (problems.length) {
    return {
      id, status: "warn",
      summary: `${problems.length} device(s) defined in two spec directories; the later one is used: ${problems.slice(0, 2).map((p) => p.message).join("; ")}`,
      fix: problems[0]?.fix ?? "remove the stale copy",
      details: problems.map((p) => p.message),
    };
  }
  return { id, status: "ok", summary: "no device is defined twice" };
}

function versions(specs: LoadedSpec[], ctx: DoctorContext, engines: () => EngineVersion[]): CheckResult {
  const id = "cdi.version";
  const highest = specs.map((s) => s.spec.cdiVersion).sort(compareCdiVersions).pop();
  if (!ctx.host.isRealHost) {
    return { id, status: "ok", summary: `highest cdiVersion ${highest}; not compared with engine versions under --host-root (the engines' programs belong to the real host)` };
  }
  const found = engines();
  if (!found.length) return { id, status: "ok", summary: `highest cdiVersion ${highest}; no engine program found to compare with` };
  const { problems, noCdi } = versionProblems(specs, found);
  const which = found.map((e) => `${e.engine} ${e.version}`).join(", ");
  if (problems.length) {
    return {
      id, status: "fail",
      summary: `${problems.join("; ")}; that engine rejects the whole file`,
      fix: "regenerate with the lowest version the content allows: actk cdi generate --cdi-version minimum --annotations auto --output DIR (or upgrade the engine)",
      details: problems,
    };
  }
  return {
    id, status: "ok",
    summary: `highest cdiVersion ${highest} is read by ${which}${noCdi.length ? ` (${noCdi.join(", ")} read${noCdi.length === 1 ? "s" : ""} no CDI specs at all)` : ""}`,
  };
}

/** Builds the check; `engines` is injectable so tests need no installed engine. */
export function makeCdiCheck(engines: () => EngineVersion[] = installedEngineVersions): DoctorCheck {
  return {
    id: "cdi",
    description: "CDI specs are valid, match the host's device nodes and files, define each device once, and are readable by the installed engines",
    run(ctx) {
      const dirs = specDirs(ctx);
      const loaded = loadSpecDirs(dirs);
      const loadErrors = loaded.errors.map((e) => e.format());
      const out: CheckResult[] = [validity(ctx, dirs, loaded.specs, loadErrors)];
      if (!loaded.specs.length) return out;
      out.push(...staleness(loaded.specs, ctx), duplicates(loaded.specs), versions(loaded.specs, ctx, engines));
      return out;
    },
  };
}

export const cdiCheck: DoctorCheck = makeCdiCheck();
