/**
 * Serialise and write CDI specs. Field order follows the CDI JSON
 * (cdiVersion, kind, annotations, devices, containerEdits). YAML starts with
 * `---` like the reference writer; files are written atomically with mode 0644
 * and a `.json` or `.yaml` name (the reference ignores `.yml`).
 */
import path from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import { ActkError, ExitCode } from "../core/errors.js";
import type { ContainerEdits } from "../edits/container-edits.js";
import type { CdiSpec } from "./spec.js";
import { blockYaml } from "./yaml-text.js";

export type SpecFormat = "json" | "yaml";

export function parseSpecFormat(text: string, place = "--format"): SpecFormat {
  const f = text.toLowerCase();
  if (f === "json" || f === "yaml") return f;
  throw new ActkError(`invalid output format "${text}"`, { place, exitCode: ExitCode.usage, fix: "use --format yaml or --format json" });
}

const fieldOrder: Record<string, readonly string[]> = {
  spec: ["cdiVersion", "kind", "annotations", "devices", "containerEdits"],
  device: ["name", "annotations", "containerEdits"],
  edits: ["env", "deviceNodes", "mounts", "hooks", "additionalGids", "intelRdt", "netDevices"],
  deviceNode: ["path", "hostPath", "type", "major", "minor", "fileMode", "permissions", "uid", "gid"],
  mount: ["hostPath", "containerPath", "type", "options"],
  hook: ["hookName", "path", "args", "env", "timeout"],
};

/** A copy with keys in CDI order; undefined fields and empty annotations dropped. */
function pick(o: object, kind: keyof typeof fieldOrder): Record<string, unknown> {
  const src = o as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of [...(fieldOrder[kind] ?? []), ...Object.keys(src).filter((x) => !fieldOrder[kind]?.includes(x))]) {
    const v = src[k];
    if (v === undefined) continue;
    if (k === "annotations" && Object.keys(v as object).length === 0) continue;
    out[k] = v;
  }
  return out;
}

function orderedEdits(e: ContainerEdits): Record<string, unknown> {
  const out = pick(e, "edits");
  if (e.deviceNodes) out.deviceNodes = e.deviceNodes.map((n) => pick(n, "deviceNode"));
  if (e.mounts) out.mounts = e.mounts.map((m) => pick(m, "mount"));
  if (e.hooks) out.hooks = e.hooks.map((h) => pick(h, "hook"));
  return out;
}

function ordered(spec: CdiSpec): Record<string, unknown> {
  const out = pick(spec, "spec");
  out.devices = spec.devices.map((d) => ({ ...pick(d, "device"), containerEdits: orderedEdits(d.containerEdits) }));
  if (spec.containerEdits) out.containerEdits = orderedEdits(spec.containerEdits);
  return out;
}

/** The file text; `header` lines become YAML comments (JSON has no comments and ignores them). */
export function serializeSpec(spec: CdiSpec, format: SpecFormat, header: string[] = []): string {
  const value = ordered(spec);
  if (format === "json") return JSON.stringify(value, null, 2) + "\n";
  const comments = header.map((h) => `# ${h.replace(/\n/g, " ")}\n`).join("");
  return `---\n${comments}${blockYaml(value)}`;
}

/** `<vendor id>-<class>` ("nvidia-gpu"), with "/" in the class turned into "_" as the reference does. */
export function specFileBaseName(vendorId: string, kind: string): string {
  return `${vendorId}-${kind.slice(kind.indexOf("/") + 1).replace(/\//g, "_")}`;
}

/** Picks the file extension from the name or the format; refuses `.yml`, which no CDI library reads. */
export function specFileName(file: string, format: SpecFormat): string {
  if (file.endsWith(".yml")) {
    throw new ActkError(`"${file}" ends in .yml, which CDI libraries ignore`, {
      place: "--output", exitCode: ExitCode.usage, fix: `name it ${file.slice(0, -4)}.yaml`,
    });
  }
  if (file.endsWith(".json") || file.endsWith(".yaml")) return file;
  return `${file}.${format}`;
}

export function formatForFile(file: string): SpecFormat | undefined {
  if (file.endsWith(".json")) return "json";
  if (file.endsWith(".yaml")) return "yaml";
  return undefined;
}

export function writeSpecFile(file: string, text: string): void {
  writeFileAtomic(path.resolve(file), text, { mode: 0o644, mkdirs: true, userFile: true });
}
