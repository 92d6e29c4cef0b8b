/**
 * The container engines on the host (docker, containerd, CRI-O, podman) as
 * far as actk depends on them: which version, whether actk's runtime (or its
 * OCI hook) is configured, whether CDI is switched on where the engine needs
 * a switch, whether containerd's actk entry has runc's cgroup driver
 * (a mismatch makes every container fail with a cgroup error), whether the
 * daemon was restarted after its config changed, and docker's `--gpus`
 * prerequisite.
 *
 * Engine configs are read through the engine plugins: asking a plugin what
 * `actk runtime configure` would change tells whether actk is configured,
 * without a second parser per engine. Under --host-root everything is read
 * from the tree; engine programs are only run on the real host.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { PluginType, type PluginRegistration } from "../../core/registry.js";
import { toActkError } from "../../core/errors.js";
import type { ConfigureOptions, Engine, EnginePlan } from "../../engines/engine.js";
import { criPluginPath, containerdConfigVersion } from "../../engines/containerd/plan.js";
import { findProgram } from "../../engines/program.js";
import { parseTomlTable, type TomlTable } from "../../engines/toml-edit.js";
import { planEngine } from "../../engines/transaction.js";
import { getAt, isPlainObject, type SetChange } from "../../engines/value-change.js";
import type { HostRoot } from "../../host/host-root.js";
import type { CheckResult, DoctorCheck, DoctorContext } from "../check.js";
import { maxCdiVersionFor, parseProgramVersion } from "./cdi.js";

const runtimeName = "actk";
const defaultRuntimePath = "/usr/local/bin/actk-runtime";
const hookFiles = ["/usr/share/containers/oci/hooks.d/oci-actk-hook.json", "/etc/containers/oci/hooks.d/oci-actk-hook.json"];
const binDirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The program of each engine, and the daemon process whose start time matters (none for podman). */
const programs: Record<string, { program: string; daemon?: string }> = {
  docker: { program: "dockerd", daemon: "dockerd" },
  containerd: { program: "containerd", daemon: "containerd" },
  crio: { program: "crio", daemon: "crio" },
  podman: { program: "podman" },
};

/** Where a program is: under the root's bin dirs, or (real host) on PATH. */
function programOnHost(host: HostRoot, name: string): string | undefined {
  if (host.isRealHost) return findProgram(name);
  return binDirs.map((d) => `${d}/${name}`).find((p) => host.stat(p)?.isFile());
}

function programVersion(bin: string): string | undefined {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000, env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" } });
  return parseProgramVersion(`${r.stdout ?? ""}\n${r.stderr ?? ""}`);
}

function configureOptions(engine: Engine, ctx: DoctorContext, cdiEnabled: boolean): ConfigureOptions {
  return {
    runtimeName, runtimePath: defaultRuntimePath, runtimeArgs: [], setAsDefault: false, cdiEnabled, cdiSpecDirs: [],
    configPath: engine.defaultConfigPath, dropInPath: engine.defaultDropInPath, configMode: "config-file",
    ociHookPath: hookFiles[0] as string, hookPath: ctx.config.config.hook.path,
  };
}

const setChanges = (plan: EnginePlan): SetChange[] => plan.files.flatMap((f) => f.changes).filter((c): c is SetChange => c.op === "set");

/** What the plugin's plan says about the actk entry: missing, present with a runtime path, or present as configured. */
export function actkEntry(plan: EnginePlan): { present: boolean; runtimePath?: string; pending: string[] } {
  const sets = setChanges(plan);
  const missing = sets.some((c) => c.path[c.path.length - 1] === runtimeName && !c.hadPrevious);
  if (missing) return { present: false, pending: [] };
  const pathChange = sets.find((c) => ["BinaryName", "path", "runtime_path"].includes(c.path[c.path.length - 1] as string) && c.path.includes(runtimeName));
  const entryChange = sets.find((c) => c.path[c.path.length - 1] === runtimeName && c.hadPrevious);
  let runtimePath: string | undefined = defaultRuntimePath;
  if (pathChange) runtimePath = typeof pathChange.previous === "string" ? pathChange.previous : undefined;
  else if (entryChange) {
    // docker {path}, podman [path]: the whole entry is re-set when it differs.
    const prev = entryChange.previous;
    runtimePath = Array.isArray(prev) ? (typeof prev[0] === "string" ? prev[0] : undefined)
      : isPlainObject(prev) && typeof prev.path === "string" ? prev.path : undefined;
  }
  const pending = plan.files.flatMap((f) => f.changes)
    .filter((c) => c !== pathChange && c !== entryChange)
    .map((c) => `${c.path.join(".")}${c.op === "append" ? " (+)" : ""}`);
  return { present: true, ...(runtimePath ? { runtimePath } : {}), pending };
}

