/**
 * What a container asks for, independent of vendor. Vendors turn their env
 * vars, mounts and annotations into DeviceRequests (pure functions); the
 * resolver then matches them against discovered devices.
 */

/** The parts of an OCI spec (or an `explain --env` command line) requests come from. */
export interface RequestInput {
  /** process.env as ordered KEY=VALUE entries; for repeated keys the last one wins. */
  env: readonly string[];
  /** OCI mounts (destination matters for volume-mount device lists). */
  mounts: readonly { destination: string; source?: string; type?: string; options?: string[] }[];
  annotations: Readonly<Record<string, string>>;
  /** True when the container has every capability (CAP_SYS_ADMIN in the bounding set, like NVIDIA). */
  privileged: boolean;
}

/** Where a request came from. */
export type RequestSource = "env" | "mounts" | "annotations" | "cdi";

export interface DeviceRequest {
  vendor: string;
  source: RequestSource;
  /** ["all"] for every device; [] for none (but capabilities still apply); otherwise device ids as given. */
  devices: string[];
  /** Sorted driver capabilities (NVIDIA: compute, utility, …); [] for vendors without them. */
  capabilities: string[];
  /** Requirement constraints as written ("cuda>=12.0"), each an alternative group. */
  requirements: string[];
  migConfigDevices: string[] | null;
  migMonitorDevices: string[] | null;
  /** Vendor options (Ascend NODRV/VIRTUAL, mount list names, …), as "key" or "key=value". */
  options: string[];
  /** Fully qualified CDI device names, when the request came as CDI names. */
  cdiDevices?: string[];
  /** One sentence per decision, for `actk explain`. */
  explanation: string[];
}

export interface RequestParseResult {
  requests: DeviceRequest[];
  /** One message per malformed value, naming the variable and the bad part. */
  errors: string[];
  /**
   * Decisions that produced no request (NVIDIA_VISIBLE_DEVICES=void, an env request ignored in an
   * unprivileged container …), one sentence each, for `actk explain`'s human output.
   */
  notes?: string[];
}

/** Env entries to a map with "last value wins" for repeated keys. */
export function envMap(env: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env) {
    const i = kv.indexOf("=");
    if (i <= 0) continue;
    m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return m;
}
