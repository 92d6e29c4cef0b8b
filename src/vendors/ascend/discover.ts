/**
 * Ascend NPUs from /dev, /sys and the driver tree only (no DCMI): the
 * davinci<N> nodes are the NPUs (minor = device id), the control nodes are
 * shared, the chip generation comes from the Huawei PCI ids in /sys, the
 * driver version from version.info, and the mount lists from
 * /etc/ascend-docker-runtime.d. Never throws for a host without Ascend.
 */
import { ActkError, toActkError } from "../../core/errors.js";
import type { DeviceNode } from "../../edits/container-edits.js";
import { hostDeviceNode } from "../../host/device-node.js";
import type { HostRoot } from "../../host/host-root.js";
import type { Discovery, VendorDevice } from "../vendor.js";
import { type AscendChip, chipByPciDevice, chipFacts, huaweiPciVendor } from "./chips.js";
import { checkListEntry } from "../../host/list-entry.js";
import { loadMountList, mountListDir, type ResolvedListEntry } from "./mount-list.js";

export const driverRoot = "/usr/local/Ascend/driver";

/** Mounted whenever present and driver files are wanted (Ascend's runtime does the same). */
export const optionalDriverPaths = ["/etc/hccl_rootinfo.json", `${driverRoot}/topo`];

export type AscendMountList =
  | { name: string; file: string; entries: ResolvedListEntry[] }
  | { name: string; file: string; error: ActkError };

export interface AscendDiscovery extends Discovery {
  chip?: AscendChip;
  /** Every `*.list` in /etc/ascend-docker-runtime.d, by name ("base"); broken ones keep their error. */
  mountLists: Record<string, AscendMountList>;
  /** optionalDriverPaths that exist, resolved. */
  optionalMounts: ResolvedListEntry[];
}

export function isAscendDiscovery(d: Discovery): d is AscendDiscovery {
  return d.vendor === "ascend" && typeof (d as AscendDiscovery).mountLists === "object";
}

