/**
 * Ascend chip generations as actk names them, with the PCI ids that identify
 * them in /sys when DCMI (Huawei's management library) is not used.
 * Sources and certainty: docs/hardware-facts.md, "Huawei Ascend".
 */

export const huaweiPciVendor = 0x19e5;

export type AscendChip = "Ascend310" | "Ascend310P" | "Ascend310B" | "Ascend910" | "Ascend910B" | "Ascend910_93";

export interface ChipFacts {
  chip: AscendChip;
  /** PCI device id of the NPU function (undefined: SoC part, not on PCI). */
  pciDevice?: number;
  /** Control nodes besides davinci_manager (which every chip has). */
  controlNodes: readonly string[];
}

export const chips: readonly ChipFacts[] = [
  { chip: "Ascend310", pciDevice: 0xd100, controlNodes: ["devmm_svm", "hisi_hdc", "dvpp_cmdlist"] },
  { chip: "Ascend310P", pciDevice: 0xd500, controlNodes: ["devmm_svm", "hisi_hdc", "dvpp_cmdlist"] },
  { chip: "Ascend910", pciDevice: 0xd801, controlNodes: ["devmm_svm", "hisi_hdc", "dvpp_cmdlist"] },
  { chip: "Ascend910B", pciDevice: 0xd802, controlNodes: ["devmm_svm", "hisi_hdc", "dvpp_cmdlist"] },
  { chip: "Ascend910_93", pciDevice: 0xd803, controlNodes: ["devmm_svm", "hisi_hdc", "dvpp_cmdlist"] },
  // 310B is a SoC (Atlas 200I A2 / 200I DK A2): no devmm_svm/hisi_hdc, its own media nodes.
  {
    chip: "Ascend310B",
    controlNodes: ["dvpp_cmdlist", "svm0", "ts_aisle", "upgrade", "sys", "vdec", "vpc", "pngd", "venc",
      "log_drv", "acodec", "ai", "ao", "vo", "hdmi"],
  },
];

export function chipByPciDevice(device: number): ChipFacts | undefined {
  return chips.find((c) => c.pciDevice === device);
}

export function chipFacts(chip: string): ChipFacts | undefined {
  return chips.find((c) => c.chip.toLowerCase() === chip.toLowerCase());
}
