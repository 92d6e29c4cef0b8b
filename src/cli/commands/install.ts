/**
 * `actk install` / `actk uninstall`: set a node up in one command, and undo
 * exactly that. Flags in, src/install out; progress one line per step.
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import { PluginType } from "../../core/registry.js";
import type { Engine } from "../../engines/engine.js";
import { engineIds } from "../../engines/engine.js";
import { pluginDefaultsOf } from "../../config/schema.js";
import { createRegistry } from "../../plugins.js";
import { runInstall, type StepResult } from "../../install/install.js";
import { runUninstall } from "../../install/uninstall.js";
import { runningDistDir } from "../../install/layout.js";
import type { Command } from "../command.js";

declare const ACTK_VERSION: string;
const actkVersion = typeof ACTK_VERSION === "string" ? ACTK_VERSION : "dev";

/**
 * A reader that goes away (`actk install | head`) must not kill the process between two
 * steps: the install goes on, and its journal records what it did.
 */
function keepGoingWithoutReader(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
    });
  }
}

function runtimeName(v: unknown): string {
  const name = String(v);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new ActkError(`"${name}" is not a valid runtime name`, { place: "--runtime-name", exitCode: ExitCode.usage, unchanged: true, fix: "use letters, digits, '.', '_' and '-'" });
  }
  return name;
}

const install: Command = {
  name: "install",
  summary: "Install actk on this node: programs, config, engines, CDI specs, systemd units",
  description: `
Steps, each reported on one line:
  programs  copies the build to <prefix>/lib/actk/ and links <prefix>/bin/{actk,actk-hook,actk-runtime}
            (with --with-node: sh wrappers that run a copy of this node binary, for hosts without node)
  config    writes /etc/actk/config.toml (the commented default, hook.path = <prefix>/bin/actk-hook)
            only when there is none
  ENGINE    one step per --runtime: adds the runtime "actk" (<prefix>/bin/actk-runtime) to the
            engine's config, as \`actk runtime configure\` does
  cdi       generates CDI specs for every vendor with devices into /etc/cdi (--no-cdi skips)
  systemd   installs actk-cdi-refresh.service/.path (regenerate the specs at boot and when the
            driver changes) and enables them (--no-systemd skips)
  compat    with --compat nvidia: nvidia-container-runtime, nvidia-container-runtime-hook,
            nvidia-ctk and nvidia-cdi-hook in <prefix>/bin, as links to actk's programs
Everything is done under --host-root when given (a DaemonSet mounts the node's / at /host);
the real / is not touched then and systemctl is not run. Every change is recorded in
/var/lib/actk/install.json after each step; \`actk uninstall\` undoes them. Running it again
changes nothing. Exit status: 0 installed (or nothing to do), 2 bad flags, 3 a malformed engine
or actk config, 4 the host lacks something (not root, no build to copy), 5 an engine rejected
its new config (its files were put back). Inputs are checked before the first write.`,
  options: {
    prefix: { type: "string", valueName: "DIR", default: "/usr/local", description: "install the programs in DIR/bin and DIR/lib/actk" },
    runtime: { type: "string", multiple: true, valueName: "ENGINE", description: `container engine to configure: ${engineIds.join(", ")}` },
    "runtime-name": { type: "string", valueName: "NAME", default: "actk", description: "name of the runtime entry in the engines' configs" },
    "set-as-default": { type: "boolean", description: "make actk the engines' default runtime" },
    "cdi.enabled": { type: "boolean", description: "switch on CDI in the engines (docker features.cdi, containerd enable_cdi)" },
    "no-verify": { type: "boolean", description: "do not check engine configs with the installed engine (default under --host-root unless the engine's binary is in the root)" },
    compat: { type: "string", valueName: "nvidia", description: "also install the NVIDIA Container Toolkit program names" },
    "with-node": { type: "boolean", description: "copy this node binary to <prefix>/lib/actk/node and make the programs use it" },
    "no-cdi": { type: "boolean", description: "do not generate CDI specs" },
    "no-systemd": { type: "boolean", description: "do not install the systemd units" },
    "dry-run": { type: "boolean", description: "list what would change; write nothing" },
    source: { type: "string", valueName: "DIR", description: "the actk build to install (default: the one this actk runs from)" },
  },
  examples: [
    "actk install --runtime containerd --cdi.enabled",
    "actk install --runtime docker --compat nvidia --dry-run",
    "actk install --host-root /host --runtime containerd --with-node --json",
  ],
  run(inv) {
    const v = inv.values;
    if (inv.positionals.length) throw new ActkError(`unexpected argument "${inv.positionals[0]}"`, { exitCode: ExitCode.usage, fix: "see `actk install --help`" });
    keepGoingWithoutReader();
    const compat = v.compat as string | undefined;
    if (compat !== undefined && compat !== "nvidia") {
      throw new ActkError(`unknown --compat value "${compat}"`, { place: "--compat", exitCode: ExitCode.usage, unchanged: true, fix: "use --compat nvidia" });
    }
    const runtimes = [...new Set(((v.runtime as string[] | undefined) ?? []).flatMap((r) => r.split(",")).map((r) => r.trim()).filter(Boolean))];
    const engines = runtimes.map((id) => inv.ctx.engine(id, { unchanged: true }));
    const host = inv.ctx.host;
    const result = runInstall({
      host,
      prefix: String(v.prefix),
      engines,
      runtimeName: runtimeName(v["runtime-name"]),
      cdiEnabled: Boolean(v["cdi.enabled"]),
      setAsDefault: Boolean(v["set-as-default"]),
      verify: v["no-verify"] ? false : undefined,
      cdi: !v["no-cdi"],
      systemd: !v["no-systemd"],
      compatNvidia: compat === "nvidia",
      withNode: Boolean(v["with-node"]),
      dryRun: Boolean(v["dry-run"]),
      distDir: (v.source as string | undefined) ?? runningDistDir(),
      nodeBinary: process.execPath,
      vendors: () => inv.ctx.vendors(),
      pluginDefaults: pluginDefaultsOf(createRegistry(host).list()),
      actkVersion,
      onStep: inv.out.json ? undefined : (s: StepResult, i: number, n: number) => inv.out.print(`[${i}/${n}] ${s.detail}`),
    });
    const changed = result.steps.some((s) => s.status === "changed" || s.status === "would-change");
    const restart = result.restartNeeded ? `yes — ${result.restartCommands.join("; ")}` : "no";
    inv.out.data(
      { dryRun: result.dryRun, steps: result.steps, restartNeeded: result.restartNeeded, restartCommands: result.restartCommands, journal: result.journal ?? null },
      () => result.dryRun
        ? `dry run: nothing written${changed ? "" : "; nothing would change"}; restart needed after applying: ${restart}`
        : `${changed ? `installed${result.journal ? ` (journal: ${result.journal})` : ""}` : "already installed; nothing changed"}; restart needed: ${restart}`,
    );
    return ExitCode.ok;
  },
};

