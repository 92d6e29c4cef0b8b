/**
 * The contract every vendor plugin fulfils. Shared code (request, cdi, apply,
 * runtime, hook, doctor) talks to vendors only through this interface, found
 * through the plugin registry (type "actk.vendor.v1").
 *
 * Data flow: parseRequests (pure) → discover (host reads) → select (pure)
 * → commonEdits + deviceEdits (pure over the discovery) → apply / CDI spec.
 * jit mode and CDI specs are built from the same deviceEdits/commonEdits, so
 * both give identical containers for the same devices.
 */
import type { ContainerEdits, DeviceNode } from "../edits/container-edits.js";
import type { DeviceRequest, RequestInput, RequestParseResult } from "../request/types.js";
import type { SimTree } from "../sim/tree.js";

/** One GPU/NPU or one partition (MIG instance) of it. */
export interface VendorDevice {
  vendor: string;
  /** CDI kind, e.g. "nvidia.com/gpu", "nvidia.com/mig", "ascend.com/npu", "amd.com/gpu". */
  kind: string;
  /** Index as users write it: "0", "3", or "0:1" for MIG GPU 0 instance 1. */
  index: string;
  uuid?: string;
  model?: string;
  /** PCI bus id, "0000:07:00.0". */
  busId?: string;
  /** Index of the parent device for partitions. */
  parent?: string;
  /** Nodes that belong to this device alone (the GPU node, its DRM nodes, MIG caps). */
  deviceNodes: DeviceNode[];
  /** Vendor facts for `actk info` (chip type, MIG profile, unique id, …). */
  details?: Record<string, string | number | boolean>;
  /**
   * Further CDI kinds this device is also listed under in generated specs, with
   * the same names and edits (NVIDIA: "nvidia.com/mig" for MIG devices, which
   * stay in "nvidia.com/gpu" too). Ignored when the kind is overridden.
   */
  aliasKinds?: string[];
}

/** The requests a discovery is made for (one vendor's, at container start). */
export interface DiscoveryScope {
  requests: readonly DeviceRequest[];
}

export interface Discovery {
  vendor: string;
  /** Where the facts came from: "procfs", "nvml", "sysfs", "csv", … */
  source: string;
  driverVersion?: string;
  /** Devices and partitions, parents before their children. */
  devices: VendorDevice[];
  /** Nodes every container with any device of this vendor needs (nvidiactl, davinci_manager, kfd …). */
  controlNodes: DeviceNode[];
  /** What could not be determined and why, one sentence each. */
  notes: string[];
  /**
   * Nodes the driver registered (a major in /proc/devices) but that are absent
   * from /dev; left out of controlNodes so containers never get a missing
   * node, reported by `actk doctor` with the command that creates them.
   */
  missingNodes?: DeviceNode[];
  /**
   * Read for a DiscoveryScope: devices the scope does not name may lack their nodes, partitions and
   * details, and host-wide facts the requests do not need may be absent. Good for `select` and the edits
   * of what it returns; anything else (listing devices, error messages) needs a discovery without a scope.
   */
  scoped?: boolean;
}

export interface EditsOptions {
  /** Absolute path of actk-hook, for the few edits that need a hook. */
  hookPath: string;
  /**
   * When given, vendors add one sentence per requested extra the host cannot
   * provide (NVIDIA_GDS=enabled without /dev/nvidia-fs* …) instead of failing.
   */
  notes?: string[];
}

/**
 * What commonEdits is told of the request(s). The MIG management lists are
 * optional (null or absent: not asked), so vendors and callers without them
 * need not say so.
 */
export type CommonEditsRequest = Pick<DeviceRequest, "capabilities" | "options"> &
  Partial<Pick<DeviceRequest, "migConfigDevices" | "migMonitorDevices">>;

export interface CdiNamingOptions {
  /** "index", "uuid", "type-index" (NVIDIA's strategies); vendors ignore what they cannot express. */
  strategies: readonly string[];
}

export interface Vendor {
  readonly id: string;
  /** CDI vendor part of kinds, e.g. "nvidia.com". */
  readonly cdiVendor: string;
  /** Env var names / prefixes whose presence means the container may be asking (for the runtime's pre-filter). */
  readonly requestMarkers: readonly string[];

  /** Pure: what the container asks this vendor for. */
  parseRequests(input: RequestInput): RequestParseResult;

  /**
   * Read the host (through the HostRoot given at init). Never throws for a missing driver: say so in notes.
   * With a scope, a vendor may read only what `select` and the edits need for those requests (and mark the
   * result `scoped`); without one, it reads everything.
   */
  discover(scope?: DiscoveryScope): Discovery;

  /**
   * The devices a request selects, in request order; throws ActkError naming
   * the unknown device and listing those that exist.
   */
  select(request: DeviceRequest, discovery: Discovery): VendorDevice[];

  /** Throws ActkError when a requirement (cuda>=12, driver>=535 …) is not met by the host. */
  checkRequirements(request: DeviceRequest, discovery: Discovery): void;

  /** Edits for one device (its nodes, per-device env). */
  deviceEdits(device: VendorDevice, discovery: Discovery): ContainerEdits;

  /** Edits shared by all devices of this vendor for the request's capabilities/options (control nodes, driver files, hooks). */
  commonEdits(discovery: Discovery, request: CommonEditsRequest, opts: EditsOptions): ContainerEdits;

  /** CDI device names for a device under one naming strategy; [] when the strategy does not apply. */
  cdiDeviceNames(device: VendorDevice, strategy: string): string[];

  /** Write this vendor's part of a simulated host (used by `actk sim create`). */
  simulate?(tree: SimTree, options: Record<string, unknown>): void;

  /** The option keys simulate() reads, so `actk sim create --option` can refuse a misspelt one. */
  simulateOptions?: readonly string[];
}
