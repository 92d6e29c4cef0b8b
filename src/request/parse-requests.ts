/**
 * Every request a container makes: each vendor's own parser (env vars, mounts)
 * plus the CDI annotations, concatenated with their errors. Vendors come from
 * the caller (the plugin registry), never from an import.
 *
 * Like NVIDIA's runtime, CDI annotations win over a vendor's env/mount
 * request: when the annotations name devices of a vendor, that vendor's
 * env/mount request is dropped (with a note) so devices are not injected twice.
 */
import { toActkError } from "../core/errors.js";
import type { Vendor } from "../vendors/vendor.js";
import { defaultCdiAnnotationPrefixes, parseCdiAnnotationRequests } from "./cdi-annotations.js";
import type { RequestInput, RequestParseResult } from "./types.js";

export type RequestVendor = Pick<Vendor, "id" | "cdiVendor" | "parseRequests">;

export interface ParseRequestsOptions {
  /** Annotation key prefixes that carry CDI requests (config cdi.annotationPrefixes). */
  annotationPrefixes?: readonly string[];
}

export function parseRequests(
  input: RequestInput,
  vendors: readonly RequestVendor[],
  opts: ParseRequestsOptions = {},
): Required<RequestParseResult> {
  const result: Required<RequestParseResult> = { requests: [], errors: [], notes: [] };
  const vendorIds: Record<string, string> = {};
  for (const v of vendors) vendorIds[v.cdiVendor] = v.id;

  const cdi = parseCdiAnnotationRequests(input.annotations, {
    prefixes: opts.annotationPrefixes ?? defaultCdiAnnotationPrefixes,
    vendorIds,
  });
  const annotated = new Set(cdi.requests.map((r) => r.vendor));

  for (const vendor of vendors) {
    let r: RequestParseResult;
    try {
      r = vendor.parseRequests(input);
    } catch (e) {
      // A parser should report in `errors`; one that throws still must not hide the others.
      result.errors.push(`${vendor.id}: ${toActkError(e).format()}`);
      continue;
    }
    result.errors.push(...r.errors);
    result.notes.push(...(r.notes ?? []));
    for (const req of r.requests) {
      if (annotated.has(req.vendor) && req.source !== "annotations") {
        result.notes.push(
          `${req.vendor}: the ${req.source} request (${req.devices.length ? req.devices.join(",") : "no devices"}) is ignored because CDI annotations request ${req.vendor} devices; annotations take precedence, as in NVIDIA's runtime.`,
        );
        continue;
      }
      result.requests.push(req);
    }
  }
  result.requests.push(...cdi.requests);
  result.errors.push(...cdi.errors);
  result.notes.push(...(cdi.notes ?? []));
  return result;
}
