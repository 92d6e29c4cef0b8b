import type { PluginRegistration } from "../../core/registry.js";
import { PluginType } from "../../core/registry.js";
import type { HostRoot } from "../../host/host-root.js";
import type { RequestInput, RequestParseResult } from "../../request/types.js";
import type { SimTree } from "../../sim/tree.js";
import type { Vendor } from "../vendor.js";
import { discoverAmd } from "./discover.js";
import { amdCdiDeviceNames, amdCommonEdits, amdDeviceEdits, selectAmd } from "./edits.js";
import { parseAmdRequests } from "./request.js";
import { amdSimOptionKeys, simulateAmd } from "./simulate.js";

/** AMD GPUs (amdgpu + amdkfd), from sysfs and /dev only. */
export function createAmdVendor(host: HostRoot): Vendor {
  return {
    id: "amd",
    cdiVendor: "amd.com",
    requestMarkers: ["AMD_VISIBLE_DEVICES", "DOCKER_RESOURCE_"],
    parseRequests: (input: RequestInput): RequestParseResult => parseAmdRequests(input),
    // One pass over the host: each directory is looked up once (HostRoot.withLookupCache).
    discover: () => discoverAmd(host.withLookupCache()),
    select: selectAmd,
    checkRequirements: () => {
      // AMD requests carry no requirement constraints.
    },
    deviceEdits: (device) => amdDeviceEdits(device),
    commonEdits: (discovery) => amdCommonEdits(discovery),
    cdiDeviceNames: amdCdiDeviceNames,
    simulate: (tree: SimTree, options: Record<string, unknown>) => simulateAmd(tree, options),
    simulateOptions: amdSimOptionKeys,
  };
}

export const amdPlugin: PluginRegistration<Vendor> = {
  type: PluginType.vendor,
  id: "amd",
  requires: [PluginType.host],
  config: {},
  // Cheap: no host reads until discover().
  init: (ctx) => createAmdVendor(ctx.get<HostRoot>(PluginType.host)),
};
