import type { PluginRegistration } from "../../core/registry.js";
import { PluginType } from "../../core/registry.js";
import type { HostRoot } from "../../host/host-root.js";
import type { Vendor } from "../vendor.js";

/** Ascend vendor plugin (placeholder: registers, implements nothing yet). */
export const ascendPlugin: PluginRegistration<Vendor> = {
  type: PluginType.vendor,
  id: "ascend",
  requires: [PluginType.host],
  config: {},
  init(ctx) {
    ctx.get<HostRoot>(PluginType.host);
    throw new Error("Ascend support is not implemented yet");
  },
};
