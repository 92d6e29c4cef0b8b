/**
 * Vendor-neutral container edits, in the shape of CDI's `containerEdits` so the
 * same value can be written into a CDI spec or applied to an OCI spec.
 * Field names follow the CDI JSON schema exactly.
 */

export interface DeviceNode {
  /** Path inside the container. */
  path: string;
  /** Path on the host, when it differs from `path` (e.g. under --host-root). */
  hostPath?: string;
  type?: "c" | "b" | "u" | "p";
  major?: number;
  minor?: number;
  /** Permission bits of the node (CDI `fileMode`), e.g. 0o666. */
  fileMode?: number;
  /** cgroup permissions, e.g. "rwm". */
  permissions?: string;
  uid?: number;
  gid?: number;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  options?: string[];
  type?: string;
}

export type HookName =
  | "prestart"
  | "createRuntime"
  | "createContainer"
  | "startContainer"
  | "poststart"
  | "poststop";

export interface Hook {
  hookName: HookName;
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface IntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  schemata?: string[];
  enableMonitoring?: boolean;
}

export interface NetDevice {
  hostInterfaceName: string;
  name: string;
}

export interface ContainerEdits {
  env?: string[];
  deviceNodes?: DeviceNode[];
  mounts?: Mount[];
  hooks?: Hook[];
  additionalGids?: number[];
  intelRdt?: IntelRdt;
  netDevices?: NetDevice[];
}

/** Concatenate edits in order (CDI semantics: later env entries win when applied). */
export function mergeEdits(...all: (ContainerEdits | undefined)[]): ContainerEdits {
  const out: ContainerEdits = {};
  for (const e of all) {
    if (!e) continue;
    if (e.env?.length) out.env = [...(out.env ?? []), ...e.env];
    if (e.deviceNodes?.length) out.deviceNodes = [...(out.deviceNodes ?? []), ...e.deviceNodes];
    if (e.mounts?.length) out.mounts = [...(out.mounts ?? []), ...e.mounts];
    if (e.hooks?.length) out.hooks = [...(out.hooks ?? []), ...e.hooks];
    if (e.additionalGids?.length) out.additionalGids = [...(out.additionalGids ?? []), ...e.additionalGids];
    if (e.intelRdt) out.intelRdt = e.intelRdt;
    if (e.netDevices?.length) out.netDevices = [...(out.netDevices ?? []), ...e.netDevices];
  }
  return out;
}

export function isEmptyEdits(e: ContainerEdits): boolean {
  return !e.env?.length && !e.deviceNodes?.length && !e.mounts?.length && !e.hooks?.length &&
    !e.additionalGids?.length && !e.intelRdt && !e.netDevices?.length;
}