/** containerd: the main config merged with the files it imports (deep, as containerd 2.x merges), and which file defines what. */
export function containerdEffective(host: HostRoot, main: string): { doc: TomlTable; files: string[]; version?: 1 | 2 | 3; actkFile?: string } {
  const text = host.readTextIfExists(main);
  const doc = parseTomlTable(text ?? "", main);
  const version = containerdConfigVersion(doc, text, main);
  const files = text === undefined ? [] : [main];
  let actkFile = version && getAt(doc, [...criPluginPath[version], "containerd", "runtimes", runtimeName]) !== undefined ? main : undefined;
  const imports = Array.isArray(doc.imports) ? doc.imports.filter((x): x is string => typeof x === "string") : [];
  for (const imp of imports) {
    const abs = imp.startsWith("/") ? imp : path.posix.join(path.posix.dirname(main), imp);
    const dir = path.posix.dirname(abs);
    const base = path.posix.basename(abs);
    const re = new RegExp(`^${base.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    for (const e of host.readdir(dir)) {
      if (!e.isFile || !re.test(e.name)) continue;
      const f = `${dir}/${e.name}`;
      const t = host.readTextIfExists(f);
      if (t === undefined) continue;
      const part = parseTomlTable(t, f);
      mergeDeep(doc, part);
      files.push(f);
      if (version && getAt(part, [...criPluginPath[version], "containerd", "runtimes", runtimeName]) !== undefined) actkFile = f;
    }
  }
  return { doc, files, ...(version ? { version } : {}), ...(actkFile ? { actkFile } : {}) };
}

function mergeDeep(target: TomlTable, over: TomlTable): void {
  for (const [k, v] of Object.entries(over)) {
    const t = target[k];
    if (isPlainObject(t) && isPlainObject(v)) mergeDeep(t, v);
    else target[k] = v;
  }
}

/** Seconds since the epoch at which each running process named `name` started, from /proc/<pid>/stat and btime. */
export function processStartTimes(host: HostRoot, name: string, clockTicks = 100): { pid: number; start: number }[] {
  const btime = Number(/^btime\s+(\d+)/m.exec(host.readTextIfExists("/proc/stat") ?? "")?.[1]);
  if (!Number.isFinite(btime) || btime <= 0) return [];
  const out: { pid: number; start: number }[] = [];
  for (const e of host.readdir("/proc")) {
    if (!/^\d+$/.test(e.name) || !e.isDirectory) continue;
    const comm = host.readTextIfExists(`/proc/${e.name}/comm`)?.trim();
    if (comm !== name) continue;
    const stat = host.readTextIfExists(`/proc/${e.name}/stat`) ?? "";
    // Fields after "(comm)": state is field 3, starttime field 22 (proc(5)).
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(rest[19]);
    if (Number.isFinite(ticks)) out.push({ pid: Number(e.name), start: btime + ticks / clockTicks });
  }
  return out;
}

function restartResult(engine: Engine, host: HostRoot, files: string[]): CheckResult | undefined {
  const daemon = programs[engine.id]?.daemon;
  if (!daemon || !files.length) return undefined;
  const procs = processStartTimes(host, daemon);
  if (!procs.length) return undefined;
  const latest = files.map((f) => ({ f, mtime: (host.stat(f)?.mtimeMs ?? 0) / 1000 })).sort((a, b) => b.mtime - a.mtime)[0];
  if (!latest) return undefined;
  const started = Math.min(...procs.map((p) => p.start));
  const id = `engine.${engine.id}.restart`;
  // One second of slack: btime and start ticks are rounded.
  if (latest.mtime > started + 1) {
    return {
      id, status: "fail",
      summary: `${latest.f} changed at ${new Date(latest.mtime * 1000).toISOString()}, after ${daemon} (pid ${procs[0]?.pid}) started at ${new Date(started * 1000).toISOString()}: the running daemon does not use the change`,
      fix: engine.restartCommand || `restart ${daemon}`,
    };
  }
  return { id, status: "ok", summary: `${daemon} (pid ${procs[0]?.pid}) started after its config last changed` };
}

function cdiResult(engine: Engine, ctx: DoctorContext, version: string | undefined, containerdVersion?: 1 | 2 | 3, doc?: TomlTable): CheckResult | undefined {
  const id = `engine.${engine.id}.cdi`;
  if (version && maxCdiVersionFor(engine.id, version) === "none" && (engine.id === "docker" || engine.id === "containerd")) {
    return {
      id, status: "warn",
      summary: `${engine.id} ${version} reads no CDI specs (CDI needs ${engine.id === "docker" ? "docker 25.0" : "containerd 1.7"} or later); only actk-runtime's own injection works with it`,
      fix: `upgrade ${engine.id}, or request devices through actk-runtime (runtime.mode jit or cdi) instead of the engine's CDI support`,
    };
  }
  if (engine.id === "docker") {
    const plan = planEngine(engine, configureOptions(engine, ctx, true), ctx.host);
    const c = setChanges(plan).find((x) => x.path.join(".") === "features.cdi");
    if (!c) return { id, status: "ok", summary: "CDI is enabled (features.cdi = true)" };
    const major = version ? version.split(".").map(Number) : undefined;
    const defaultOn = major !== undefined && ((major[0] ?? 0) > 28 || ((major[0] ?? 0) === 28 && (major[1] ?? 0) >= 2));
    if (defaultOn && !(c.hadPrevious && c.previous === false)) return { id, status: "ok", summary: `CDI is on by default in docker ${version}` };
    return {
      id, status: "warn",
      summary: c.hadPrevious && c.previous === false ? "features.cdi is false: `docker run --device vendor.com/class=name` fails"
        : `features.cdi is not set${version ? ` and docker ${version} needs it` : " (docker 25.0–28.1 need it; 28.2+ have it on by default)"}: \`docker run --device nvidia.com/gpu=0\` fails`,
      fix: `actk runtime configure --runtime docker --cdi.enabled, then ${engine.restartCommand}`,
    };
  }
  if (engine.id === "containerd" && containerdVersion && doc) {
    const enabled = getAt(doc, [...criPluginPath[containerdVersion], "enable_cdi"]);
    if (enabled === true) return { id, status: "ok", summary: "CDI is enabled (enable_cdi = true)" };
    if (containerdVersion === 3 && enabled !== false) return { id, status: "ok", summary: "CDI is on by default in containerd 2.x (config version 3)" };
    return {
      id, status: "warn",
      summary: `enable_cdi is ${enabled === false ? "false" : "not set"} in the CRI plugin: CDI device requests (Kubernetes device plugins, cdi.k8s.io annotations) are ignored`,
      fix: `actk runtime configure --runtime containerd --cdi.enabled, then ${engine.restartCommand} (CDI needs containerd 1.7 or later)`,
    };
  }
  return undefined;
}

