/**
 * Plugin default sections as the registry would give them: the NVIDIA one
 * mirrors NvidiaRequestOptions (src/vendors/nvidia/request.ts) without
 * importing it, because config code must work from registrations alone.
 */
import type { PluginDefaults } from "../schema.js";

export const testPluginDefaults: PluginDefaults = {
  "vendor.nvidia": {
    acceptEnvvarUnprivileged: true,
    acceptDeviceListAsVolumeMounts: false,
    supportedDriverCapabilities: ["compat32", "compute", "display", "graphics", "ngx", "utility", "video"],
    disableRequire: false,
    swarmResource: [],
  },
  "vendor.ascend": { visibleDevicesEnv: "ASCEND_VISIBLE_DEVICES", maxDevices: 16 },
};
