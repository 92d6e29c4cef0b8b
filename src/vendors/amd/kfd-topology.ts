/**
 * The amdkfd topology in sysfs: /sys/class/kfd/kfd/topology/nodes/<n>/ with
 * `properties` ("name value" lines, values decimal, 64-bit for ids) and
 * `gpu_id` (0 on CPU-only nodes). Format: docs/hardware-facts.md, "AMD".
 */

export const kfdTopologyNodes = "/sys/class/kfd/kfd/topology/nodes";

/** Property values as decimal strings parsed to bigint (unique_id and hive_id are 64-bit). */
export type KfdProperties = Map<string, bigint>;

/** Pure: "name value" lines → map; lines that are not "word integer" are skipped (newer kernels add keys). */
export function parseKfdProperties(text: string): KfdProperties {
  const props: KfdProperties = new Map();
  for (const line of text.split("\n")) {
    const m = /^\s*([a-z0-9_]+)\s+(\d+)\s*$/.exec(line);
    if (m) props.set(m[1] as string, BigInt(m[2] as string));
  }
  return props;
}

export function prop(props: KfdProperties, name: string): number | undefined {
  const v = props.get(name);
  return v === undefined ? undefined : Number(v);
}

/** PCI bus id ("0000:05:00.0") from KFD's domain and location_id (bus << 8 | device << 3 | function). */
export function pciBusId(domain: number, locationId: number): string {
  const bus = (locationId >> 8) & 0xff;
  const dev = (locationId >> 3) & 0x1f;
  const fn = locationId & 0x7;
  const hex = (n: number, w: number): string => n.toString(16).padStart(w, "0");
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(dev, 2)}.${fn}`;
}

/** KFD's gfx_target_version (major*10000 + minor*100 + stepping) as the LLVM target name: 90402 → gfx942, 90010 → gfx90a. */
export function gfxTarget(version: number): string | undefined {
  if (!version) return undefined;
  const major = Math.floor(version / 10000);
  const minor = Math.floor(version / 100) % 100;
  const step = version % 100;
  return `gfx${major}${minor.toString(16)}${step.toString(16)}`;
}

/** Marketing names for the PCI device ids actk knows (others are reported by id). */
export const amdModels: Readonly<Record<number, string>> = {
  0x738c: "AMD Instinct MI100",
  0x740c: "AMD Instinct MI250X / MI250",
  0x740f: "AMD Instinct MI210",
  0x74a0: "AMD Instinct MI300A",
  0x74a1: "AMD Instinct MI300X",
  0x74a5: "AMD Instinct MI325X",
};

export function amdModel(deviceId: number): string {
  return amdModels[deviceId] ?? `AMD GPU 0x${deviceId.toString(16).padStart(4, "0")}`;
}
