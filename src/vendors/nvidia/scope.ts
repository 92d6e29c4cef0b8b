/**
 * What a container start needs NVIDIA discovery to read (DiscoveryScope): the
 * nodes and MIG devices of the GPUs it names, the driver files of the
 * capabilities it asks for, and no feature nodes unless it asks for extras. A
 * request for GPU 0 on an 8-GPU host then reads about a third of what a full
 * discovery reads. Anything this cannot prove it covers reads the whole host.
 */
import type { DeviceRequest } from "../../request/types.js";
import type { DiscoveryScope } from "../vendor.js";
import { effectiveCapabilities } from "./edits.js";
import type { DriverCapability } from "./libraries.js";

export interface NvidiaScope {
  /** GPU indices ("0") and lower-case GPU UUIDs whose nodes are read. */
  gpus: ReadonlySet<string>;
  /** GPU indices whose MIG devices are read (named as G:I). */
  migParents: ReadonlySet<string>;
  /** Driver capabilities whose files are looked for. */
  capabilities: ReadonlySet<DriverCapability>;
}

/** A scope for requests that name GPUs by index, MIG index or GPU UUID and ask for no extras; else undefined (whole host). */
export function nvidiaScopeOf(scope: DiscoveryScope | undefined): NvidiaScope | undefined {
  if (!scope) return undefined;
  const gpus = new Set<string>();
  const migParents = new Set<string>();
  const capabilities: string[] = [];
  for (const r of scope.requests) {
    if (!scopable(r)) return undefined;
    for (const raw of r.devices) {
      const id = raw.trim();
      const mig = /^(\d+):\d+$/.exec(id);
      if (/^\d+$/.test(id)) gpus.add(String(Number(id)));
      else if (mig) {
        // A MIG device's nodes include its GPU's.
        gpus.add(String(Number(mig[1])));
        migParents.add(String(Number(mig[1])));
      }
      else if (/^GPU-/i.test(id)) gpus.add(id.toLowerCase());
      else return undefined;
    }
    capabilities.push(...r.capabilities);
  }
  return { gpus, migParents, capabilities: effectiveCapabilities(capabilities) };
}

/** Extras (IMEX channels, gated features, MIG management) read host-wide nodes: those requests read everything. */
function scopable(r: DeviceRequest): boolean {
  return r.options.length === 0 && r.migConfigDevices === null && r.migMonitorDevices === null && !r.cdiDevices?.length &&
    !r.devices.includes("all");
}
