/**
 * The Ascend part of a simulated host: what an Atlas server with the Ascend
 * HDK (driver + firmware) and ascend-docker-runtime installed looks like to
 * actk. Numbers and formats: docs/hardware-facts.md, "Huawei Ascend".
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import type { SimTree } from "../../sim/tree.js";
import { chipFacts, chips, huaweiPciVendor } from "./chips.js";

/** Char majors are dynamic (alloc_chrdev_region); these are values seen on real hosts. */
export const simMajors = {
  davinci: 236, // "devdrv-cdev"
  hisiHdc: 237,
  devmmSvm: 238,
  davinciManager: 239,
  dvppCmdlist: 240,
  vdavinci: 242, // "vdevdrv-cdev" (241 is hidraw on the common simulated host)
  /** 310B SoC media nodes share one major (acodec 218:32, ai 218:6, ao 218:7 on an Atlas 200I DK A2). */
  socMedia: 218,
} as const;

const socMediaMinors: Record<string, number> = { acodec: 32, ai: 6, ao: 7 };

export const simDriverVersion = "24.1.rc2";

/** Bus ids of the 8 NPUs of an Atlas 800T A2, in NPU order (illustrative; see hardware-facts.md). */
const busIds = ["0000:c1:00.0", "0000:c2:00.0", "0000:81:00.0", "0000:82:00.0",
  "0000:01:00.0", "0000:02:00.0", "0000:41:00.0", "0000:42:00.0"];

export interface AscendSimOptions {
  count: number;
  chip: string;
  /** vNPU ids to create as /dev/vdavinci<id> (real ids start at 100). */
  vnpus: number[];
  driverVersion: string;
}

/** The options simulateAscend reads. */
export const ascendSimOptionKeys = ["count", "chip", "vnpus", "driverVersion"] as const;

export function ascendSimOptions(options: Record<string, unknown>): AscendSimOptions {
  const count = options.count ?? 8;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > 64) {
    throw new ActkError(`Ascend NPU count must be an integer from 0 to 64, not ${JSON.stringify(count)}`, {
      place: "count", exitCode: ExitCode.usage, fix: "pass a count such as 8",
    });
  }
  const chip = options.chip ?? "Ascend910B";
  const facts = typeof chip === "string" ? chipFacts(chip) : undefined;
  if (!facts) {
    throw new ActkError(`unknown Ascend chip ${JSON.stringify(chip)}`, {
      place: "chip", exitCode: ExitCode.usage, fix: `use one of ${chips.map((c) => c.chip).join(", ")}`,
    });
  }
  const vnpus = options.vnpus ?? [];
  if (!Array.isArray(vnpus) || vnpus.some((v) => typeof v !== "number" || !Number.isInteger(v) || v < 0)) {
    throw new ActkError("vnpus must be a list of non-negative integers", { place: "vnpus", exitCode: ExitCode.usage });
  }
  const driverVersion = typeof options.driverVersion === "string" ? options.driverVersion : simDriverVersion;
  return { count, chip: facts.chip, vnpus: vnpus as number[], driverVersion };
}

export const baseListEntries = [
  "/usr/local/Ascend/driver/lib64",
  "/usr/local/Ascend/driver/include",
  "/usr/local/dcmi",
  "/usr/local/bin/npu-smi",
  "/var/queue_schedule",
];

