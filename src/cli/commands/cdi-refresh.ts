/**
 * `actk cdi refresh [--watch]`: regenerate the specs actk generated, the same
 * way they were generated, when what they were built from changed. Flags in,
 * src/cdi/refresh.ts and src/cdi/watch.ts do the work.
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../../core/errors.js";
import { createLogger } from "../../core/log.js";
import { HostRoot } from "../../host/host-root.js";
import { refreshFailed, refreshSpecs, type RefreshOptions, type RefreshOutcome } from "../../cdi/refresh.js";
import { loadSpecDirs } from "../../cdi/load.js";
import { mountDirsOf, watchAndRefresh } from "../../cdi/watch.js";
import type { Command, OptionValues } from "../command.js";
import { CliContext } from "../context.js";
import { formatTable } from "../output.js";

declare const ACTK_VERSION: string;
const actkVersion = typeof ACTK_VERSION === "string" ? ACTK_VERSION : "dev";

const str = (v: OptionValues[string]): string | undefined => (typeof v === "string" ? v : undefined);

function milliseconds(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new ActkError(`"${v}" is not a duration`, { place: `--${flag}`, exitCode: ExitCode.usage, fix: "give e.g. 5s, 500ms or 1m (a bare number is seconds)" });
  const n = Number(m[1]);
  return Math.round(m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000);
}

function rows(outcomes: readonly RefreshOutcome[]): string {
  if (!outcomes.length) return "no CDI spec files found";
  return formatTable(["FILE", "RESULT", "REASON"], outcomes.map((o) => [
    o.file, o.error ? "error" : o.changed ? "refreshed" : o.skipped ? "skipped" : "unchanged", o.error ? `${o.reason}: ${o.error}` : o.reason,
  ]));
}

export const cdiRefreshCommand: Command = {
  name: "refresh",
  summary: "Regenerate the CDI specs actk generated when the driver, device nodes or MIG layout change",
  description: `Finds the specs actk generated in cdi.specDirs (under --host-root when given), repeats the
generation each one records (the actk.io/generate-command annotation, or the YAML header
comment when annotations were left out) and replaces a file — atomically, keeping its mode —
only when its content changes. The reason is reported per file: driver version X→Y, device
node /dev/nvidia-uvm 509:0→508:0, devices or MIG instances added/removed, mounted files changed.
Specs actk did not generate are never touched; a spec edited by hand since generation is left
alone unless --force. JSON specs record their generation only in annotations (cdiVersion ≥ 0.6.0,
or generate --annotations always).

--watch runs as a service: inotify on /dev, /dev/nvidia-caps, /proc/driver/…, /proc/devices,
/etc/ld.so.cache, /lib/modules and the directories of the mounted driver libraries, debounced,
plus a poll every --interval (real procfs sends no inotify events). Each refresh is logged with
its reason to stderr or --log-file. SIGTERM/SIGINT stop it cleanly (exit 0).
Exit status without --watch: 0 when every spec was refreshed or is up to date, 1 when a spec
could not be refreshed.`,
  positionals: [{ name: "PATH", description: "spec files or directories (default: cdi.specDirs)", variadic: true }],
  options: {
    watch: { type: "boolean", description: "keep running and refresh whenever an input changes" },
    interval: { type: "string", valueName: "DURATION", description: "with --watch: poll this often as well (0 = inotify only)", default: "5s" },
    debounce: { type: "string", valueName: "DURATION", description: "with --watch: wait this long after the last event", default: "200ms" },
    "log-file": { type: "string", valueName: "FILE", description: "with --watch: log JSON lines here instead of stderr" },
    "dry-run": { type: "boolean", description: "report what would change; write nothing" },
    force: { type: "boolean", description: "also regenerate specs edited by hand since they were generated" },
  },
  examples: [
    "actk cdi refresh",
    "actk cdi refresh --dry-run --json",
    "actk cdi refresh --watch --interval 10s --log-file /var/log/actk-cdi-refresh.log",
    "actk --host-root /tmp/sim cdi refresh --watch",
  ],
  async run({ values, positionals, ctx, out }) {
    const interval = milliseconds(str(values.interval), "interval", 5000);
    const debounce = milliseconds(str(values.debounce), "debounce", 200);
    const given = positionals.map((p) => path.resolve(p));
    for (const p of given) {
      if (!fs.existsSync(p)) throw new ActkError("no such file or directory", { file: p, exitCode: ExitCode.host, fix: "name an existing spec file or directory, or leave PATH out to use cdi.specDirs" });
    }
    const dirs = given.length ? given : ctx.loadedConfig.config.cdi.specDirs.map((d) => ctx.host.hostPath(d));
    if (!dirs.length) throw new ActkError("no CDI spec directory to refresh", { place: "cdi.specDirs", exitCode: ExitCode.usage, fix: "set cdi.specDirs in the config or name the spec files" });
    const contexts = new Map<string, CliContext>([[ctx.host.root, ctx]]);
    const opts: RefreshOptions = {
      host: ctx.host,
      paths: dirs,
      vendorsFor: (root: HostRoot, ids) => {
        let c = contexts.get(root.root);
        if (!c) contexts.set(root.root, (c = new CliContext({ ...ctx.global, "host-root": root.root }, ctx.env)));
        return c.vendors(ids ? [...ids] : undefined);
      },
      hookPath: ctx.loadedConfig.config.hook.path,
      actkVersion,
      dryRun: Boolean(values["dry-run"]),
      force: Boolean(values.force),
    };
    if (!values.watch) {
      const outcomes = refreshSpecs(opts);
      out.data({ specs: outcomes }, () => rows(outcomes));
      return refreshFailed(outcomes) ? ExitCode.failed : ExitCode.ok;
    }
    const logFile = str(values["log-file"]);
    const logger = createLogger({ level: values.debug ? "debug" : values.quiet ? "warn" : "info", component: "actk cdi refresh", ...(logFile ? { file: logFile } : {}) });
    // Driver library directories come from the specs themselves: an upgrade replaces files there.
    const libraryDirs = (): string[] => mountDirsOf(loadSpecDirs(dirs).specs
      .flatMap((s) => [s.spec.containerEdits, ...s.spec.devices.map((d) => d.containerEdits)])
      .flatMap((e) => (e?.mounts ?? []).map((m) => m.hostPath)), ctx.host);
    const watcher = watchAndRefresh({ host: ctx.host, extraDirs: libraryDirs, intervalMs: interval, debounceMs: debounce, refresh: () => refreshSpecs(opts), logger, skipUnchangedPolls: true });
    logger.info(`watching ${watcher.watched().length} directories under ${ctx.host.root} (poll every ${interval} ms) for ${dirs.join(", ")}`);
    const stop = (signal: string): void => {
      logger.info(`${signal}: stopping`);
      watcher.close();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    await watcher.done;
    return ExitCode.ok;
  },
};
