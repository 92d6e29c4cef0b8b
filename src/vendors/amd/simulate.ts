/**
 * The AMD part of a simulated host: an 8×MI300X server with amdgpu (DKMS)
 * loaded. Device numbers, sysfs layout and the KFD property format follow
 * the kernel; values: docs/hardware-facts.md, "AMD".
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import type { SimTree } from "../../sim/tree.js";

/** /dev/kfd's major is dynamic (register_chrdev(0, "kfd")); DRM's is fixed at 226. */
export const simKfdMajor = 234;
export const drmMajor = 226;
export const mi300xDeviceId = 0x74a1;
export const simAmdgpuVersion = "6.10.5";

/** PCI bus ids of the eight OAM modules on a typical MI300X platform (illustrative). */
const busIds = ["0000:05:00.0", "0000:26:00.0", "0000:46:00.0", "0000:65:00.0",
  "0000:85:00.0", "0000:a6:00.0", "0000:c6:00.0", "0000:e5:00.0"];

export interface AmdSimGpu {
  index: number;
  busId: string;
  card: number;
  renderMinor: number;
  gpuId: number;
  /** KFD unique_id, a 64-bit value. */
  uniqueId: bigint;
}

export function amdSimGpus(count: number): AmdSimGpu[] {
  return Array.from({ length: count }, (_, i) => ({
    index: i,
    busId: busIds[i] ?? `0000:${(0x10 + i).toString(16).padStart(2, "0")}:00.0`,
    card: i,
    renderMinor: 128 + i,
    // gpu_id is a hash KFD computes; any stable non-zero 16-bit value will do.
    gpuId: 0x8000 + ((i * 0x1d37) & 0x7fff) + 1,
    uniqueId: 0x3f6c1a2b9d4e5000n + BigInt(i) * 0x1111_0000_0101n,
  }));
}

function cpuProperties(gpuCount: number): string {
  return kv([
    ["cpu_cores_count", 96], ["simd_count", 0], ["mem_banks_count", 1], ["caches_count", 0],
    ["io_links_count", gpuCount], ["p2p_links_count", 0], ["cpu_core_id_base", 0], ["simd_id_base", 0],
    ["max_waves_per_simd", 0], ["lds_size_in_kb", 0], ["gds_size_in_kb", 0], ["num_gws", 0],
    ["wave_front_size", 0], ["array_count", 0], ["simd_arrays_per_engine", 0], ["cu_per_simd_array", 0],
    ["simd_per_cu", 0], ["max_slots_scratch_cu", 0], ["gfx_target_version", 0], ["vendor_id", 0],
    ["device_id", 0], ["location_id", 0], ["domain", 0], ["drm_render_minor", 0], ["hive_id", 0],
    ["num_sdma_engines", 0], ["num_sdma_xgmi_engines", 0], ["num_sdma_queues_per_engine", 0],
    ["num_cp_queues", 0], ["max_engine_clk_fcompute", 0], ["local_mem_size", 0], ["fw_version", 0],
    ["capability", 0], ["debug_prop", 0], ["sdma_fw_version", 0], ["unique_id", 0], ["num_xcc", 0],
    ["max_engine_clk_ccompute", 3700],
  ]);
}

function gpuProperties(g: AmdSimGpu, gpuCount: number): string {
  const [, bus, devfn] = g.busId.split(":") as [string, string, string];
  const [dev, fn] = devfn.split(".") as [string, string];
  const locationId = (parseInt(bus, 16) << 8) | (parseInt(dev, 16) << 3) | parseInt(fn, 10);
  return kv([
    ["cpu_cores_count", 0], ["simd_count", 1216], ["mem_banks_count", 1], ["caches_count", 244],
    ["io_links_count", 1], ["p2p_links_count", gpuCount - 1], ["cpu_core_id_base", 0],
    ["simd_id_base", 2147487744 + g.index * 1216], ["max_waves_per_simd", 8], ["lds_size_in_kb", 64],
    ["gds_size_in_kb", 0], ["num_gws", 64], ["wave_front_size", 64], ["array_count", 32],
    ["simd_arrays_per_engine", 1], ["cu_per_simd_array", 10], ["simd_per_cu", 4],
    ["max_slots_scratch_cu", 32], ["gfx_target_version", 90402], ["vendor_id", 4098],
    ["device_id", mi300xDeviceId], ["location_id", locationId], ["domain", 0],
    ["drm_render_minor", g.renderMinor], ["hive_id", 0x5a1f3c2e7b9d4a60n], ["num_sdma_engines", 2],
    ["num_sdma_xgmi_engines", 14], ["num_sdma_queues_per_engine", 8], ["num_cp_queues", 120],
    ["max_engine_clk_fcompute", 2100], ["local_mem_size", 0], ["fw_version", 151],
    ["capability", 746324608], ["debug_prop", 1495], ["sdma_fw_version", 19], ["unique_id", g.uniqueId],
    ["num_xcc", 8], ["max_engine_clk_ccompute", 3700],
  ]);
}

