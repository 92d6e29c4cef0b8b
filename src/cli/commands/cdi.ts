/**
 * `actk cdi generate|list|validate|transform root`: flags in, library calls
 * out (src/cdi). Generated specs go to stdout unless --output names a file or
 * a directory; every write is atomic.
 */
import * as fs from "node:fs";
import path from "node:path";
import { ActkError, ExitCode, toActkError } from "../../core/errors.js";
import { HostRoot } from "../../host/host-root.js";
import { generateSpecs, defaultStrategies, type AnnotationMode, type GeneratedSpec } from "../../cdi/generate.js";
import { loadSpecDirs, loadSpecPath, parseSpecText, type LoadedSpec, type LoadResult } from "../../cdi/load.js";
import { transformRoot, parseRelativeTo } from "../../cdi/transform.js";
import { byNumericName, validateLoaded, type Problem } from "../../cdi/validate.js";
import { formatForFile, parseSpecFormat, serializeSpec, specFileName, writeSpecFile, type SpecFormat } from "../../cdi/write.js";
import type { Command, OptionValues } from "../command.js";
import { CliContext } from "../context.js";
import { formatTable } from "../output.js";
import { cdiRefreshCommand } from "./cdi-refresh.js";

declare const ACTK_VERSION: string;
const actkVersion = typeof ACTK_VERSION === "string" ? ACTK_VERSION : "dev";

const str = (v: OptionValues[string]): string | undefined => (typeof v === "string" ? v : undefined);
const list = (v: OptionValues[string]): string[] => (Array.isArray(v) ? v : typeof v === "string" ? [v] : []).flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean);

/** Spec directories from the config, under the host root when one is given. */
function specDirs(ctx: CliContext, given: string[]): string[] {
  const dirs = given.length ? given : ctx.loadedConfig.config.cdi.specDirs;
  if (!dirs.length) throw new ActkError("at least one CDI spec directory is needed", { place: "cdi.specDirs", exitCode: ExitCode.usage, fix: "set cdi.specDirs in the config or pass --spec-dir" });
  return given.length ? dirs : dirs.map((d) => ctx.host.hostPath(d));
}

