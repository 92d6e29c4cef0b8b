/**
 * `actk install`: set up a node in one command — programs, default config,
 * engines, CDI specs, systemd units, NVIDIA names — recording every change in
 * the install journal (after each step) so `actk uninstall` undoes exactly it.
 * Everything happens under the HostRoot, so `--host-root /host` in a
 * DaemonSet (or a simulated host in tests) never touches the real /.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import type { HostRoot } from "../host/host-root.js";
import type { ConfigureOptions, Engine, EngineId } from "../engines/engine.js";
import { backupDir } from "../engines/journal.js";
import { configureEngine, planEngine } from "../engines/transaction.js";
import { loadConfig, loadConfigText, NVIDIA_CONFIG_PATH, SYSTEM_CONFIG_PATH } from "../config/load.js";
import { allKeys, renderConfigFile, renderDefaultConfig, type PluginDefaults } from "../config/schema.js";
import { parseSetOptions } from "../config/set-option.js";
import { setTomlValue } from "../config/toml-edit.js";
import { defaultStrategies, generateSpecs } from "../cdi/generate.js";
import { asHostSees } from "../cdi/host-view.js";
import { serializeSpec } from "../cdi/write.js";
import type { Vendor } from "../vendors/vendor.js";
import { installFile, installSymlink, recordNewDirs, type Change } from "./files.js";
import { readInstallJournal, writeInstallJournal, type InstallJournal } from "./journal.js";
import { distFiles, layoutFor, nvidiaNames, programs, runtimeLauncher, wrapperScript, type Layout } from "./layout.js";
import { systemdUnits } from "./systemd-units.js";

export const cdiDir = "/etc/cdi";
export const unitDir = "/etc/systemd/system";
export const wantsDir = "/etc/systemd/system/multi-user.target.wants";
/** Units `actk install` enables (the watch service is installed but left off). */
export const enabledUnits = ["actk-cdi-refresh.service", "actk-cdi-refresh.path", "actk-runtime-helper.service"];

export type StepStatus = "changed" | "unchanged" | "skipped" | "would-change";

export interface StepResult {
  id: string;
  status: StepStatus;
  detail: string;
}

export interface InstallResult {
  dryRun: boolean;
  steps: StepResult[];
  restartNeeded: boolean;
  /** Commands that restart the engines whose config changed. */
  restartCommands: string[];
  journal?: string;
}

export interface InstallOptions {
  host: HostRoot;
  prefix: string;
  /** Engines to configure, with their plugins (looked up by the caller). */
  engines: Engine[];
  runtimeName: string;
  cdiEnabled: boolean;
  setAsDefault: boolean;
  /** undefined: verify on the real host, or when the engine's binary exists in the host root. */
  verify: boolean | undefined;
  cdi: boolean;
  systemd: boolean;
  compatNvidia: boolean;
  withNode: boolean;
  dryRun: boolean;
  /** The dist directory to copy (default: the one this actk runs from). */
  distDir: string;
  /** The node binary copied with --with-node. */
  nodeBinary: string;
  vendors: () => Vendor[];
  pluginDefaults: PluginDefaults;
  actkVersion: string;
  /** Called as each step finishes (progress output). */
  onStep?: (step: StepResult, index: number, total: number) => void;
}

const engineBinaries: Record<EngineId, string> = { docker: "dockerd", containerd: "containerd", crio: "crio", podman: "podman" };
const binDirs = ["/usr/bin", "/usr/local/bin", "/usr/sbin", "/usr/local/sbin", "/bin", "/sbin"];

function engineBinaryInRoot(host: HostRoot, id: EngineId): string | undefined {
  return binDirs.map((d) => path.posix.join(d, engineBinaries[id])).find((p) => host.stat(p)?.isFile());
}

/**
 * The engine's major version (containerd: decides a v3 drop-in or an in-place edit). Under
 * --host-root it asks the node's own binary, found inside the root, with a clean environment.
 */
