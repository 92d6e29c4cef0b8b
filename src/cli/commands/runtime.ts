/**
 * `actk runtime configure|unconfigure`: add actk-runtime to a container
 * engine's config (docker, containerd, CRI-O, podman) safely and reversibly.
 * Flags follow `nvidia-ctk runtime configure`.
 */
import path from "node:path";
import { ActkError, ExitCode } from "../../core/errors.js";
import type { ConfigMode, ConfigureOptions, Engine } from "../../engines/engine.js";
import { engineIds } from "../../engines/engine.js";
import { configureEngine, unconfigureEngine, type ConfigureResult, type UnconfigureResult } from "../../engines/transaction.js";
import type { Command, Invocation, OptionSpec } from "../command.js";
import { helperCommand } from "./runtime-helper.js";

const defaultHookFile = "/usr/share/containers/oci/hooks.d/oci-actk-hook.json";

const engineOption: Record<string, OptionSpec> = {
  runtime: { type: "string", valueName: "ENGINE", default: "docker", description: `container engine: ${engineIds.join(", ")}` },
  "runtime-name": { type: "string", valueName: "NAME", default: "actk", description: "name of the runtime entry in the engine's config" },
  "dry-run": { type: "boolean", description: "print a unified diff of every file that would change; write nothing" },
};

function engineFor(inv: Invocation): Engine {
  return inv.ctx.engine(String(inv.values.runtime));
}

function configMode(v: unknown): ConfigMode {
  if (v === "config-file" || v === "config" || v === "") return "config-file";
  if (v === "oci-hook" || v === "hook") return "oci-hook";
  throw new ActkError(`unknown config mode "${String(v)}"`, { place: "--config-mode", exitCode: ExitCode.usage, fix: "use config-file or oci-hook" });
}

function absolute(flag: string, p: string): string {
  if (!path.isAbsolute(p)) throw new ActkError(`"${p}" is not an absolute path`, { place: `--${flag}`, exitCode: ExitCode.usage, fix: `give --${flag} an absolute path` });
  return p;
}

function runtimeName(v: unknown): string {
  const name = String(v);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new ActkError(`"${name}" is not a valid runtime name`, { place: "--runtime-name", exitCode: ExitCode.usage, fix: "use letters, digits, '.', '_' and '-'" });
  }
  return name;
}

function human(r: ConfigureResult | UnconfigureResult, verb: string): string {
  const lines: string[] = [];
  if (r.dryRun) for (const f of r.files) lines.push(f.diff.trimEnd());
  for (const n of r.notes) lines.push(`note: ${n}`);
  if ("kept" in r) for (const k of r.kept) lines.push(`kept: ${k.path}: ${k.key || "(whole file)"}: ${k.reason}`);
  if (!r.changed) {
    lines.push(`no changes; restart needed: no`);
    return lines.join("\n");
  }
  if (!r.dryRun) for (const f of r.files) lines.push(`${verb} ${f.path} (${f.action})`);
  if (r.verification) lines.push(`verification: ${r.verification.skipped ? "skipped: " : r.verification.ok ? "ok: " : "failed: "}${r.verification.detail}`);
  if (r.journal && !r.dryRun && verb === "configured") lines.push(`journal: ${r.journal}`);
  const restart = r.restartNeeded ? `yes${r.restartCommand ? ` (run: ${r.restartCommand})` : ""}` : "no";
  lines.push(r.dryRun ? `dry run: nothing written; restart needed after applying: ${restart}` : `restart needed: ${restart}`);
  return lines.join("\n");
}

