/**
 * The NVIDIA vendor plugin. init is cheap and never touches the driver:
 * discovery happens in discover(), which reports a host without a driver in
 * its notes instead of failing.
 */
import type { PluginRegistration } from "../../core/registry.js";
import { PluginType } from "../../core/registry.js";
import type { HostRoot } from "../../host/host-root.js";
import type { DeviceRequest, RequestInput, RequestParseResult } from "../../request/types.js";
import type { SimTree } from "../../sim/tree.js";
import type { CdiNamingOptions, CommonEditsRequest, Discovery, DiscoveryScope, EditsOptions, Vendor, VendorDevice } from "../vendor.js";
import type { ContainerEdits } from "../../edits/container-edits.js";
import { ActkError, ExitCode } from "../../core/errors.js";
import { discoverNvidia, isNvidiaDiscovery, NVIDIA_VENDOR, type NvidiaDiscoveryMode } from "./discover.js";
import { HOOK_ENV, nvidiaCommonEdits, nvidiaDeviceEdits } from "./edits.js";
import { tegraCommonEdits } from "./tegra.js";
import { defaultDriverSearchOptions, locateDriverFiles, type DriverSearchOptions } from "./libraries.js";
import { defaultNvidiaRequestOptions, nvidiaDriverCapabilities, parseNvidiaRequests, type NvidiaRequestOptions } from "./request.js";
import { checkNvidiaRequirements } from "./requirements.js";
import { selectNvidiaDevices } from "./select.js";
import { nvidiaSimOptionKeys, simulateNvidia } from "./simulate.js";
import { cudaVersionForDriver } from "./cuda-version.js";
import { checkNvmlOptions, defaultNvmlOptions, NvmlOnDemand, withNvml, type NvmlOptions } from "./nvml.js";
import { onContainerStartPath } from "../../core/start-path.js";
import { nvidiaScopeOf } from "./scope.js";

/** Env vars (and the volume-mount device list path) that mean a container may be asking for NVIDIA devices. */
export const nvidiaRequestMarkers: readonly string[] = [
  "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "NVIDIA_REQUIRE_", "NVIDIA_DISABLE_REQUIRE",
  "CUDA_VERSION", "NVIDIA_IMEX_CHANNELS", "NVIDIA_MIG_CONFIG_DEVICES", "NVIDIA_MIG_MONITOR_DEVICES",
  "NVIDIA_GDS", "NVIDIA_MOFED", "NVIDIA_NVSWITCH", "NVIDIA_GDRCOPY", "/var/run/nvidia-container-devices",
];

export interface NvidiaPluginConfig extends NvidiaRequestOptions, DriverSearchOptions, NvmlOptions {
  /** Where devices and driver files come from: auto (CSV lists on Tegra, else procfs), procfs, csv. */
  discoveryMode: NvidiaDiscoveryMode;
}

export const defaultNvidiaPluginConfig: NvidiaPluginConfig = {
  ...defaultNvidiaRequestOptions, ...defaultDriverSearchOptions, discoveryMode: "auto", ...defaultNvmlOptions,
};

const discoveryModes: readonly NvidiaDiscoveryMode[] = ["auto", "procfs", "csv"];

/**
 * Values the config schema cannot check by type alone. A bad value fails this
 * plugin's init (`actk plugins` shows the error) and leaves the others working.
 */
export function checkNvidiaPluginConfig(c: NvidiaPluginConfig): void {
  checkNvmlOptions(c);
  if (!discoveryModes.includes(c.discoveryMode)) {
    throw new ActkError(`discovery-mode "${c.discoveryMode}" is not one of ${discoveryModes.join(", ")}`, {
      place: "plugins.\"actk.vendor.v1\".nvidia", exitCode: ExitCode.badInput, fix: "set discovery-mode = \"auto\" (or procfs, csv)",
    });
  }
  const unknownCap = c.supportedDriverCapabilities.find((cap) => cap !== "all" && !(nvidiaDriverCapabilities as readonly string[]).includes(cap));
  if (unknownCap !== undefined) {
    throw new ActkError(`supported-driver-capabilities has "${unknownCap}", which is not an NVIDIA driver capability`, {
      place: "plugins.\"actk.vendor.v1\".nvidia", exitCode: ExitCode.badInput, fix: `use "all" or some of ${nvidiaDriverCapabilities.join(", ")}`,
    });
  }
  for (const key of ["librarySearchPaths", "binarySearchPaths", "firmwareSearchPaths"] as const) {
    const bad = (c as unknown as Record<string, unknown>)[key];
    if (Array.isArray(bad)) {
      const rel = bad.find((p) => typeof p !== "string" || !p.startsWith("/"));
      if (rel !== undefined) {
        throw new ActkError(`${key} entry ${JSON.stringify(rel)} is not an absolute path`, {
          place: "plugins.\"actk.vendor.v1\".nvidia", exitCode: ExitCode.badInput, fix: "write host paths starting with /",
        });
      }
    }
  }
}

