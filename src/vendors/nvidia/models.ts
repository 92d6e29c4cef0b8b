/**
 * Facts about the NVIDIA GPU models actk simulates and recognises, with
 * sources in docs/hardware-facts.md ("NVIDIA").
 */
export interface NvidiaModel {
  /** Profile key. */
  key: string;
  /** The "Model:" line of /proc/driver/nvidia/gpus/<bus>/information (NVML's name). */
  name: string;
  /** PCI device id (vendor is 0x10de). */
  pciDevice: number;
  /** PCI class: 0x030200 = 3D controller (data-centre parts without display), 0x030000 = VGA. */
  pciClass: number;
  architecture: string;
  computeCapability: string;
  brand: string;
  videoBios: string;
  /** Bus ids, in index order, of a typical server of this model. */
  busIds: string[];
}

export const nvidiaModels: readonly NvidiaModel[] = [
  {
    key: "h100-sxm",
    name: "NVIDIA H100 80GB HBM3",
    pciDevice: 0x2330,
    pciClass: 0x030200,
    architecture: "hopper",
    computeCapability: "9.0",
    brand: "nvidia",
    videoBios: "96.00.74.00.01",
    // DGX H100 system bus ids, as `nvidia-smi` lists them there.
    busIds: ["0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0", "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0"],
  },
  {
    key: "a100-sxm",
    name: "NVIDIA A100-SXM4-80GB",
    pciDevice: 0x20b2,
    pciClass: 0x030200,
    architecture: "ampere",
    computeCapability: "8.0",
    brand: "nvidia",
    videoBios: "92.00.36.00.02",
    // DGX A100 system bus ids.
    busIds: ["0000:07:00.0", "0000:0f:00.0", "0000:47:00.0", "0000:4e:00.0", "0000:87:00.0", "0000:90:00.0", "0000:b7:00.0", "0000:bd:00.0"],
  },
];

export function modelByKey(key: string): NvidiaModel | undefined {
  return nvidiaModels.find((m) => m.key === key);
}

export function modelByName(name: string): NvidiaModel | undefined {
  return nvidiaModels.find((m) => m.name === name);
}
