/**
 * AMD_VISIBLE_DEVICES and DOCKER_RESOURCE_* → DeviceRequests, as ROCm's
 * amd-container-runtime reads them (internal/oci getAMDEnv, gpu-tracker
 * parseGPUsList): `all` (any case), indices, ranges a-b and unique ids in hex
 * (0x… or more than 8 hex digits); `none`/`void`/empty ask for nothing.
 * AMD_VISIBLE_DEVICES is strict (a bad entry is an error); DOCKER_RESOURCE_*
 * variables are shared with other vendors' swarm resources, so entries there
 * that are not AMD ids are skipped with a note, as ROCm does with a warning.
 */
import { dedupe, expandRange, parseIndex, splitList } from "../../request/device-list.js";
import { type RequestInput, type RequestParseResult } from "../../request/types.js";

/** Largest index a range may reach; bounds the work a hostile value can cause. */
export const amdMaxRangeIndex = 1023;
const visibleVar = "AMD_VISIBLE_DEVICES";
const swarmPrefix = "DOCKER_RESOURCE_";

type Entry = { kind: "all" } | { kind: "none" } | { kind: "ids"; ids: string[] } | { kind: "bad"; item: string; why: string };

/** One list item: "all", "none"/"void", an index, a range, or a hex unique id (normalised to lower-case 0x…). */
export function parseAmdDeviceItem(item: string): Entry {
  const lower = item.toLowerCase();
  if (lower === "all") return { kind: "all" };
  if (lower === "none" || lower === "void") return { kind: "none" };
  if (/^0x[0-9a-f]+$/.test(lower)) return { kind: "ids", ids: [lower] };
  if (/^[0-9a-f]{9,}$/.test(lower)) return { kind: "ids", ids: [`0x${lower}`] };
  const index = parseIndex(item);
  if (index !== undefined) return { kind: "ids", ids: [String(index)] };
  if (/^\d+-\d+$/.test(item)) {
    const r = expandRange(item, amdMaxRangeIndex);
    return "error" in r ? { kind: "bad", item, why: r.error } : { kind: "ids", ids: r.map(String) };
  }
  return { kind: "bad", item, why: `"${item}" is not a GPU index, range (0-3) or unique id (0x…)` };
}

/** The env as ordered [name, value] pairs, last value winning but keeping first-seen order. */
function orderedEnv(env: readonly string[]): [string, string][] {
  const m = new Map<string, string>();
  for (const kv of env) {
    const i = kv.indexOf("=");
    if (i <= 0) continue;
    m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return [...m];
}

export function parseAmdRequests(input: RequestInput): RequestParseResult {
  const errors: string[] = [];
  const notes: string[] = [];
  const explanation: string[] = [];
  const vars = orderedEnv(input.env).filter(([k]) => k === visibleVar || (k.startsWith(swarmPrefix) && !k.includes("NVIDIA")));
  vars.sort(([a], [b]) => (a === visibleVar ? -1 : b === visibleVar ? 1 : 0));

  let all = false;
  const ids: string[] = [];
  for (const [name, value] of vars) {
    const strict = name === visibleVar;
    const items = splitList(value);
    if (items.length === 0) {
      notes.push(`${name} is empty, so it requests no AMD GPU.`);
      continue;
    }
    const entries = items.map(parseAmdDeviceItem);
    const bad = entries.filter((e): e is Extract<Entry, { kind: "bad" }> => e.kind === "bad");
    if (bad.length && strict) {
      errors.push(`${name}=${value}: ${bad[0]?.why}`);
      continue;
    }
    for (const b of bad) notes.push(`${name}: "${b.item}" is not an AMD GPU id, so it is skipped.`);
    const first = entries.find((e) => e.kind === "all" || e.kind === "none");
    if (first?.kind === "none") {
      notes.push(`${name}=${value}, so no AMD GPU is requested by it.`);
      continue;
    }
    if (first?.kind === "all") {
      all = true;
      explanation.push(`${name}=${value}, so every AMD GPU is injected.`);
      continue;
    }
    const found = entries.flatMap((e) => (e.kind === "ids" ? e.ids : []));
    if (found.length) {
      ids.push(...found);
      explanation.push(`${name}=${value}, so GPU${found.length > 1 ? "s" : ""} ${found.join(", ")} ${found.length > 1 ? "are" : "is"} injected.`);
    }
  }
  if (errors.length) return { requests: [], errors, notes };
  if (!all && ids.length === 0) return { requests: [], errors, notes };
  const { unique, repeated } = dedupe(ids);
  if (!all && repeated.length) explanation.push(`${repeated.join(", ")} ${repeated.length > 1 ? "are" : "is"} requested more than once and injected once.`);
  return {
    requests: [{
      vendor: "amd",
      source: "env",
      devices: all ? ["all"] : unique,
      capabilities: [],
      requirements: [],
      migConfigDevices: null,
      migMonitorDevices: null,
      options: [],
      explanation,
    }],
    errors,
    notes,
  };
}