const configure: Command = {
  name: "configure",
  summary: "Add actk-runtime (or the actk OCI hook) to a container engine's config",
  description: `
Edits the engine's config in place without reformatting it (comments, key order and
indentation stay), or writes a drop-in where the engine merges them:
  docker      /etc/docker/daemon.json: runtimes.<name>, default-runtime, features.cdi
  containerd  config.toml v1/v2 (containerd 1.x) edited in place; v3 (containerd 2.x):
              a drop-in /etc/containerd/conf.d/99-actk.toml added to imports. The runtime
              copies runc's options (SystemdCgroup) and sets options.BinaryName.
  crio        /etc/crio/crio.conf.d/99-actk.conf, or a hooks.d file (--config-mode oci-hook)
  podman      /etc/containers/containers.conf.d/99-actk.conf, or a hooks.d file
Every write is atomic and keeps the file's mode and owner. The previous bytes and a journal
of exactly what changed go to /var/lib/actk/backups/ (under --host-root), which
\`actk runtime unconfigure\` uses to undo it. Running it twice changes nothing.
Unless --no-verify, the result is checked with the installed engine (containerd config dump;
a throw-away dockerd on a private socket) and the old files are put back if it fails.`,
  options: {
    ...engineOption,
    config: { type: "string", valueName: "PATH", description: "the engine's top-level config (default per engine, e.g. /etc/docker/daemon.json)" },
    "drop-in-config": { type: "string", valueName: "PATH", description: "drop-in file for containerd 2.x, CRI-O, podman; \"\" edits --config in place" },
    "config-mode": { type: "string", valueName: "MODE", default: "config-file", description: "config-file, or oci-hook (podman, CRI-O: write a hooks.d file for actk-hook)" },
    "oci-hook-path": { type: "string", valueName: "PATH", default: defaultHookFile, description: "hooks.d file written in oci-hook mode" },
    "oci-hook-annotation": { type: "string", valueName: "REGEX", multiple: true, description: "run the hook only for containers with an annotation whose key matches (default: every container, when.always)" },
    "runtime-path": { type: "string", valueName: "PATH", default: "/usr/local/bin/actk-runtime", description: "absolute path of actk-runtime" },
    "runtime-arg": { type: "string", valueName: "ARG", multiple: true, description: "argument the engine passes to the runtime (docker runtimeArgs); write --runtime-arg=--flag" },
    "hook-path": { type: "string", valueName: "PATH", default: "/usr/local/bin/actk-hook", description: "absolute path of actk-hook (oci-hook mode)" },
    "set-as-default": { type: "boolean", description: "make the runtime the engine's default" },
    "cdi.enabled": { type: "boolean", description: "switch on CDI in the engine (docker features.cdi, containerd enable_cdi)" },
    "cdi.spec-dir": { type: "string", valueName: "DIR", multiple: true, description: "CDI spec directory to write into the engine's config" },
    "engine-major": { type: "string", valueName: "N", description: "major version of the installed engine (default: asks its binary; containerd ≥ 2 gets a v3 drop-in for a new config)" },
    "no-verify": { type: "boolean", description: "do not check the result with the installed engine" },
  },
  examples: [
    "actk runtime configure --runtime docker --set-as-default --cdi.enabled",
    "actk runtime configure --runtime containerd --dry-run",
    "actk runtime configure --runtime crio --config-mode oci-hook",
    "actk runtime configure --runtime podman --json",
  ],
  run(inv) {
    const engine = engineFor(inv);
    const v = inv.values;
    const major = v["engine-major"] !== undefined ? Number(v["engine-major"]) : inv.ctx.host.isRealHost ? engine.detectMajor?.() : undefined;
    if (major !== undefined && !Number.isInteger(major)) {
      throw new ActkError(`"${String(v["engine-major"])}" is not a number`, { place: "--engine-major", exitCode: ExitCode.usage, fix: "give the major version, e.g. 2" });
    }
    const opts: ConfigureOptions = {
      runtimeName: runtimeName(v["runtime-name"]),
      runtimePath: absolute("runtime-path", String(v["runtime-path"])),
      runtimeArgs: (v["runtime-arg"] as string[] | undefined) ?? [],
      setAsDefault: Boolean(v["set-as-default"]),
      cdiEnabled: Boolean(v["cdi.enabled"]),
      cdiSpecDirs: ((v["cdi.spec-dir"] as string[] | undefined) ?? []).map((d) => absolute("cdi.spec-dir", d)),
      configPath: absolute("config", (v.config as string | undefined) ?? engine.defaultConfigPath),
      dropInPath: (v["drop-in-config"] as string | undefined) ?? engine.defaultDropInPath,
      configMode: configMode(v["config-mode"]),
      ociHookPath: String(v["oci-hook-path"]),
      ociHookAnnotations: (v["oci-hook-annotation"] as string[] | undefined) ?? [],
      hookPath: String(v["hook-path"]),
      ...(major !== undefined ? { engineMajor: major } : {}),
    };
    if (opts.dropInPath && !path.isAbsolute(opts.dropInPath)) absolute("drop-in-config", opts.dropInPath);
    if (engine.id === "docker" && v["drop-in-config"]) {
      throw new ActkError("docker has no drop-in configs", { place: "--drop-in-config", exitCode: ExitCode.usage, fix: "leave --drop-in-config out for --runtime docker" });
    }
    const result = configureEngine(engine, opts, inv.ctx.host, { dryRun: Boolean(v["dry-run"]), verify: !v["no-verify"] });
    inv.out.data(result, () => human(result, "configured"));
    return ExitCode.ok;
  },
};

const unconfigure: Command = {
  name: "unconfigure",
  summary: "Undo what `actk runtime configure` changed, using its journal",
  description: `
Reads the journal in /var/lib/actk/backups/ (under --host-root). A file still exactly as actk
left it gets its previous bytes back (or is removed if actk created it). A file edited since
keeps the user's edits: only the values actk set are put back, and a value the user changed
after actk set it is kept and reported. The journal says which files: --config,
--drop-in-config and --oci-hook-path are accepted so the configure line can be repeated, and
must name files it records.`,
  options: {
    ...engineOption,
    config: { type: "string", valueName: "PATH", description: "the engine config configure edited (checked against the journal)" },
    "drop-in-config": { type: "string", valueName: "PATH", description: "the drop-in configure wrote (checked against the journal)" },
    "oci-hook-path": { type: "string", valueName: "PATH", description: "the hooks.d file configure wrote (checked against the journal)" },
  },
  examples: [
    "actk runtime unconfigure --runtime docker",
    "actk runtime unconfigure --runtime containerd --dry-run",
    "actk runtime unconfigure --runtime docker --config /etc/docker/daemon.json",
  ],
  run(inv) {
    const engine = engineFor(inv);
    const named = (["config", "drop-in-config", "oci-hook-path"] as const)
      .filter((flag) => typeof inv.values[flag] === "string" && inv.values[flag] !== "")
      .map((flag) => ({ flag, path: absolute(flag, String(inv.values[flag])) }));
    const result = unconfigureEngine(engine, runtimeName(inv.values["runtime-name"]), inv.ctx.host, { dryRun: Boolean(inv.values["dry-run"]), verify: false }, named);
    inv.out.data(result, () => human(result, "restored"));
    return ExitCode.ok;
  },
};

export const runtimeCommand: Command = {
  name: "runtime",
  summary: "Configure container engines (docker, containerd, CRI-O, podman) to use actk; run the runtime helper",
  subcommands: [configure, unconfigure, helperCommand],
  examples: [
    "actk runtime configure --runtime docker --dry-run",
    "actk runtime configure --runtime containerd --cdi.enabled",
    "actk runtime unconfigure --runtime docker",
    "actk runtime helper --status",
  ],
};