/** "Version=24.1.rc2" from version.info (key case as the driver writes it varies). */
export function parseVersionInfo(text: string): string | undefined {
  for (const line of text.split("\n")) {
    const m = /^\s*version\s*=\s*(\S+)\s*$/i.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** Chip generations of the Huawei NPU functions in /sys/bus/pci/devices, in bus order. */
export function pciChips(host: HostRoot): { busId: string; chip?: AscendChip; device: number }[] {
  const out: { busId: string; chip?: AscendChip; device: number }[] = [];
  for (const d of host.readdir("/sys/bus/pci/devices")) {
    const base = `/sys/bus/pci/devices/${d.name}`;
    const vendor = parseInt(host.readTextIfExists(`${base}/vendor`)?.trim() ?? "", 16);
    if (vendor !== huaweiPciVendor) continue;
    const device = parseInt(host.readTextIfExists(`${base}/device`)?.trim() ?? "", 16);
    const facts = chipByPciDevice(device);
    // Huawei also makes NICs and RAID controllers; only known NPU ids count.
    if (!facts) continue;
    out.push({ busId: d.name, chip: facts.chip, device });
  }
  return out;
}

function discoverMountLists(host: HostRoot, notes: string[]): Record<string, AscendMountList> {
  // No prototype: a host file named __proto__.list is a list like any other, not the object's prototype.
  const lists: Record<string, AscendMountList> = Object.create(null) as Record<string, AscendMountList>;
  for (const d of host.readdir(mountListDir)) {
    if (!d.name.endsWith(".list") || d.isDirectory) continue;
    const name = d.name.slice(0, -".list".length);
    const file = `${mountListDir}/${d.name}`;
    try {
      lists[name] = { name, file, entries: loadMountList(host, file) };
    } catch (e) {
      const error = toActkError(e);
      lists[name] = { name, file, error };
      notes.push(`mount list ${name} cannot be used (requests that name it fail): ${error.format()}`);
    }
  }
  return lists;
}

export function discoverAscend(host: HostRoot): AscendDiscovery {
  const notes: string[] = [];
  const devices: VendorDevice[] = [];
  const devEntries = host.readdir("/dev");
  const numbered = (re: RegExp): number[] =>
    devEntries.map((e) => re.exec(e.name)).filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1])).sort((a, b) => a - b);

  const pci = pciChips(host);
  const kinds = [...new Set(pci.map((p) => p.chip))];
  const chip = kinds.length === 1 ? kinds[0] : undefined;
  if (kinds.length > 1) notes.push(`NPUs of different generations (${kinds.join(", ")}) found in /sys; the chip type is not reported per NPU.`);

  for (const id of numbered(/^davinci(\d+)$/)) {
    const node = hostDeviceNode(host, `/dev/davinci${id}`, notes);
    if (!node) continue;
    devices.push({
      vendor: "ascend", kind: "ascend.com/npu", index: String(id), model: chip, deviceNodes: [node],
      details: { ...(chip ? { chip } : {}), virtual: false },
    });
  }
  for (const id of numbered(/^vdavinci(\d+)$/)) {
    // A vNPU is presented to the container as /dev/davinci<id> (ascend-docker-runtime's VIRTUAL option).
    const node = hostDeviceNode(host, `/dev/vdavinci${id}`, notes, { containerPath: `/dev/davinci${id}` });
    if (!node) continue;
    devices.push({
      vendor: "ascend", kind: "ascend.com/npu", index: String(id), model: chip, deviceNodes: [node],
      details: { ...(chip ? { chip } : {}), virtual: true },
    });
  }

  const controlNodes: DeviceNode[] = [];
  const anyAscend = devices.length > 0;
  if (anyAscend) {
    // 310B hosts may carry davinci_manager_docker; containers always see /dev/davinci_manager.
    const manager = hostDeviceNode(host, "/dev/davinci_manager", notes) ??
      hostDeviceNode(host, "/dev/davinci_manager_docker", notes, { containerPath: "/dev/davinci_manager" });
    if (manager) controlNodes.push(manager);
    else notes.push("/dev/davinci_manager is missing; containers cannot manage NPUs without it (is the driver loaded?).");
    const wanted = chip ? chipFacts(chip)?.controlNodes ?? [] : ["devmm_svm", "hisi_hdc", "dvpp_cmdlist"];
    for (const name of wanted) {
      const n = hostDeviceNode(host, `/dev/${name}`, notes);
      if (n) controlNodes.push(n);
      else if (name === "devmm_svm" || name === "hisi_hdc") notes.push(`/dev/${name} is missing.`);
    }
    for (const dir of ["uburma", "ummu"]) {
      for (const e of host.readdir(`/dev/${dir}`)) {
        if (e.isDirectory) continue;
        const n = hostDeviceNode(host, `/dev/${dir}/${e.name}`, notes);
        if (n) controlNodes.push(n);
      }
    }
  } else {
    notes.push("no /dev/davinci<N> device nodes: no Ascend NPU or the Ascend driver is not loaded.");
  }

  const procDevices = host.readTextIfExists("/proc/devices") ?? "";
  if (anyAscend && !/^\s*\d{1,3} v?devdrv-cdev\s*$/m.test(procDevices)) {
    notes.push("/proc/devices has no devdrv-cdev line; the davinci nodes may be stale.");
  }

  const versionText = host.readTextIfExists(`${driverRoot}/version.info`);
  const driverVersion = versionText === undefined ? undefined : parseVersionInfo(versionText);
  if (anyAscend && versionText === undefined) notes.push(`${driverRoot}/version.info is missing; driver version unknown.`);
  else if (anyAscend && driverVersion === undefined) notes.push(`${driverRoot}/version.info has no Version= line.`);

  const optionalMounts: ResolvedListEntry[] = [];
  for (const p of optionalDriverPaths) {
    const c = checkListEntry(host, p);
    if (c.ok && c.exists) optionalMounts.push({
      path: p, line: 0, resolved: c.resolved, hostPath: host.hostPath(c.resolved), exists: true, isDirectory: c.isDirectory,
    });
  }

  return {
    vendor: "ascend",
    source: pci.length ? "sysfs" : "devfs",
    driverVersion,
    devices,
    controlNodes,
    notes,
    chip,
    mountLists: anyAscend ? discoverMountLists(host, notes) : {},
    optionalMounts,
  };
}