function kv(pairs: [string, number | bigint][]): string {
  return pairs.map(([k, v]) => `${k} ${v}\n`).join("");
}

/** The options simulateAmd reads. */
export const amdSimOptionKeys = ["count"] as const;

export function simulateAmd(tree: SimTree, options: Record<string, unknown>): void {
  const count = options.count ?? 8;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > 64) {
    throw new ActkError(`AMD GPU count must be an integer from 0 to 64, not ${JSON.stringify(count)}`, {
      place: "count", exitCode: ExitCode.usage, fix: "pass a count such as 8",
    });
  }
  const gpus = amdSimGpus(count);

  // /dev: kfd for compute, a card and a render node per GPU (group video/render on real hosts).
  tree.charDevice({ path: "/dev/kfd", major: simKfdMajor, minor: 0, mode: 0o660 });
  for (const g of gpus) {
    tree.charDevice({ path: `/dev/dri/card${g.card}`, major: drmMajor, minor: g.card, mode: 0o660 });
    tree.charDevice({ path: `/dev/dri/renderD${g.renderMinor}`, major: drmMajor, minor: g.renderMinor, mode: 0o660 });
    tree.symlink(`../card${g.card}`, `/dev/dri/by-path/pci-${g.busId}-card`);
    tree.symlink(`../renderD${g.renderMinor}`, `/dev/dri/by-path/pci-${g.busId}-render`);
  }
  tree.registerCharMajor("drm", drmMajor);
  tree.registerCharMajor("kfd", simKfdMajor);

  // PCI devices, the amdgpu driver binding and the DRM class links.
  tree.writeFile("/sys/module/amdgpu/version", `${simAmdgpuVersion}\n`, 0o444);
  tree.mkdir("/sys/bus/pci/drivers/amdgpu");
  tree.symlink("../../../bus/pci/drivers/amdgpu", "/sys/module/amdgpu/drivers/pci:amdgpu");
  for (const g of gpus) {
    const up = (parseInt(g.busId.slice(5, 7), 16) - 1).toString(16).padStart(2, "0");
    const devDir = `/sys/devices/pci0000:${up}/0000:${up}:01.0/${g.busId}`;
    tree.writeFile(`${devDir}/vendor`, "0x1002\n", 0o444);
    tree.writeFile(`${devDir}/device`, `0x${mi300xDeviceId.toString(16)}\n`, 0o444);
    tree.writeFile(`${devDir}/subsystem_vendor`, "0x1002\n", 0o444);
    tree.writeFile(`${devDir}/subsystem_device`, `0x${mi300xDeviceId.toString(16)}\n`, 0o444);
    tree.writeFile(`${devDir}/class`, "0x120000\n", 0o444);
    tree.writeFile(`${devDir}/current_compute_partition`, "SPX\n", 0o644);
    tree.writeFile(`${devDir}/current_memory_partition`, "NPS1\n", 0o644);
    tree.writeFile(`${devDir}/drm/card${g.card}/dev`, `${drmMajor}:${g.card}\n`, 0o444);
    tree.writeFile(`${devDir}/drm/renderD${g.renderMinor}/dev`, `${drmMajor}:${g.renderMinor}\n`, 0o444);
    tree.symlink(`../../..${devDir.slice(4)}`, `/sys/bus/pci/devices/${g.busId}`);
    tree.symlink(`../../../../devices${devDir.slice(12)}`, `/sys/bus/pci/drivers/amdgpu/${g.busId}`);
    tree.symlink(`../../devices${devDir.slice(12)}/drm/card${g.card}`, `/sys/class/drm/card${g.card}`);
    tree.symlink(`../../devices${devDir.slice(12)}/drm/renderD${g.renderMinor}`, `/sys/class/drm/renderD${g.renderMinor}`);
  }

  // KFD topology: node 0 is the CPU (gpu_id 0), then one node per GPU.
  const topo = "/sys/devices/virtual/kfd/kfd/topology";
  tree.symlink("../../devices/virtual/kfd/kfd", "/sys/class/kfd/kfd");
  tree.writeFile(`${topo}/generation_id`, "1\n", 0o444);
  tree.writeFile(`${topo}/system_properties`, "platform_oem 0\nplatform_id 0\nplatform_rev 0\n", 0o444);
  tree.writeFile(`${topo}/nodes/0/gpu_id`, "0\n", 0o444);
  tree.writeFile(`${topo}/nodes/0/name`, "\n", 0o444);
  tree.writeFile(`${topo}/nodes/0/properties`, cpuProperties(count), 0o444);
  for (const g of gpus) {
    const n = `${topo}/nodes/${g.index + 1}`;
    tree.writeFile(`${n}/gpu_id`, `${g.gpuId}\n`, 0o444);
    tree.writeFile(`${n}/name`, "gfx942\n", 0o444);
    tree.writeFile(`${n}/properties`, gpuProperties(g, count), 0o444);
  }
}