/** Known keys of the plugin section, taken over the defaults (others belong to other layers and are ignored here). */
export function nvidiaPluginConfig(section: unknown): NvidiaPluginConfig {
  const out: NvidiaPluginConfig = { ...defaultNvidiaPluginConfig };
  if (section && typeof section === "object") {
    const s = section as Record<string, unknown>;
    for (const key of Object.keys(out) as (keyof NvidiaPluginConfig)[]) {
      const v = s[key];
      if (v !== undefined && typeof v === typeof out[key] && Array.isArray(v) === Array.isArray(out[key])) {
        (out as unknown as Record<string, unknown>)[key] = v;
      }
    }
  }
  return out;
}

export class NvidiaVendor implements Vendor {
  readonly id = NVIDIA_VENDOR;
  readonly cdiVendor = "nvidia.com";
  readonly requestMarkers = nvidiaRequestMarkers;
  readonly simulateOptions = nvidiaSimOptionKeys;

  private readonly nvml: NvmlOnDemand;
  /** True on a container start (actk-runtime, actk-hook, the runtime helper): NVML only for a request naming a MIG UUID (nvml.ts). */
  private readonly nvmlOnDemandOnly: boolean;

  constructor(
    private readonly host: HostRoot, private readonly config: NvidiaPluginConfig = defaultNvidiaPluginConfig,
    opts: { nvmlOnDemandOnly?: boolean } = {},
  ) {
    this.nvml = new NvmlOnDemand(host, config);
    this.nvmlOnDemandOnly = opts.nvmlOnDemandOnly ?? onContainerStartPath();
  }

  parseRequests(input: RequestInput): RequestParseResult {
    return parseNvidiaRequests(input, this.config);
  }

  discover(scope?: DiscoveryScope): Discovery {
    // One pass over the host: resolving ≈1000 paths under the same directories looks each one up once.
    const host = this.host.withLookupCache();
    // A scope only on a container start, where NVML is not merged in (its devices are the whole host's).
    const d = discoverNvidia(host, this.config, this.config.discoveryMode, this.nvmlOnDemandOnly ? nvidiaScopeOf(scope) : undefined);
    return this.nvmlOnDemandOnly ? d : withNvml(host, d, this.config);
  }

  select(request: DeviceRequest, discovery: Discovery): VendorDevice[] {
    return selectNvidiaDevices(request, this.nvml.forDevices(request.devices, discovery));
  }

  checkRequirements(request: DeviceRequest, discovery: Discovery): void {
    const gpus = discovery.devices.filter((d) => d.parent === undefined);
    const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
    checkNvidiaRequirements(request, {
      driverVersion: discovery.driverVersion,
      cudaVersion: (isNvidiaDiscovery(discovery) ? discovery.cudaVersion : undefined) ??
        (discovery.driverVersion ? cudaVersionForDriver(discovery.driverVersion) : undefined),
      devices: gpus.map((d) => ({ arch: str(d.details?.computeCapability), brand: str(d.details?.brand), model: d.model })),
    });
  }

  deviceEdits(device: VendorDevice, discovery: Discovery): ContainerEdits {
    return nvidiaDeviceEdits(device, discovery);
  }

  commonEdits(discovery: Discovery, request: CommonEditsRequest, opts: EditsOptions): ContainerEdits {
    // A discovery read back from elsewhere (JSON) lacks the driver files: find them again through the host.
    const d = isNvidiaDiscovery(discovery)
      ? discovery
      : { ...discovery, hostRoot: this.host.root, majors: {} };
    if (d.csvEdits) return tegraCommonEdits(d.csvEdits, opts.hookPath, HOOK_ENV);
    const files = d.driverFiles ?? (d.driverVersion ? locateDriverFiles(this.host, d.driverVersion, this.config) : undefined);
    const wantsExtras = request.options.length > 0 || (request.migConfigDevices?.length ?? 0) > 0 || (request.migMonitorDevices?.length ?? 0) > 0;
    const features = d.features ?? (wantsExtras ? discoverNvidia(this.host, this.config).features : undefined);
    return nvidiaCommonEdits(d, files, request, opts, features);
  }

  cdiDeviceNames(device: VendorDevice, strategy: string): string[] {
    const mig = device.parent !== undefined;
    switch (strategy) {
      case "index": return [device.index];
      case "uuid": return device.uuid ? [device.uuid] : [];
      case "type-index": return [`${mig ? "mig" : "gpu"}${device.index}`];
      default: return [];
    }
  }

  simulate(tree: SimTree, options: Record<string, unknown>): void {
    simulateNvidia(tree, options);
  }
}

/** Every CDI naming strategy the NVIDIA vendor understands. */
export const nvidiaNamingStrategies: CdiNamingOptions["strategies"] = ["index", "uuid", "type-index"];

export const nvidiaPlugin: PluginRegistration<Vendor> = {
  type: PluginType.vendor,
  id: "nvidia",
  requires: [PluginType.host],
  config: { ...defaultNvidiaPluginConfig },
  init(ctx) {
    const config = nvidiaPluginConfig(ctx.config);
    checkNvidiaPluginConfig(config);
    return new NvidiaVendor(ctx.get<HostRoot>(PluginType.host), config);
  },
};
