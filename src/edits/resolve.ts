/**
 * Request → edits: the step between what a container asks for and what is
 * applied to it. Every vendor parses the request input; each vendor with a
 * request discovers its devices once; each request is checked against its
 * requirements and selects devices; the vendor's common edits (once per
 * vendor, for the union of its requests' capabilities and options) and each
 * selected device's edits (once per device) are merged in request order.
 *
 * Nothing here reads the OCI spec or writes anything: the runtime, the hook
 * and `actk explain` share it.
 */
import { ActkError, ExitCode, toActkError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { silentLogger } from "../core/log.js";
import { parseRequests } from "../request/parse-requests.js";
import type { DeviceRequest, RequestInput, RequestParseResult } from "../request/types.js";
import type { Discovery, Vendor, VendorDevice } from "../vendors/vendor.js";
import type { ContainerEdits, DeviceNode } from "./container-edits.js";
import { mergeEdits } from "./container-edits.js";

/** Appended to every request error so users know where to look next. */
export const doctorHint = "run `actk doctor` for a full diagnosis";

export interface ResolveOptions {
  /** Absolute path of actk-hook, for vendors whose edits need a hook. */
  hookPath: string;
  logger?: Logger;
  /**
   * Requests parsed outside the vendors (CDI annotations, `--device` flags), added after the
   * vendors' own. A request whose vendor is not among `vendors` is an error.
   */
  extraRequests?: readonly DeviceRequest[];
  /** Annotation key prefixes that carry CDI requests (config cdi.annotationPrefixes). */
  annotationPrefixes?: readonly string[];
  /**
   * Injects requests that name CDI devices (annotations) from CDI specs; without it they go to
   * their vendor like any request.
   */
  cdi?: (names: readonly string[]) => ContainerEdits;
  /**
   * false: discover the whole host even for a few devices (tests compare both). Default true: each vendor
   * reads what its requests need (DiscoveryScope); an error is reported from a whole-host discovery.
   */
  scopedDiscovery?: boolean;
  /** The vendors' parse of this same input with these annotation prefixes, when the caller made it already. */
  parsed?: Required<RequestParseResult>;
}

export interface ResolvedRequest {
  request: DeviceRequest;
  vendor: string;
  devices: VendorDevice[];
}

export interface ResolveResult {
  requests: ResolvedRequest[];
  /** Merged edits of every request; only meaningful when `errors` is empty. */
  edits: ContainerEdits;
  /** One error per invalid request, unknown device or unmet requirement. */
  errors: ActkError[];
  /** Discoveries made, by vendor id (only vendors that had a request). */
  discoveries: Map<string, Discovery>;
}

/** An ActkError for a request problem: names the place, ends with the doctor hint. */
export function requestError(message: string, place?: string, exitCode: ActkError["exitCode"] = ExitCode.failed): ActkError {
  const text = message.replace(/[.\s]+$/, "");
  // A vendor sentence that starts with the variable already names it.
  return new ActkError(`${text}; ${doctorHint}`, { place: place && text.startsWith(place) ? undefined : place, exitCode });
}

/** Leading "NAME:" or "NAME=" of a vendor's error sentence, used as the error's place. */
function placeOf(message: string): string | undefined {
  const m = /^([A-Z][A-Z0-9_]*)(?=[:= ])/.exec(message);
  return m?.[1];
}

export function resolveContainerEdits(input: RequestInput, vendors: readonly Vendor[], opts: ResolveOptions): ResolveResult {
  const logger = opts.logger ?? silentLogger;
  const errors: ActkError[] = [];
  const parsed: { request: DeviceRequest; vendor: Vendor }[] = [];

  // Vendors' env/mount requests plus CDI annotation requests (annotations win over env for a vendor).
  const r = opts.parsed ?? parseRequests(input, vendors, { annotationPrefixes: opts.annotationPrefixes });
  for (const e of r.errors) errors.push(requestError(e, placeOf(e), ExitCode.badInput));
  for (const note of r.notes) logger.debug(note);
  for (const request of [...r.requests, ...(opts.extraRequests ?? [])]) {
    const vendor = vendors.find((v) => v.id === request.vendor);
    if (!vendor) {
      errors.push(requestError(`the container asks for ${request.vendor} devices but no ${request.vendor} vendor plugin is available`, undefined, ExitCode.host));
      continue;
    }
    parsed.push({ request, vendor });
  }

  // Container starts ask for a few devices: each vendor is told which requests it serves, and may read less.
  const scoped = opts.scopedDiscovery ?? true;
  const discoveries = new Map<string, Discovery>();
  const discover = (vendor: Vendor, wholeHost = false): Discovery => {
    let d = discoveries.get(vendor.id);
    if (!d || (wholeHost && d.scoped)) {
      const scope = scoped && !wholeHost ? { requests: parsed.filter((p) => p.vendor === vendor).map((p) => p.request) } : undefined;
      d = vendor.discover(scope);
      discoveries.set(vendor.id, d);
      logger.debug(`discovered ${vendor.id}`, { source: d.source, devices: d.devices.length, scoped: d.scoped === true, notes: d.notes });
    }
    return d;
  };

  const requests: ResolvedRequest[] = [];
  const cdiNames: string[] = [];
  // Per vendor: union of capabilities/options (for one commonEdits call) and first-seen order.
  const perVendor = new Map<string, {
    vendor: Vendor; capabilities: Set<string>; options: Set<string>; devices: VendorDevice[];
    migConfigDevices: string[] | null; migMonitorDevices: string[] | null;
  }>();
  for (const { request, vendor } of parsed) {
    if (opts.cdi && request.cdiDevices?.length) {
      for (const n of request.cdiDevices) if (!cdiNames.includes(n)) cdiNames.push(n);
      requests.push({ request, vendor: vendor.id, devices: [] });
      continue;
    }
    let devices: VendorDevice[];
    const selectIn = (discovery: Discovery): VendorDevice[] => {
      vendor.checkRequirements(request, discovery);
      return vendor.select(request, discovery);
    };
    try {
      try {
        devices = selectIn(discover(vendor));
      } catch (e) {
        // What the user reads (the devices there are, the requirement unmet) comes from the whole host.
        if (!discover(vendor).scoped) throw e;
        devices = selectIn(discover(vendor, true));
      }
    } catch (e) {
      const err = toActkError(e);
      errors.push(requestError(err.format(), undefined, err.exitCode));
      continue;
    }
    requests.push({ request, vendor: vendor.id, devices });
    let v = perVendor.get(vendor.id);
    if (!v) {
      v = { vendor, capabilities: new Set(), options: new Set(), devices: [], migConfigDevices: null, migMonitorDevices: null };
      perVendor.set(vendor.id, v);
    }
    for (const c of request.capabilities) v.capabilities.add(c);
    for (const o of request.options) v.options.add(o);
    if (request.migConfigDevices) v.migConfigDevices = [...new Set([...(v.migConfigDevices ?? []), ...request.migConfigDevices])];
    if (request.migMonitorDevices) v.migMonitorDevices = [...new Set([...(v.migMonitorDevices ?? []), ...request.migMonitorDevices])];
    for (const d of devices) {
      if (!v.devices.some((o) => o.kind === d.kind && o.index === d.index)) v.devices.push(d);
    }
  }

  const parts: ContainerEdits[] = [];
  for (const { vendor, capabilities, options, devices, migConfigDevices, migMonitorDevices } of perVendor.values()) {
    const discovery = discover(vendor);
    try {
      const notes: string[] = [];
      const request = { capabilities: [...capabilities].sort(), options: [...options], migConfigDevices, migMonitorDevices };
      parts.push(vendor.commonEdits(discovery, request, { hookPath: opts.hookPath, notes }));
      for (const n of notes) logger.warn(`${vendor.id}: ${n}`);
      for (const d of devices) parts.push(vendor.deviceEdits(d, discovery));
    } catch (e) {
      const err = toActkError(e);
      errors.push(requestError(err.format(), undefined, err.exitCode));
    }
  }
  if (opts.cdi && cdiNames.length) {
    try {
      parts.push(opts.cdi(cdiNames));
    } catch (e) {
      const err = toActkError(e);
      errors.push(requestError(err.format(), undefined, err.exitCode));
    }
  }
  const edits = mergeEdits(...parts);
  if (edits.deviceNodes) edits.deviceNodes = dedupeDeviceNodes(edits.deviceNodes);
  return { requests, edits, errors, discoveries };
}

/** Keeps the first node per container path (a control node shared by two vendors' edits appears once). */
export function dedupeDeviceNodes(nodes: readonly DeviceNode[]): DeviceNode[] {
  const seen = new Set<string>();
  const out: DeviceNode[] = [];
  for (const n of nodes) {
    if (seen.has(n.path)) continue;
    seen.add(n.path);
    out.push(n);
  }
  return out;
}

/** Throws the first error of a result (with several, a summary; each goes to the log), else returns the result. */
export function requireResolved(result: ResolveResult, logger: Logger = silentLogger): ResolveResult {
  if (result.errors.length === 0) return result;
  const first = result.errors[0] as ActkError;
  // The caller logs what is thrown; only a summary of several needs each of them in the log too.
  if (result.errors.length === 1) throw first;
  for (const e of result.errors) logger.error(e.format());
  const more = result.errors.length - 1;
  const base = first.message.slice(0, -(doctorHint.length + 2));
  throw new ActkError(`${base} (and ${more} more problem${more > 1 ? "s" : ""}); ${doctorHint}`, {
    place: first.place, exitCode: first.exitCode,
  });
}
