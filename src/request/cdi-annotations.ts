/**
 * CDI device requests carried in annotations (`cdi.k8s.io/<plugin>_<id>`: a
 * comma list of fully qualified names), as the CDI library's ParseAnnotations
 * and NVIDIA's runtime read them: every key with a configured prefix, in key
 * order, each value split on ",". Names are validated; a bad one is an error
 * naming the annotation. The vendor id comes from a table of CDI vendor
 * domains (nvidia.com → nvidia) passed in, so this file imports no vendor.
 */
import { parseQualifiedName } from "./qualified-name.js";
import type { DeviceRequest, RequestParseResult } from "./types.js";

export interface CdiAnnotationOptions {
  /** Annotation key prefixes that carry CDI requests (config cdi.annotationPrefixes; default ["cdi.k8s.io/"]). */
  prefixes: readonly string[];
  /** CDI vendor domain → vendor id ("nvidia.com" → "nvidia"). Unknown domains keep the domain as vendor. */
  vendorIds: Readonly<Record<string, string>>;
}

export const defaultCdiAnnotationPrefixes: readonly string[] = ["cdi.k8s.io/"];

export function parseCdiAnnotationRequests(
  annotations: Readonly<Record<string, string>>,
  opts: CdiAnnotationOptions,
): RequestParseResult {
  const errors: string[] = [];
  const notes: string[] = [];
  const byVendor = new Map<string, { names: string[]; keys: Set<string>; domain: string }>();
  const keys = Object.keys(annotations)
    .filter((k) => opts.prefixes.some((p) => p !== "" && k.startsWith(p)))
    .sort();
  for (const key of keys) {
    const value = annotations[key] ?? "";
    const items = value.split(",").map((s) => s.trim());
    items.forEach((item, i) => {
      if (item === "") {
        errors.push(`annotation ${key}: item ${i + 1} of "${value}" is empty; write a comma list of CDI device names (vendor.com/class=name)`);
        return;
      }
      const parsed = parseQualifiedName(item);
      if ("error" in parsed) {
        errors.push(`annotation ${key}: ${parsed.error}`);
        return;
      }
      const vendor = opts.vendorIds[parsed.vendor] ?? parsed.vendor;
      let entry = byVendor.get(vendor);
      if (!entry) {
        entry = { names: [], keys: new Set(), domain: parsed.vendor };
        byVendor.set(vendor, entry);
      }
      entry.keys.add(key);
      if (!entry.names.includes(item)) entry.names.push(item);
      else notes.push(`annotation ${key} repeats ${item}; it is injected once.`);
    });
  }
  if (errors.length) return { requests: [], errors, notes };
  const requests: DeviceRequest[] = [];
  for (const [vendor, { names, keys: from, domain }] of byVendor) {
    const explanation = [
      `The annotation${from.size > 1 ? "s" : ""} ${[...from].join(", ")} request${from.size > 1 ? "" : "s"} the CDI device${names.length > 1 ? "s" : ""} ${names.join(", ")}, so ${names.length > 1 ? "they are" : "it is"} injected from the CDI specs.`,
    ];
    if (!Object.values(opts.vendorIds).includes(vendor)) {
      explanation.push(`No actk vendor plugin owns the CDI vendor "${domain}"; the devices can still come from a CDI spec file.`);
    }
    requests.push({
      vendor,
      source: "annotations",
      devices: [...names],
      capabilities: [],
      requirements: [],
      migConfigDevices: null,
      migMonitorDevices: null,
      options: [],
      cdiDevices: [...names],
      explanation,
    });
  }
  return { requests, errors, notes };
}