/** A directory unless the name ends in .json/.yaml/.yml (an existing directory always is one). */
function isDirectoryTarget(p: string): boolean {
  if (p.endsWith("/")) return true;
  if (!/\.(json|yaml|yml)$/.test(p)) return true;
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The canonical command line that repeats a generation (recorded in the spec). */
function generateCommandLine(values: OptionValues, host: HostRoot, output: string | undefined): string {
  const parts = ["actk", "cdi", "generate"];
  const add = (flag: string, v: string | undefined): void => { if (v !== undefined) parts.push(`--${flag}`, /[\s"'$]/.test(v) ? JSON.stringify(v) : v); };
  if (!host.isRealHost) add("host-root", host.root);
  add("vendor", str(values.vendor) ?? "all");
  for (const f of ["device-name-strategy", "vendor-kind", "class", "cdi-version", "driver-root", "dev-root", "annotations", "format"]) add(f, list(values[f]).join(",") || undefined);
  if (values["no-all-device"]) parts.push("--no-all-device");
  add("output", output);
  return parts.join(" ");
}

const generate: Command = {
  name: "generate",
  summary: "Generate CDI specs for the accelerators on this host",
  description: `One spec per kind (nvidia.com/gpu with its MIG devices "0:1", ascend.com/npu, amd.com/gpu), each with a
device per name strategy and an "all" device, in the lowest cdiVersion the content allows (so
older engines read it: podman 4.3 stops at 0.5.0). How it was generated is recorded in the spec
(annotations when the version allows them, always as YAML comments) so it can be repeated.
Without --output the specs are printed; --output FILE takes one spec, --output DIR writes
<vendor>-<class>.yaml|json files there. With --host-root R, host paths point under R and
container paths stay the real ones.`,
  options: {
    vendor: { type: "string", valueName: "ID", description: "nvidia, ascend, amd or all", default: "all" },
    output: { type: "string", short: "o", valueName: "FILE|DIR", description: "write here instead of stdout: FILE.yaml/FILE.json for one spec; any other name is a directory that gets <vendor>-<class>.<format>" },
    format: { type: "string", valueName: "yaml|json", description: "output format (default: from the --output name, else yaml)" },
    "device-name-strategy": { type: "string", multiple: true, valueName: "LIST", description: "device names: index, uuid, type-index (comma-separated; default index,uuid)" },
    "vendor-kind": { type: "string", valueName: "VENDOR", description: "vendor part of the kind instead of the plugin's (e.g. example.com); needs a single --vendor" },
    class: { type: "string", valueName: "CLASS", description: "class part of the kind instead of the plugin's (e.g. gpu); needs a single --vendor" },
    "cdi-version": { type: "string", valueName: "minimum|X.Y.Z", description: "cdiVersion to write; refused when the content needs more", default: "minimum" },
    "driver-root": { type: "string", valueName: "DIR", description: "where the driver is installed (discovery reads there; host paths point there)" },
    "dev-root": { type: "string", valueName: "DIR", description: "where the device nodes are, when not under the driver root" },
    annotations: { type: "string", valueName: "auto|always|never", description: "record the generation in annotations (auto: only when the version already allows them)", default: "auto" },
    "no-all-device": { type: "boolean", description: "do not add the \"all\" device" },
  },
  examples: [
    "actk cdi generate --output /etc/cdi",
    "actk cdi generate --vendor nvidia --device-name-strategy index,uuid --format json",
    "actk cdi generate --host-root /tmp/sim --vendor all --output /tmp/sim/etc/cdi",
  ],
  run({ values, ctx, out }) {
    const vendorIds = ctx.vendorIds(str(values.vendor));
    if ((values["vendor-kind"] !== undefined || values.class !== undefined) && vendorIds?.length !== 1) {
      throw new ActkError("--vendor-kind and --class need exactly one --vendor", { place: "--vendor-kind/--class", exitCode: ExitCode.usage, fix: "add e.g. --vendor nvidia" });
    }
    const output = str(values.output);
    const outputAbs = output ? path.resolve(output) : undefined;
    const explicitFormat = str(values.format);
    const format: SpecFormat = explicitFormat ? parseSpecFormat(explicitFormat) : (output && formatForFile(output)) || "yaml";
    if (explicitFormat && output && formatForFile(output) && formatForFile(output) !== format) {
      throw new ActkError(`--format ${format} does not match the file name ${output}`, { place: "--format", exitCode: ExitCode.usage, fix: `name the file .${format} or drop --format` });
    }
    const annotations = str(values.annotations) ?? "auto";
    if (!["auto", "always", "never"].includes(annotations)) throw new ActkError(`invalid --annotations value "${annotations}"`, { place: "--annotations", exitCode: ExitCode.usage, fix: "use auto, always or never" });

    // --driver-root: discovery runs on that tree (inside the host root), like NVIDIA's driver root.
    const driverRoot = str(values["driver-root"]);
    const discoverCtx = driverRoot ? new CliContext({ ...ctx.global, "host-root": ctx.host.hostPath(driverRoot) }, ctx.env) : ctx;
    const devRootFlag = str(values["dev-root"]);
    const devRoot = devRootFlag ? new HostRoot(ctx.host.hostPath(devRootFlag)) : undefined;
    const strategies = list(values["device-name-strategy"]);
    // Alias kinds (nvidia.com/mig) repeat devices of a main spec: written only as their own files in a directory.
    const aliasKinds = outputAbs !== undefined && isDirectoryTarget(outputAbs);
    const result = generateSpecs(discoverCtx.vendors(vendorIds), {
      strategies: strategies.length ? strategies : defaultStrategies,
      kindVendor: str(values["vendor-kind"]),
      kindClass: str(values.class),
      cdiVersion: str(values["cdi-version"]) ?? "minimum",
      hookPath: ctx.loadedConfig.config.hook.path,
      host: discoverCtx.host,
      devRoot,
      annotations: annotations as AnnotationMode,
      allDevice: !values["no-all-device"],
      aliasKinds,
      command: generateCommandLine(values, ctx.host, outputAbs),
      actkVersion,
    });
    // With --vendor all, vendors that have no devices here are expected: one line, details with --debug.
    const withSpecs = new Set(result.specs.map((g) => g.vendor));
    const selected = discoverCtx.vendors(vendorIds).map((v) => v.id);
    const empty = selected.filter((id) => !withSpecs.has(id));
    for (const n of result.notes) {
      if (vendorIds || withSpecs.has(n.slice(0, n.indexOf(":")))) out.info(`actk: ${n}`);
      else ctx.logger.debug(n);
    }
    if (!vendorIds && empty.length && result.specs.length) out.info(`actk: no devices for ${empty.join(", ")}; no spec for ${empty.length > 1 ? "them" : "it"}`);
    if (result.specs.length === 0) {
      throw new ActkError(`no devices found for ${vendorIds ? `vendor ${vendorIds.join(", ")}` : "any vendor"}, so no spec was generated`, {
        exitCode: ExitCode.host, fix: "check `actk info` (is the driver loaded?) and the notes above",
      });
    }
    const texts = result.specs.map((g) => ({ g, text: serializeSpec(g.spec, format, g.header) }));
    const summary = (g: GeneratedSpec, file?: string): Record<string, unknown> => ({
      kind: g.kind, vendor: g.vendor, cdiVersion: g.spec.cdiVersion, devices: g.spec.devices.map((d) => d.name), ...(file ? { file } : {}),
    });
    if (!outputAbs) {
      if (out.json) {
        out.data({ specs: result.specs.map((g) => g.spec) }, () => "");
      } else {
        process.stdout.write(texts.map((t) => t.text).join(""));
      }
      return ExitCode.ok;
    }
    let targets: { g: GeneratedSpec; text: string; file: string }[];
    if (isDirectoryTarget(outputAbs)) {
      targets = texts.map((t) => ({ ...t, file: path.join(outputAbs, `${t.g.baseName}.${format}`) }));
    } else {
      if (texts.length > 1) {
        throw new ActkError(`${texts.length} specs were generated (${result.specs.map((g) => g.kind).join(", ")}) but --output names one file`, {
          place: "--output", exitCode: ExitCode.usage, fix: "give a directory (e.g. --output /etc/cdi) or select one --vendor",
        });
      }
      targets = texts.map((t) => ({ ...t, file: specFileName(outputAbs, format) }));
    }
    for (const t of targets) writeSpecFile(t.file, t.text);
    out.data({ specs: targets.map((t) => summary(t.g, t.file)) }, () =>
      targets.map((t) => `wrote ${t.file} (${t.g.kind}, ${t.g.spec.devices.length} devices, cdiVersion ${t.g.spec.cdiVersion})`).join("\n"));
    return ExitCode.ok;
  },
};

function reportLoadErrors(res: LoadResult, warn: (t: string) => void): void {
  for (const e of res.errors) warn(e.format());
}

const listCommand: Command = {
  name: "list",
  summary: "List the CDI devices of the spec directories",
  description: "Reads cdi.specDirs (default /etc/cdi, /var/run/cdi; under --host-root when given). A device defined in\n" +
    "two directories is listed once, from the later directory, as engines resolve it.",
  options: {
    "spec-dir": { type: "string", multiple: true, valueName: "DIR", description: "spec directory instead of cdi.specDirs (lowest priority first)" },
  },
  examples: ["actk cdi list", "actk cdi list --json"],
  run({ values, ctx, out }) {
    const dirs = specDirs(ctx, list(values["spec-dir"]));
    const res = loadSpecDirs(dirs);
    reportLoadErrors(res, (t) => out.warn(t));
    const chosen = new Map<string, LoadedSpec>();
    for (const s of res.specs) {
      for (const d of s.spec.devices) {
        const q = `${s.spec.kind}=${d.name}`;
        const prev = chosen.get(q);
        if (!prev || s.priority >= prev.priority) chosen.set(q, s);
      }
    }
    const rows = [...chosen].sort((a, b) => byNumericName.compare(a[0], b[0]))
      .map(([device, s]) => ({ device, kind: s.spec.kind, cdiVersion: s.spec.cdiVersion, file: s.file }));
    out.data({ specDirs: dirs, devices: rows, errors: res.errors.map((e) => e.format()) }, () =>
      rows.length ? rows.map((r) => r.device).join("\n") : `no CDI devices in ${dirs.join(", ")}`);
    return res.errors.length ? ExitCode.failed : ExitCode.ok;
  },
};

function problemRows(problems: Problem[]): string[][] {
  return problems.map((p) => [p.severity, p.file ? `${p.file}${p.line ? `:${p.line}` : ""}` : "", p.device ?? p.place, `${p.message}${p.fix ? `. Fix: ${p.fix}` : ""}`]);
}

const validate: Command = {
  name: "validate",
  summary: "Check CDI specs (files, spec dirs, and with --host the live host)",
  description: `Without an argument checks every spec in cdi.specDirs (under --host-root when given), including
devices defined in two files. Rules: names, kind, cdiVersion vs content, absolute paths, unique
device names, non-empty device edits, hook names/env. --host also checks the host: device nodes
exist with the spec's major:minor (a stale spec is reported per device), mounted files exist,
hook programs are executable. With --host-root R, paths are checked under R.
Exit status 1 when any error is found (warnings alone give 0).`,
  positionals: [{ name: "FILE|DIR", description: "a spec file or directory (default: the configured spec dirs)" }],
  options: {
    host: { type: "boolean", description: "also check device nodes, mounts and hooks against the host" },
  },
  examples: ["actk cdi validate", "actk cdi validate /etc/cdi/nvidia-gpu.yaml --host", "actk cdi validate --json"],
  run({ values, positionals, ctx, out }) {
    const target = positionals[0];
    const res = target ? loadSpecPath(target) : loadSpecDirs(specDirs(ctx, []));
    const problems: Problem[] = res.errors.map((e) => ({
      severity: "error", ...(e.file ? { file: e.file } : {}), ...(e.line ? { line: e.line } : {}),
      place: e.column ? `line ${e.line}, column ${e.column}` : (e.place ?? "file"), message: e.message, ...(e.fix ? { fix: e.fix } : {}),
    }));
    problems.push(...validateLoaded(res.specs, values.host ? ctx.host : undefined));
    const errors = problems.filter((p) => p.severity === "error").length;
    const devices = res.specs.reduce((n, s) => n + s.spec.devices.length, 0);
    // Every file checked, those that did not parse too: the count and the list say the same.
    const files = [...new Set([...res.specs.map((s) => s.file), ...res.errors.flatMap((e) => (e.file ? [e.file] : []))])].sort();
    out.data({ valid: errors === 0, files, devices, problems }, () => {
      const head = `${files.length} spec file(s), ${devices} device(s): ${errors} error(s), ${problems.length - errors} warning(s)`;
      return problems.length ? formatTable(["SEVERITY", "FILE", "DEVICE/PLACE", "PROBLEM"], problemRows(problems)) + head : head;
    });
    return errors ? ExitCode.failed : ExitCode.ok;
  },
};

const transformRootCommand: Command = {
  name: "root",
  summary: "Rewrite the root of a spec's host (or container) paths",
  description: `Replaces the path prefix --from with --to (whole path components only) in device-node hostPaths,
mount hostPaths, and hook paths/args (not createContainer/startContainer hook args, which are
container paths) — like \`nvidia-ctk cdi transform root\`. --relative-to container rewrites the
container side instead. The version and everything else stay as they were.`,
  options: {
    from: { type: "string", valueName: "DIR", description: "root prefix to replace" },
    to: { type: "string", valueName: "DIR", description: "replacement root" },
    "relative-to": { type: "string", valueName: "host|container", description: "which side's paths to rewrite", default: "host" },
    input: { type: "string", valueName: "FILE", description: "spec to read (default: stdin)" },
    output: { type: "string", valueName: "FILE", description: "where to write (default: stdout; may equal --input)" },
    format: { type: "string", valueName: "yaml|json", description: "output format (default: from --output's name, else the input's)" },
  },
  examples: ["actk cdi transform root --from /run/nvidia/driver --to / --input /var/run/cdi/nvidia.yaml --output /etc/cdi/nvidia.yaml"],
  run({ values, out }) {
    const from = str(values.from);
    const to = str(values.to);
    if (from === undefined || to === undefined) throw new ActkError("--from and --to are required", { place: "--from/--to", exitCode: ExitCode.usage, fix: "e.g. --from /run/nvidia/driver --to /" });
    const rel = parseRelativeTo(str(values["relative-to"]) ?? "host");
    const input = str(values.input);
    let text: string;
    try {
      text = input && input !== "-" ? fs.readFileSync(input, "utf8") : fs.readFileSync(0, "utf8");
    } catch (e) {
      throw toActkError(e).withPlace({ file: input ?? "stdin" });
    }
    const { spec } = parseSpecText(text, input ?? "stdin");
    const result = transformRoot(spec, from, to, rel);
    const output = str(values.output);
    const inputFormat: SpecFormat = text.trimStart().startsWith("{") ? "json" : "yaml";
    const format = str(values.format) ? parseSpecFormat(str(values.format) as string) : (output && formatForFile(output)) || inputFormat;
    const serialized = serializeSpec(result, format);
    if (output && output !== "-") {
      writeSpecFile(specFileName(output, format), serialized);
      if (out.json) out.data({ wrote: specFileName(output, format) }, () => "");
      else out.info(`wrote ${specFileName(output, format)}`);
    } else {
      // The output is the spec itself: --format json gives JSON, --json would be ambiguous.
      if (out.json) {
        throw new ActkError("--json: this prints the transformed spec", { place: "--json", exitCode: ExitCode.usage, fix: "use --format json for the spec as JSON, or --output FILE, which reports {\"wrote\": FILE}" });
      }
      process.stdout.write(serialized);
    }
    return ExitCode.ok;
  },
};

const transform: Command = {
  name: "transform",
  summary: "Transform CDI specs (root)",
  subcommands: [transformRootCommand],
  examples: ["actk cdi transform root --help"],
};

export const cdiCommand: Command = {
  name: "cdi",
  summary: "Generate, list, validate and transform CDI specs",
  description: "CDI (Container Device Interface) specs describe devices for podman, containerd, CRI-O and docker.\nSee docs/cdi.md.",
  subcommands: [generate, listCommand, validate, transform, cdiRefreshCommand],
  examples: [
    "actk cdi generate --output /etc/cdi",
    "actk cdi list",
    "actk cdi validate /etc/cdi",
    "actk cdi refresh --watch",
  ],
};