function engineMajor(engine: Engine, host: HostRoot): number | undefined {
  if (host.isRealHost) return engine.detectMajor?.();
  if (!engine.detectMajor) return undefined;
  const bin = engineBinaryInRoot(host, engine.id);
  if (!bin) return undefined;
  const r = spawnSync(host.resolve(bin), ["--version"], { encoding: "utf8", timeout: 10_000, env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
  const m = /\bv?(\d+)\.(\d+)\.\d+/.exec(r.stdout ?? "");
  return m ? Number(m[1]) : undefined;
}

function summarise(changes: Change[], what: string, dryRun: boolean): { status: StepStatus; detail: string } {
  const created = changes.filter((c) => c === "created").length;
  const updated = changes.filter((c) => c === "updated").length;
  if (created + updated === 0) return { status: "unchanged", detail: `${what}: up to date` };
  const parts = [created ? `${created} created` : "", updated ? `${updated} updated` : ""].filter(Boolean).join(", ");
  return { status: dryRun ? "would-change" : "changed", detail: `${what}: ${dryRun ? "would be " : ""}${parts}` };
}

export function engineConfigureOptions(engine: Engine, layout: Layout, o: Pick<InstallOptions, "runtimeName" | "cdiEnabled" | "setAsDefault" | "host">): ConfigureOptions {
  const major = engineMajor(engine, o.host);
  return {
    runtimeName: o.runtimeName,
    runtimePath: path.posix.join(layout.binDir, "actk-runtime"),
    runtimeArgs: [],
    setAsDefault: o.setAsDefault,
    cdiEnabled: o.cdiEnabled,
    cdiSpecDirs: [],
    configPath: engine.defaultConfigPath,
    dropInPath: engine.defaultDropInPath,
    configMode: "config-file",
    ociHookPath: "/usr/share/containers/oci/hooks.d/oci-actk-hook.json",
    hookPath: path.posix.join(layout.binDir, "actk-hook"),
    ...(major !== undefined ? { engineMajor: major } : {}),
  };
}

/**
 * The config to write: the commented default, or — when the host has NVIDIA's config.toml,
 * which a new actk file takes precedence over — that file's settings (as `actk config --set`
 * does); hook.path set through the config module's --set machinery.
 */
function newConfigText(host: HostRoot, pluginDefaults: PluginDefaults, hookPath: string): { text: string; from?: string } {
  const loaded = loadConfig({ hostRoot: host.root, env: {}, pluginDefaults });
  let text = loaded.format === "nvidia" ? renderConfigFile(loaded.config, pluginDefaults) : renderDefaultConfig(pluginDefaults);
  for (const s of parseSetOptions([`hook.path=${hookPath}`], allKeys(pluginDefaults))) text = setTomlValue(text, s.key.path, s.value, SYSTEM_CONFIG_PATH);
  loadConfigText(text, SYSTEM_CONFIG_PATH, pluginDefaults);
  return { text, ...(loaded.format === "nvidia" ? { from: NVIDIA_CONFIG_PATH } : {}) };
}

/** The canonical command that repeats the generation on the host itself (recorded in the spec). */
const generateCommand = `actk cdi generate --vendor all --cdi-version minimum --annotations auto --output ${cdiDir}`;


/** Refuses (before the first write) when a directory actk writes to, or its nearest existing parent, is not writable. */
function checkWritable(host: HostRoot, dirs: string[]): void {
  for (const d of dirs) {
    let p = d;
    while (p !== "/" && !fs.existsSync(host.hostPath(p))) p = path.posix.dirname(p);
    try {
      fs.accessSync(host.hostPath(p), fs.constants.W_OK);
    } catch {
      throw new ActkError(`not writable (actk install writes ${d})`, {
        file: host.hostPath(p), exitCode: ExitCode.host, unchanged: true, fix: "run actk install as root (sudo), or give --host-root a writable tree",
      });
    }
  }
}

export function runInstall(o: InstallOptions): InstallResult {
  const { host, dryRun } = o;
  if (!path.posix.isAbsolute(o.prefix)) {
    throw new ActkError(`"${o.prefix}" is not an absolute path`, { place: "--prefix", exitCode: ExitCode.usage, unchanged: true, fix: "give --prefix an absolute path, e.g. /usr/local" });
  }
  const layout = layoutFor(path.posix.normalize(o.prefix));
  const hookPath = path.posix.join(layout.binDir, "actk-hook");

  // Everything that can be wrong with the input is found before the first write.
  const sources = distFiles(o.distDir);
  const launcher = runtimeLauncher(o.distDir);
  const previous = readInstallJournal(host);
  if (previous && previous.prefix !== layout.prefix) {
    throw new ActkError(`actk is already installed with --prefix ${previous.prefix}`, {
      place: "--prefix", exitCode: ExitCode.usage, unchanged: true, fix: `run \`actk uninstall\` first, or install again with --prefix ${previous.prefix}`,
    });
  }
  const existingConfig = host.readTextIfExists(SYSTEM_CONFIG_PATH);
  const configHookPath = existingConfig !== undefined
    ? loadConfigText(existingConfig, host.hostPath(SYSTEM_CONFIG_PATH), o.pluginDefaults).config.hook.path
    : hookPath;
  // Built (and checked) before the first write: a malformed NVIDIA config.toml stops here.
  const newConfig = existingConfig === undefined ? newConfigText(host, o.pluginDefaults, hookPath) : undefined;
  const engineOpts = o.engines.map((e) => ({ engine: e, opts: engineConfigureOptions(e, layout, o) }));
  const enginePlans = engineOpts.map(({ engine, opts }) => planEngine(engine, opts, host));
  if (o.withNode && !fs.existsSync(o.nodeBinary)) {
    throw new ActkError("the node binary to copy does not exist", { file: o.nodeBinary, place: "--with-node", exitCode: ExitCode.host, unchanged: true, fix: "run actk with a node installed in a fixed place" });
  }

  if (!dryRun) {
    checkWritable(host, [
      path.posix.join(layout.libDir, "bin"), layout.binDir, path.posix.dirname(SYSTEM_CONFIG_PATH), "/var/lib/actk",
      ...(o.cdi ? [cdiDir] : []), ...(o.systemd ? [wantsDir] : []),
    ]);
  }

  const journal: InstallJournal = previous ?? { version: 1, installedAt: new Date().toISOString(), prefix: layout.prefix, records: [] };
  const records = journal.records;
  const startCount = records.length;
  /** Write the journal when a step changed something (records may be updated in place). */
  const save = (changes: readonly Change[]): void => {
    if (dryRun || changes.every((c) => c === "unchanged")) return;
    recordNewDirs(host, "/var/lib/actk/install.json", records);
    writeInstallJournal(host, journal);
  };

  const total = 5 + o.engines.length;
  const result: InstallResult = { dryRun, steps: [], restartNeeded: false, restartCommands: [] };
  const step = (s: StepResult): void => {
    result.steps.push(s);
    o.onStep?.(s, result.steps.length, total);
  };
  const skipped = (id: string, why: string): void => step({ id, status: "skipped", detail: `${id}: skipped (${why})` });

  // actk-runtime's launcher runs its JS part on a bun beside it when there is one (docs/runtime.md), and so
  // does the runtime helper's unit.
  const bun = path.join(o.distDir, "..", "node_modules", "@oven", "bun-linux-x64", "bin", "bun");
  const shipsBun = o.withNode && fs.existsSync(bun);
  const installedBun = path.posix.join(layout.libDir, "lib", "bun");
  try {
    // 1. Programs.
    const changes: Change[] = [];
    for (const f of sources) {
      const bytes = f.rel === "bin/actk-runtime" ? launcher.bytes : fs.readFileSync(f.abs);
      changes.push(installFile(host, path.posix.join(layout.libDir, f.rel), bytes, f.mode, records, dryRun));
    }
    if (o.withNode) changes.push(installFile(host, layout.nodePath, fs.readFileSync(o.nodeBinary), 0o755, records, dryRun));
    if (shipsBun) changes.push(installFile(host, installedBun, fs.readFileSync(bun), 0o755, records, dryRun));
    for (const p of programs) {
      const entry = path.posix.join(layout.binDir, p);
      changes.push(o.withNode && p !== "actk-runtime"
        ? installFile(host, entry, wrapperScript(layout, p), 0o755, records, dryRun)
        : installSymlink(host, entry, path.posix.relative(layout.binDir, path.posix.join(layout.libDir, "bin", p)), records, dryRun));
    }
    save(changes);
    const launcherNote = launcher.kind === "native" ? "native actk-runtime launcher" : `sh actk-runtime launcher${launcher.why ? `: ${launcher.why}` : ""}`;
    step({ id: "programs", ...summarise(changes, `programs in ${layout.binDir} (files in ${layout.libDir}; ${launcherNote})`, dryRun) });

    // 2. Config (only when missing: a host's own config is never replaced).
    if (existingConfig !== undefined) {
      step({ id: "config", status: "unchanged", detail: `config: ${SYSTEM_CONFIG_PATH} exists; left as it is (hook.path = ${configHookPath})` });
    } else {
      const c = installFile(host, SYSTEM_CONFIG_PATH, newConfig?.text ?? "", 0o644, records, dryRun);
      save([c]);
      step({ id: "config", ...summarise([c], `config ${SYSTEM_CONFIG_PATH}${newConfig?.from ? ` (from the settings of ${newConfig.from})` : ""}`, dryRun) });
    }

    // 3. Engines.
    engineOpts.forEach(({ engine, opts }, i) => {
      const plan = enginePlans[i];
      const verify = o.verify ?? (host.isRealHost || engineBinaryInRoot(host, engine.id) !== undefined);
      const mark = records.length;
      for (const f of plan?.files ?? []) if (f.before !== f.after) recordNewDirs(host, f.path, records);
      recordNewDirs(host, path.posix.join(backupDir, "journal"), records);
      const r = configureEngine(engine, opts, host, { dryRun, verify });
      if (!r.changed) {
        records.splice(mark);
        step({ id: engine.id, status: "unchanged", detail: `${engine.id}: already configured (restart needed: no)` });
        return;
      }
      if (!dryRun && !records.some((x) => x.kind === "engine" && x.runtime === engine.id && x.runtimeName === opts.runtimeName)) {
        records.push({ kind: "engine", runtime: engine.id, runtimeName: opts.runtimeName });
      }
      save(["updated"]);
      if (r.restartNeeded && r.restartCommand) result.restartCommands.push(r.restartCommand);
      result.restartNeeded ||= r.restartNeeded;
      const restart = r.restartNeeded ? `yes${r.restartCommand ? ` — ${r.restartCommand}` : ""}` : "no";
      const files = r.files.map((f) => `${f.path} (${f.action})`).join(", ");
      const verified = r.verification ? `; verification ${r.verification.skipped ? "skipped" : r.verification.ok ? "ok" : "failed"}` : "";
      step({
        id: engine.id, status: dryRun ? "would-change" : "changed",
        detail: `${engine.id}: ${dryRun ? "would configure" : "configured"} ${files}${verified} (restart needed: ${restart})`,
      });
    });

    // 4. CDI specs.
    if (!o.cdi) {
      skipped("cdi", "--no-cdi");
    } else {
      const gen = generateSpecs(o.vendors(), {
        strategies: defaultStrategies, cdiVersion: "minimum", hookPath: configHookPath, host, annotations: "auto",
        allDevice: true, command: generateCommand, actkVersion: o.actkVersion,
      });
      if (gen.specs.length === 0) {
        step({ id: "cdi", status: "skipped", detail: "cdi: skipped (no vendor has devices on this host; `actk cdi generate` once the driver is loaded)" });
      } else {
        const cdiChanges = gen.specs.map((g) => {
          const { spec, header } = asHostSees(g.spec, g.header, host);
          return installFile(host, path.posix.join(cdiDir, `${g.baseName}.yaml`), serializeSpec(spec, "yaml", header), 0o644, records, dryRun);
        });
        save(cdiChanges);
        step({ id: "cdi", ...summarise(cdiChanges, `CDI specs in ${cdiDir} (${gen.specs.map((g) => g.kind).join(", ")})`, dryRun) });
      }
    }

    // 5. systemd units.
    if (!o.systemd) {
      skipped("systemd", "--no-systemd");
    } else {
      const unitChanges: Change[] = [];
      const helperBun = shipsBun ? { bun: installedBun, actkBundle: path.posix.join(layout.libDir, "bin", "actk") } : undefined;
      for (const u of systemdUnits(layout.binDir, helperBun)) unitChanges.push(installFile(host, path.posix.join(unitDir, u.name), u.content, 0o644, records, dryRun));
      for (const name of enabledUnits) unitChanges.push(installSymlink(host, path.posix.join(wantsDir, name), path.posix.join(unitDir, name), records, dryRun));
      save(unitChanges);
      const s = summarise(unitChanges, `systemd units in ${unitDir} (enabled: ${enabledUnits.join(", ")})`, dryRun);
      if (s.status === "changed") s.detail += `; ${daemonReload(host)}`;
      step({ id: "systemd", ...s });
    }

    // 6. NVIDIA names.
    if (!o.compatNvidia) {
      skipped("compat", "no --compat nvidia");
    } else {
      const compatChanges: Change[] = [];
      for (const n of nvidiaNames) {
        compatChanges.push(installSymlink(host, path.posix.join(layout.binDir, n.name), n.target, records, dryRun));
        // With bundled node the hook wrapper runs lib/bin/<the name it was called by>.
        if (o.withNode && n.target === "actk-hook") compatChanges.push(installSymlink(host, path.posix.join(layout.libDir, "bin", n.name), n.target, records, dryRun));
      }
      save(compatChanges);
      step({ id: "compat", ...summarise(compatChanges, `NVIDIA names in ${layout.binDir} (${nvidiaNames.map((n) => n.name).join(", ")})`, dryRun) });
    }
  } catch (e) {
    // What was done so far stays undoable; the first error is the one to report.
    try { if (records.length > startCount) save(["updated"]); } catch { /* the error below says what failed */ }
    throw e;
  }
  if (!dryRun && records.length) result.journal = host.hostPath("/var/lib/actk/install.json");
  return result;
}

/** `systemctl daemon-reload` on the real host when systemd runs; never under --host-root. */
export function daemonReload(host: HostRoot): string {
  if (!host.isRealHost) return "systemd not reloaded (--host-root)";
  if (!fs.existsSync("/run/systemd/system")) return "systemd is not running here; the units take effect at its next start";
  const systemctl = ["/usr/bin/systemctl", "/bin/systemctl"].find((p) => fs.existsSync(p));
  if (!systemctl) return "systemctl not found; run `systemctl daemon-reload`";
  const r = spawnSync(systemctl, ["daemon-reload"], { stdio: "ignore", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
  return r.status === 0 ? "systemd reloaded" : "`systemctl daemon-reload` failed; run it by hand";
}
