/**
 * An OCI runtime spec (a bundle's config.json, already parsed) → the RequestInput
 * every vendor parser reads. Only the four things requests come from are taken:
 * process.env, mounts, annotations and whether the container is privileged,
 * which, like NVIDIA's runtime and hook, means CAP_SYS_ADMIN in the bounding set.
 */
import { ActkError, ExitCode } from "../core/errors.js";
import type { RequestInput } from "./types.js";

type Mount = RequestInput["mounts"][number];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function wrongType(place: string, expected: string, file?: string): ActkError {
  return new ActkError(`${place} must be ${expected}`, {
    file,
    place,
    exitCode: ExitCode.badInput,
    fix: "write the OCI runtime spec as the runtime-spec config.json schema describes",
  });
}

function stringList(value: unknown, place: string, file?: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw wrongType(place, "an array of strings", file);
  return value as string[];
}

/**
 * True when CAP_SYS_ADMIN is in the bounding set. OCI 1.0.0-rc1 … rc4 wrote
 * `process.capabilities` as a plain list (NVIDIA's hook accepts that too).
 */
export function isPrivilegedSpec(spec: unknown): boolean {
  if (!isObject(spec) || !isObject(spec.process)) return false;
  const caps = spec.process.capabilities;
  const bounding = Array.isArray(caps) ? caps : isObject(caps) ? caps.bounding : undefined;
  return Array.isArray(bounding) && bounding.includes("CAP_SYS_ADMIN");
}

/**
 * The request-relevant parts of an OCI spec. Throws ActkError (badInput) when a
 * part has the wrong JSON type; `file` names the config.json for the message.
 */
export function requestInputFromOciSpec(spec: unknown, file?: string): RequestInput {
  if (!isObject(spec)) throw wrongType("the OCI spec", "a JSON object", file);
  const process = spec.process;
  if (process !== undefined && process !== null && !isObject(process)) throw wrongType("process", "an object", file);
  const env = isObject(process) ? stringList(process.env, "process.env", file) : [];

  const mounts: Mount[] = [];
  if (spec.mounts !== undefined && spec.mounts !== null) {
    if (!Array.isArray(spec.mounts)) throw wrongType("mounts", "an array", file);
    spec.mounts.forEach((m: unknown, i) => {
      const place = `mounts[${i}]`;
      if (!isObject(m)) throw wrongType(place, "an object", file);
      if (typeof m.destination !== "string") throw wrongType(`${place}.destination`, "a string", file);
      if (m.source !== undefined && typeof m.source !== "string") throw wrongType(`${place}.source`, "a string", file);
      if (m.type !== undefined && typeof m.type !== "string") throw wrongType(`${place}.type`, "a string", file);
      const mount: Mount = {
        destination: m.destination,
        ...(typeof m.source === "string" ? { source: m.source } : {}),
        ...(typeof m.type === "string" ? { type: m.type } : {}),
        ...(m.options !== undefined ? { options: stringList(m.options, `${place}.options`, file) } : {}),
      };
      mounts.push(mount);
    });
  }

  const annotations: Record<string, string> = {};
  if (spec.annotations !== undefined && spec.annotations !== null) {
    if (!isObject(spec.annotations)) throw wrongType("annotations", "an object of strings", file);
    for (const [k, v] of Object.entries(spec.annotations)) {
      if (typeof v !== "string") throw wrongType(`annotations["${k}"]`, "a string", file);
      annotations[k] = v;
    }
  }

  return { env, mounts, annotations, privileged: isPrivilegedSpec(spec) };
}