function cgroupResult(version: 1 | 2 | 3, doc: TomlTable, actkFile: string | undefined): CheckResult | undefined {
  const runtimes = getAt(doc, [...criPluginPath[version], "containerd", "runtimes"]);
  if (!isPlainObject(runtimes) || !isPlainObject(runtimes[runtimeName])) return undefined;
  const id = "engine.containerd.cgroup";
  const def = getAt(doc, [...criPluginPath[version], "containerd", "default_runtime_name"]);
  const baseName = typeof def === "string" && def !== runtimeName && isPlainObject(runtimes[def]) ? def : isPlainObject(runtimes.runc) ? "runc" : undefined;
  if (!baseName) return undefined;
  const systemd = (name: string): boolean => getAt(runtimes, [name, "options", "SystemdCgroup"]) === true;
  const want = systemd(baseName);
  const have = systemd(runtimeName);
  if (want === have) return { id, status: "ok", summary: `runtime "${runtimeName}" uses the same cgroup driver as "${baseName}" (SystemdCgroup = ${want})` };
  const table = [...criPluginPath[version], "containerd", "runtimes", runtimeName, "options"].map((k) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k))).join(".");
  return {
    id, status: "fail",
    summary: `runtime "${runtimeName}" has SystemdCgroup = ${have} but "${baseName}" has ${want}: containers started with actk fail (or escape the kubelet's cgroup accounting) because the runtime and the kubelet disagree on the cgroup driver`,
    fix: `set SystemdCgroup = ${want} in [${table}]${actkFile ? ` of ${actkFile}` : ""}, then systemctl restart containerd`,
  };
}

function gpusResult(ctx: DoctorContext): CheckResult | undefined {
  const nvidia = ctx.vendors.find((v) => v.id === "nvidia");
  if (!nvidia || !ctx.discovery(nvidia).devices.length) return undefined;
  const id = "engine.docker.gpus";
  const hook = programOnHost(ctx.host, "nvidia-container-runtime-hook");
  if (hook) return { id, status: "ok", summary: `docker --gpus finds nvidia-container-runtime-hook (${hook})` };
  return {
    id, status: "warn",
    summary: "nvidia-container-runtime-hook is not in PATH: `docker run --gpus all` fails with \"could not select device driver \\\"\\\" with capabilities: [[gpu]]\" (docker before 29.2, or without CDI)",
    fix: "actk install --compat nvidia (installs nvidia-container-runtime-hook as actk-hook), or use `docker run --device nvidia.com/gpu=all` with CDI",
  };
}

