import type { PluginRegistration } from "../../core/registry.js";
import { PluginType } from "../../core/registry.js";
import type { HostRoot } from "../../host/host-root.js";
import type { Vendor } from "../vendor.js";

/** AMD vendor plugin (placeholder: registers, implements nothing yet). */
export const amdPlugin: PluginRegistration<Vendor> = {
  type: PluginType.vendor,
  id: "amd",
  requires: [PluginType.host],
  config: {},
  init(ctx) {
    ctx.get<HostRoot>(PluginType.host);
    throw new Error("AMD support is not implemented yet");
  },
};
