import type { PluginRegistration } from "../../core/registry.js";
import { PluginType } from "../../core/registry.js";
import type { HostRoot } from "../../host/host-root.js";
import type { RequestInput, RequestParseResult } from "../../request/types.js";
import type { SimTree } from "../../sim/tree.js";
import type { Vendor } from "../vendor.js";
import { discoverAscend } from "./discover.js";
import { ascendCdiDeviceNames, ascendCommonEdits, ascendDeviceEdits, checkAscendRequirements, selectAscend } from "./edits.js";
import { parseAscendRequests } from "./request.js";
import { ascendSimOptionKeys, simulateAscend } from "./simulate.js";

/** Huawei Ascend NPUs (davinci driver), without DCMI: /dev, /sys and the driver tree only. */
export function createAscendVendor(host: HostRoot): Vendor {
  return {
    id: "ascend",
    cdiVendor: "ascend.com",
    requestMarkers: ["ASCEND_VISIBLE_DEVICES", "ASCEND_RUNTIME_OPTIONS", "ASCEND_RUNTIME_MOUNTS", "ASCEND_VNPU_SPECS"],
    parseRequests: (input: RequestInput): RequestParseResult => parseAscendRequests(input),
    // One pass over the host: each directory is looked up once (HostRoot.withLookupCache).
    discover: () => discoverAscend(host.withLookupCache()),
    select: selectAscend,
    checkRequirements: (request, discovery) => checkAscendRequirements(request, discovery),
    deviceEdits: (device) => ascendDeviceEdits(device),
    commonEdits: (discovery, request) => ascendCommonEdits(discovery, request),
    cdiDeviceNames: ascendCdiDeviceNames,
    simulate: (tree: SimTree, options: Record<string, unknown>) => simulateAscend(tree, options),
    simulateOptions: ascendSimOptionKeys,
  };
}

export const ascendPlugin: PluginRegistration<Vendor> = {
  type: PluginType.vendor,
  id: "ascend",
  requires: [PluginType.host],
  config: {},
  // Cheap: no host reads until discover().
  init: (ctx) => createAscendVendor(ctx.get<HostRoot>(PluginType.host)),
};