export function simulateAscend(tree: SimTree, raw: Record<string, unknown>): void {
  const o = ascendSimOptions(raw);
  const facts = chipFacts(o.chip);
  const procDevices: [number, string][] = [];

  // Device nodes: crw-rw---- HwHiAiUser:HwHiAiUser on real hosts.
  for (let i = 0; i < o.count; i++) tree.charDevice({ path: `/dev/davinci${i}`, major: simMajors.davinci, minor: i, mode: 0o660 });
  procDevices.push([simMajors.davinci, "devdrv-cdev"]);
  tree.charDevice({ path: "/dev/davinci_manager", major: simMajors.davinciManager, minor: 0, mode: 0o660 });
  procDevices.push([simMajors.davinciManager, "davinci_manager"]);
  const numbered: Record<string, number> = {
    devmm_svm: simMajors.devmmSvm, hisi_hdc: simMajors.hisiHdc, dvpp_cmdlist: simMajors.dvppCmdlist,
  };
  let nextMediaMinor = 40;
  for (const name of facts?.controlNodes ?? []) {
    const major = numbered[name];
    if (major !== undefined) {
      tree.charDevice({ path: `/dev/${name}`, major, minor: 0, mode: 0o660 });
      procDevices.push([major, name]);
    } else {
      tree.charDevice({ path: `/dev/${name}`, major: simMajors.socMedia, minor: socMediaMinors[name] ?? nextMediaMinor++, mode: 0o660 });
    }
  }
  if (facts?.chip === "Ascend310B") procDevices.push([simMajors.socMedia, "media"]);
  for (const id of o.vnpus) tree.charDevice({ path: `/dev/vdavinci${id}`, major: simMajors.vdavinci, minor: id, mode: 0o660 });
  if (o.vnpus.length) procDevices.push([simMajors.vdavinci, "vdevdrv-cdev"]);
  for (const [major, name] of procDevices) tree.registerCharMajor(name, major);

  // PCI functions (310B is a SoC and has none).
  if (facts?.pciDevice !== undefined) {
    for (let i = 0; i < o.count; i++) {
      const bus = busIds[i] ?? `0000:${(0x10 + i).toString(16).padStart(2, "0")}:00.0`;
      const upstream = (parseInt(bus.slice(5, 7), 16) - 1).toString(16).padStart(2, "0");
      const devDir = `/sys/devices/pci0000:${upstream}/0000:${upstream}:00.0/${bus}`;
      tree.writeFile(`${devDir}/vendor`, `0x${huaweiPciVendor.toString(16)}\n`, 0o444);
      tree.writeFile(`${devDir}/device`, `0x${facts.pciDevice.toString(16)}\n`, 0o444);
      tree.writeFile(`${devDir}/class`, "0x120000\n", 0o444);
      tree.writeFile(`${devDir}/subsystem_vendor`, `0x${huaweiPciVendor.toString(16)}\n`, 0o444);
      tree.symlink(`../../..${devDir.slice(4)}`, `/sys/bus/pci/devices/${bus}`);
    }
  }

  // Driver (HDK) tree.
  const drv = "/usr/local/Ascend/driver";
  for (const lib of ["libascend_hal.so", "libdrvdsmi_host.so", "libtsdclient.so"]) tree.sharedLibrary(`${drv}/lib64/driver/${lib}`, lib);
  for (const lib of ["libc_sec.so", "libmmpa.so"]) tree.sharedLibrary(`${drv}/lib64/common/${lib}`, lib);
  tree.writeFile(`${drv}/include/dsmi_common_interface.h`, "/* actk-sim: Ascend DSMI header placeholder */\n");
  tree.writeFile(`${drv}/include/ascend_hal.h`, "/* actk-sim: Ascend HAL header placeholder */\n");
  tree.writeFile(`${drv}/version.info`, [
    `Version=${o.driverVersion}`, "ascendhal_version=7.35.19", "aicpu_version=1.0", "tdt_version=1.0",
    "log_version=1.0", "prof_version=2.0", "dvppkernels_version=1.1", "tsfw_version=1.0",
    "Innerversion=V100R001C19SPC002B220", "",
  ].join("\n"), 0o444);
  tree.mkdir(`${drv}/topo`);
  tree.writeFile("/usr/local/bin/npu-smi", "#!/bin/sh\necho 'actk-sim: npu-smi placeholder' >&2\nexit 1\n", 0o755);
  tree.sharedLibrary("/usr/local/dcmi/libdcmi.so", "libdcmi.so");
  tree.writeFile("/usr/local/dcmi/dcmi_interface_api.h", "/* actk-sim: DCMI header placeholder */\n");
  tree.writeFile("/etc/ascend_install.info", `UserName=HwHiAiUser\nUserGroup=HwHiAiUser\nDriver_Install_Type=full\nDriver_Install_Path_Param=/usr/local/Ascend\nDriver_Install_For_All=no\n`);
  tree.writeFile("/etc/hdcBasic.cfg", "# actk-sim: HDC basic configuration placeholder\n");
  tree.writeFile("/var/log/npu/conf/slog/slog.conf", "global_level=3\n");
  tree.mkdir("/var/queue_schedule");

  // ascend-docker-runtime's installed base.list (mode 0440, as the installer sets it).
  tree.writeFile("/etc/ascend-docker-runtime.d/base.list", baseListEntries.join("\n") + "\n", 0o440);
}

