/**
 * NVIDIA_VISIBLE_DEVICES & friends → vendor-neutral DeviceRequests.
 * (Stub: the request-model work fills this in; the signature is the contract.)
 */
import type { RequestInput, RequestParseResult } from "../../request/types.js";

/** The NVIDIA settings request parsing depends on; the [plugins."actk.vendor.v1".nvidia] config section. */
export interface NvidiaRequestOptions {
  /** accept-nvidia-visible-devices-envvar-when-unprivileged */
  acceptEnvvarUnprivileged: boolean;
  /** accept-nvidia-visible-devices-as-volume-mounts */
  acceptDeviceListAsVolumeMounts: boolean;
  /** supported-driver-capabilities */
  supportedDriverCapabilities: string[];
  /** disable-require */
  disableRequire: boolean;
  /** swarm-resource: env var names (e.g. DOCKER_RESOURCE_GPU) that carry a device list */
  swarmResource: string[];
}

export const defaultNvidiaRequestOptions: NvidiaRequestOptions = {
  acceptEnvvarUnprivileged: true,
  acceptDeviceListAsVolumeMounts: false,
  supportedDriverCapabilities: ["compat32", "compute", "display", "graphics", "ngx", "utility", "video"],
  disableRequire: false,
  swarmResource: [],
};

export function parseNvidiaRequests(_input: RequestInput, _opts: NvidiaRequestOptions = defaultNvidiaRequestOptions): RequestParseResult {
  return { requests: [], errors: [] };
}
