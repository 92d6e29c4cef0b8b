import type { PluginRegistration } from "../../core/registry.js";
import { PluginType } from "../../core/registry.js";
import type { HostRoot } from "../../host/host-root.js";
import type { Vendor } from "../vendor.js";

/** NVIDIA vendor plugin (placeholder: registers, implements nothing yet). */
export const nvidiaPlugin: PluginRegistration<Vendor> = {
  type: PluginType.vendor,
  id: "nvidia",
  requires: [PluginType.host],
  config: {},
  init(ctx) {
    ctx.get<HostRoot>(PluginType.host);
    throw new Error("NVIDIA support is not implemented yet");
  },
};