function inspectEngine(engine: Engine, ctx: DoctorContext): CheckResult[] {
  const host = ctx.host;
  const prog = programs[engine.id];
  const bin = prog ? programOnHost(host, prog.program) : undefined;
  const configs = [engine.defaultConfigPath, engine.defaultDropInPath].filter((p) => p && host.stat(p)?.isFile());
  if (!bin && !configs.length) return [];
  const out: CheckResult[] = [];
  const id = `engine.${engine.id}`;
  const version = bin && host.isRealHost ? programVersion(bin) : undefined;
  const what = `${engine.id}${version ? ` ${version}` : ""}${bin ? ` (${bin})` : ""}${!host.isRealHost ? " (version not asked under --host-root)" : ""}`;
  let plan: EnginePlan;
  try {
    plan = planEngine(engine, configureOptions(engine, ctx, false), host);
  } catch (e) {
    const err = toActkError(e);
    return [{ id, status: "fail", summary: `${what}: its config cannot be read: ${err.format()}`, fix: err.fix ?? `fix ${err.file ?? engine.defaultConfigPath}` }];
  }
  const entry = actkEntry(plan);
  const hook = (engine.id === "crio" || engine.id === "podman") ? hookFiles.find((f) => host.exists(f)) : undefined;
  if (!entry.present && !hook) {
    out.push({
      id, status: "warn",
      summary: `${what}: actk is not configured (no "${runtimeName}" runtime${engine.id === "crio" || engine.id === "podman" ? " and no actk OCI hook" : ""})`,
      fix: `actk runtime configure --runtime ${engine.id}${engine.restartCommand ? `, then ${engine.restartCommand}` : ""}`,
    });
  } else if (entry.present && entry.pending.some((p) => p.startsWith("imports"))) {
    out.push({
      id, status: "fail",
      summary: `${what}: runtime "${runtimeName}" is in ${engine.defaultDropInPath}, but ${engine.defaultConfigPath} does not import it: containerd does not know the runtime`,
      fix: `add "${path.posix.dirname(engine.defaultDropInPath)}/*.toml" to imports in ${engine.defaultConfigPath} (actk runtime configure --runtime ${engine.id} does), then ${engine.restartCommand}`,
    });
  } else if (entry.present && entry.runtimePath && !host.exists(entry.runtimePath)) {
    out.push({
      id, status: "fail",
      summary: `${what}: runtime "${runtimeName}" points at ${entry.runtimePath}, which does not exist: containers using it fail to start`,
      fix: `actk install, or actk runtime configure --runtime ${engine.id} --runtime-path PATH-OF-actk-runtime`,
    });
  } else {
    out.push({
      id, status: "ok",
      summary: `${what}: actk is configured (${entry.present ? `runtime "${runtimeName}" → ${entry.runtimePath ?? "?"}` : `OCI hook ${hook}`})${entry.pending.length ? `; configure would still set ${entry.pending.join(", ")}` : ""}`,
    });
  }
  let files = configs;
  let containerd: ReturnType<typeof containerdEffective> | undefined;
  if (engine.id === "containerd") {
    try {
      containerd = containerdEffective(host, engine.defaultConfigPath);
      files = containerd.files;
    } catch (e) {
      out.push({ id: `${id}.config`, status: "fail", summary: toActkError(e).format(), fix: "fix the file named" });
    }
  }
  const cdi = cdiResult(engine, ctx, version, containerd?.version, containerd?.doc);
  if (cdi) out.push(cdi);
  if (containerd?.version) {
    const cg = cgroupResult(containerd.version, containerd.doc, containerd.actkFile);
    if (cg) out.push(cg);
  }
  const restart = restartResult(engine, host, files);
  if (restart) out.push(restart);
  if (engine.id === "docker") {
    const gpus = gpusResult(ctx);
    if (gpus) out.push(gpus);
  }
  return out;
}

export function makeEngineCheck(engines: readonly Engine[]): DoctorCheck {
  return {
    id: "engine",
    description: "container engines: version, actk configured, CDI switched on, containerd cgroup driver, restarted since the config changed, docker --gpus hook",
    run(ctx) {
      const out: CheckResult[] = [];
      for (const engine of engines) {
        try {
          out.push(...inspectEngine(engine, ctx));
        } catch (e) {
          out.push({ id: `engine.${engine.id}`, status: "fail", summary: `cannot inspect ${engine.id}: ${toActkError(e).format()}`, fix: "see the message" });
        }
      }
      return out;
    },
  };
}

/** Registered with the engine plugins as a requirement, so the check uses the same plugins `runtime configure` does. */
export const engineCheckPlugin: PluginRegistration<DoctorCheck> = {
  type: PluginType.doctorCheck,
  id: "engine",
  requires: [PluginType.engine],
  init: (ictx) => makeEngineCheck(ictx.all<Engine>(PluginType.engine)),
};
