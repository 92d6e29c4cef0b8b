/**
 * Simulated host profiles: data only. Each names the vendors whose
 * `simulate(tree, options)` writes its part, with that vendor's options.
 */
export interface SimProfileVendor {
  /** Vendor plugin id ("nvidia", "ascend", "amd"). */
  id: string;
  options: Record<string, unknown>;
}

export interface SimProfile {
  name: string;
  summary: string;
  vendors: SimProfileVendor[];
}

export const simProfiles: readonly SimProfile[] = [
  {
    name: "dgx-h100",
    summary: "DGX H100: 8 NVIDIA H100 SXM5 80GB GPUs, driver 550.54.15 (CUDA 12.4); GPUs 0 and 1 in MIG mode",
    vendors: [{
      id: "nvidia",
      options: {
        count: 8,
        model: "h100-sxm",
        driverVersion: "550.54.15",
        // GPU index → GPU instance id → compute instance ids.
        mig: { 0: { 1: [0, 1], 2: [0] }, 1: { 7: [0], 8: [0], 9: [0] } },
        imexChannels: 4,
      },
    }],
  },
  {
    name: "ascend-910b",
    summary: "Atlas 800T A2: 8 Huawei Ascend 910B NPUs",
    vendors: [{ id: "ascend", options: { count: 8, chip: "Ascend910B" } }],
  },
  {
    name: "amd-mi300",
    summary: "4 AMD Instinct MI300X GPUs",
    vendors: [{ id: "amd", options: { count: 4 } }],
  },
  {
    name: "mixed",
    summary: "2 NVIDIA H100 GPUs and 2 Ascend 910B NPUs in one host",
    vendors: [
      { id: "nvidia", options: { count: 2, model: "h100-sxm", driverVersion: "550.54.15" } },
      { id: "ascend", options: { count: 2, chip: "Ascend910B" } },
    ],
  },
  {
    name: "jetson-orin",
    summary: "Jetson AGX Orin (L4T R36.3): integrated GPU described by the BSP's CSV mount lists, no NVML",
    vendors: [{ id: "nvidia", options: { tegra: true } }],
  },
  {
    name: "empty",
    summary: "A host with no accelerator and no accelerator driver",
    vendors: [],
  },
];

export function findProfile(name: string): SimProfile | undefined {
  return simProfiles.find((p) => p.name === name);
}