const uninstall: Command = {
  name: "uninstall",
  summary: "Undo everything `actk install` did, from its journal",
  description: `
Reads /var/lib/actk/install.json (under --host-root) and undoes its records newest first:
files actk wrote get their previous bytes back (or are removed), links likewise, engines are
unconfigured through their own journals (values the user changed since are kept and reported),
then the journal is removed and the directories actk created are removed when empty. A file
the user edited after the install (a customised /etc/actk/config.toml) is kept and reported.
When nothing is installed it says so and exits 0.`,
  options: {
    "dry-run": { type: "boolean", description: "list what would be undone; change nothing" },
  },
  examples: ["actk uninstall", "actk uninstall --host-root /host --json"],
  run(inv) {
    if (inv.positionals.length) throw new ActkError(`unexpected argument "${inv.positionals[0]}"`, { exitCode: ExitCode.usage, fix: "see `actk uninstall --help`" });
    const dryRun = Boolean(inv.values["dry-run"]);
    keepGoingWithoutReader();
    const result = runUninstall({
      host: inv.ctx.host,
      dryRun,
      engine: (id) => inv.ctx.plugins.get<Engine>(PluginType.engine, id),
    });
    const restart = result.restartNeeded ? `yes — ${result.restartCommands.join("; ")}` : "no";
    inv.out.data(
      { installed: result.installed, dryRun, steps: result.steps.map((s) => ({ ...(s.record ? { kind: s.record.kind } : {}), detail: s.detail })), restartNeeded: result.restartNeeded, restartCommands: result.restartCommands },
      () => {
        if (!result.installed) return "actk is not installed";
        const lines = result.steps.map((s, i) => `[${i + 1}/${result.steps.length}] ${s.detail}`);
        lines.push(dryRun ? `dry run: nothing changed; restart needed after applying: ${restart}` : `uninstalled; restart needed: ${restart}`);
        return lines.join("\n");
      },
    );
    return ExitCode.ok;
  },
};

export const installCommand = install;
export const uninstallCommand = uninstall;
