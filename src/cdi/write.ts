/**
 * Serialise and write CDI specs. Field order follows the CDI JSON
 * (cdiVersion, kind, annotations, devices, containerEdits). YAML starts with
 * `---` like the reference writer; files are written atomically with mode 0644
 * and a `.json` or `.yaml` name (the reference ignores `.yml`).
 */
import path from "node:path";
import { Document, visit } from "yaml";
import { writeFileAtomic } from "../core/atomic-write.js";
import { ActkError, ExitCode } from "../core/errors.js";
import type { ContainerEdits } from "../edits/container-edits.js";
import type { CdiSpec } from "./spec.js";

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

/**
 * Strings a YAML 1.1 reader would not read as strings. Go consumers (sigs.k8s.io/yaml, go-yaml v2) are YAML
 * 1.1: unquoted `1:0` is the sexagesimal number 60, `on`/`no` are booleans. The YAML 1.2 writer already quotes
 * 1.2 numbers and booleans; this adds the 1.1 ones (the library's 1.1 mode does the same but ~3× slower).
 */
const yaml11Special = /^(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?[0-9_.]*[0-9][0-9_.]*|[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE|null|Null|NULL|~|\d{4}-\d\d?-\d\d?.*)$/;

/** The file text; `header` lines become YAML comments (JSON has no comments and ignores them). */
export function serializeSpec(spec: CdiSpec, format: SpecFormat, header: string[] = []): string {
  const value = ordered(spec);
  if (format === "json") return JSON.stringify(value, null, 2) + "\n";
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && yaml11Special.test(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  const comments = header.map((h) => `# ${h}\n`).join("");
  return `---\n${comments}${doc.toString({ lineWidth: 0, indent: 2 })}`;
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
  writeFileAtomic(path.resolve(file), text, { mode: 0o644, mkdirs: true });
}
