/**
 * An in-test vendor implementing the Vendor contract over a fixed discovery,
 * so generate/validate are tested without the real vendor plugins.
 */
import type { ContainerEdits } from "../edits/container-edits.js";
import type { Discovery, Vendor, VendorDevice } from "../vendors/vendor.js";

export interface FakeVendorOptions {
  id?: string;
  cdiVendor?: string;
  devices?: VendorDevice[];
  driverVersion?: string;
  hostRoot?: string;
  common?: (capabilities: string[], hookPath: string) => ContainerEdits;
}

export function gpu(index: string, minor: number, extra: Partial<VendorDevice> = {}): VendorDevice {
  return {
    vendor: "fake", kind: "example.com/gpu", index, uuid: `GPU-0000000${index}-aaaa-bbbb-cccc-dddddddddddd`,
    deviceNodes: [{ path: `/dev/fake${minor}`, type: "c", major: 195, minor, fileMode: 0o666, permissions: "rwm" }],
    ...extra,
  };
}

export function fakeVendor(opts: FakeVendorOptions = {}): Vendor & { commonRequests: string[][] } {
  const root = opts.hostRoot ?? "";
  const devices = opts.devices ?? [gpu("0", 0), gpu("1", 1)];
  const discovery: Discovery = {
    vendor: opts.id ?? "fake", source: "test", driverVersion: opts.driverVersion ?? "550.54.15", devices,
    controlNodes: [{ path: "/dev/fakectl", type: "c", major: 195, minor: 255 }], notes: [],
  };
  const commonRequests: string[][] = [];
  return {
    id: opts.id ?? "fake",
    cdiVendor: opts.cdiVendor ?? "example.com",
    requestMarkers: [],
    commonRequests,
    parseRequests: () => ({ requests: [], errors: [] }),
    discover: () => discovery,
    select: () => [],
    checkRequirements: () => undefined,
    deviceEdits: (d: VendorDevice): ContainerEdits => ({ deviceNodes: d.deviceNodes, env: [`FAKE_DEVICE_${d.index.replace(":", "_")}=1`] }),
    commonEdits: (_disc, req, o) => {
      commonRequests.push(req.capabilities);
      return opts.common?.(req.capabilities, o.hookPath) ?? {
        deviceNodes: discovery.controlNodes,
        mounts: [{ hostPath: `${root}/usr/lib/libfake.so.550.54.15`, containerPath: "/usr/lib/libfake.so.550.54.15", options: ["ro", "nosuid", "nodev", "bind"] }],
        hooks: [{ hookName: "createContainer", path: o.hookPath, args: ["actk-hook", "update-ldcache", "--folder", "/usr/lib"], env: ["ACTK_DEBUG=false"] }],
      };
    },
    cdiDeviceNames: (d: VendorDevice, strategy: string): string[] => {
      if (strategy === "index") return [d.index];
      if (strategy === "uuid") return d.uuid ? [d.uuid] : [];
      if (strategy === "type-index") return [d.parent !== undefined ? `mig${d.index}` : `gpu${d.index}`];
      return [];
    },
  };
}
