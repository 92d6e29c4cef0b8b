/**
 * NVIDIA's part of a simulated host, in the formats the driver (and
 * nvidia-modprobe) produce: /proc/driver/nvidia/{version,params,gpus/<bus>/information},
 * MIG capability files and /dev/nvidia-caps nodes, /dev/nvidia* and DRM
 * nodes, PCI sysfs entries, versioned driver libraries with SONAME links,
 * binaries, GSP firmware, the persistenced socket and graphics config files.
 * Sources for every format and number: docs/hardware-facts.md ("NVIDIA").
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { ActkError, ExitCode } from "../../core/errors.js";
import { buildSharedObject } from "../../sim/elf.js";
import { SimTree } from "../../sim/tree.js";
import { simulateTegra } from "./tegra.js";
import { driverBinaries, driverConfigFiles, driverLibraries, sonameOf } from "./libraries.js";
import { modelByKey, nvidiaModels, type NvidiaModel } from "./models.js";

/** Fixed major of the NVIDIA driver (Documentation/admin-guide/devices.txt: 195 = NVIDIA graphics). */
export const NVIDIA_MAJOR = 195;
export const NVIDIACTL_MINOR = 255;
export const NVIDIA_MODESET_MINOR = 254;
/** Dynamic majors on the simulated host (the kernel picks them; real hosts differ). */
export const simDynamicMajors = { "nvidia-uvm": 509, "nvidia-caps-imex-channels": 510, "nvidia-caps": 511 } as const;
/** Dynamic majors of the optional extras' drivers on the simulated host (real hosts differ). */
export const simExtraMajors = { "nvidia-nvswitch": 508, "nvidia-fs": 507, gdrdrv: 506 } as const;
/** Fixed numbers: InfiniBand verbs (devices.txt: 231 char, uverbsN at minor 192+N); rdma_cm is a misc device (10, dynamic minor). */
export const INFINIBAND_MAJOR = 231;
export const MISC_MAJOR = 10;
export const SIM_RDMA_CM_MINOR = 58;
/** The gated extras `actk sim create` can add (NVIDIA_GDS, NVIDIA_MOFED, NVIDIA_GDRCOPY, NVIDIA_NVSWITCH). */
export const simExtras = ["gds", "mofed", "gdrcopy", "nvswitch"] as const;
export type SimExtra = (typeof simExtras)[number];
export const DRM_MAJOR = 226;
export const LIB_DIR = "/usr/lib/x86_64-linux-gnu";
export const LIB32_DIR = "/usr/lib/i386-linux-gnu";

/** /proc/driver/nvidia-caps/mig-minors layout: config 1, monitor 2, then per GPU 15 GIs × (1 + 8 CIs). */
export const MIG_MAX_GPUS = 32;
export const MIG_MAX_GIS = 15;
export const MIG_MAX_CIS = 8;
export function migGiMinor(gpu: number, gi: number): number {
  return 3 + gpu * MIG_MAX_GIS * (1 + MIG_MAX_CIS) + gi * (1 + MIG_MAX_CIS);
}
export function migCiMinor(gpu: number, gi: number, ci: number): number {
  return migGiMinor(gpu, gi) + 1 + ci;
}
/** DeviceFileMode values the driver writes: 0400 for config, 0444 for monitor and instance access. */
export const MIG_CONFIG_MODE = 0o400;
export const MIG_ACCESS_MODE = 0o444;

export interface NvidiaSimOptions {
  count: number;
  model: NvidiaModel;
  driverVersion: string;
  /** GPU index → GPU instance id → compute instance ids. */
  mig: Map<number, Map<number, number[]>>;
  /** IMEX channel nodes channel0 … channel<N-1>. */
  imexChannels: number;
  /** Nodes (and files) of the gated extras to create. */
  extras: SimExtra[];
  /** Also install the 32-bit (i386) driver libraries in /usr/lib/i386-linux-gnu. */
  compat32: boolean;
}

/** The options simulateNvidia reads (tegra: a Jetson instead of a discrete-GPU host). */
export const nvidiaSimOptionKeys = ["count", "model", "driverVersion", "mig", "imexChannels", "extras", "compat32", "tegra"] as const;

export function nvidiaSimOptions(raw: Record<string, unknown>): NvidiaSimOptions {
  const fail = (place: string, msg: string, fix: string): never => {
    throw new ActkError(msg, { place, exitCode: ExitCode.usage, fix });
  };
  const modelKey = raw.model ?? "h100-sxm";
  const model = typeof modelKey === "string" ? modelByKey(modelKey) : undefined;
  if (!model) return fail("model", `unknown NVIDIA model ${JSON.stringify(modelKey)}`, `use one of ${nvidiaModels.map((m) => m.key).join(", ")}`);
  const count = raw.count ?? model.busIds.length;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > model.busIds.length) {
    return fail("count", `NVIDIA GPU count must be an integer from 0 to ${model.busIds.length}, not ${JSON.stringify(count)}`, "pass a count such as 8");
  }
  const driverVersion = raw.driverVersion ?? "550.54.15";
  if (typeof driverVersion !== "string" || !/^\d+\.\d+(\.\d+)?$/.test(driverVersion)) {
    return fail("driverVersion", `bad driver version ${JSON.stringify(driverVersion)}`, "use a version such as 550.54.15");
  }
  const mig = new Map<number, Map<number, number[]>>();
  const rawMig = raw.mig ?? {};
  if (typeof rawMig !== "object" || rawMig === null) return fail("mig", "mig must be an object {gpu: {gi: [ci, …]}}", "see the dgx-h100 profile");
  for (const [gpu, gis] of Object.entries(rawMig as Record<string, unknown>)) {
    const g = Number(gpu);
    if (!Number.isInteger(g) || g < 0 || g >= count) fail("mig", `MIG layout names GPU ${gpu}, but there are ${count} GPUs`, "use GPU indices below the count");
    const giMap = new Map<number, number[]>();
    for (const [gi, cis] of Object.entries((gis ?? {}) as Record<string, unknown>)) {
      const i = Number(gi);
      if (!Number.isInteger(i) || i < 0 || i >= MIG_MAX_GIS) fail("mig", `GPU instance id ${gi} is outside 0..${MIG_MAX_GIS - 1}`, "use valid GPU instance ids");
      if (!Array.isArray(cis) || cis.some((c) => !Number.isInteger(c) || c < 0 || c >= MIG_MAX_CIS)) {
        fail("mig", `compute instances of GPU ${gpu} instance ${gi} must be ids 0..${MIG_MAX_CIS - 1}`, "write e.g. [0, 1]");
      }
      giMap.set(i, cis as number[]);
    }
    mig.set(g, giMap);
  }
  const imexChannels = raw.imexChannels ?? 0;
  if (typeof imexChannels !== "number" || !Number.isInteger(imexChannels) || imexChannels < 0 || imexChannels > 2048) {
    fail("imexChannels", `imexChannels must be a channel count from 0 to 2048, not ${JSON.stringify(imexChannels)}`, "pass e.g. 4");
  }
  const extras = raw.extras ?? [];
  if (!Array.isArray(extras) || extras.some((x) => !(simExtras as readonly unknown[]).includes(x))) {
    fail("extras", `extras must be a list of ${simExtras.join(", ")}, not ${JSON.stringify(extras)}`, 'pass e.g. ["mofed","nvswitch"]');
  }
  const compat32 = raw.compat32 ?? false;
  if (typeof compat32 !== "boolean") fail("compat32", `compat32 must be true or false, not ${JSON.stringify(compat32)}`, "pass true to add the i386 libraries");
  return {
    count, model, driverVersion, mig, imexChannels: imexChannels as number, extras: [...new Set(extras as SimExtra[])], compat32: compat32 as boolean,
  };
}

/** A stable, UUID-shaped GPU UUID for a simulated GPU. */
export function simGpuUuid(model: NvidiaModel, busId: string): string {
  const h = createHash("sha1").update(`actk-sim/${model.key}/${busId}`).digest("hex");
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The "information" file exactly as nv-procfs.c prints it (tabs included). */
export function formatInformation(f: {
  model: string; irq: number; uuid: string; videoBios: string; busId: string; minor: number; gpuFirmware?: string; excluded?: boolean;
}): string {
  return `Model: \t\t ${f.model}\n` +
    `IRQ:   \t\t ${f.irq}\n` +
    `GPU UUID: \t ${f.uuid}\n` +
    `Video BIOS: \t ${f.videoBios}\n` +
    `Bus Type: \t PCIe\n` +
    `DMA Size: \t 52 bits\n` +
    `DMA Mask: \t 0xfffffffffffff\n` +
    `Bus Location: \t ${f.busId}\n` +
    `Device Minor: \t ${f.minor}\n` +
    (f.gpuFirmware ? `GPU Firmware: \t ${f.gpuFirmware}\n` : "") +
    `GPU Excluded:\t ${f.excluded ? "Yes" : "No"}\n`;
}

function capFile(minor: number, mode: number): string {
  return `DeviceFileMinor: ${minor}\nDeviceFileMode: ${mode}\nDeviceFileModify: 1\n`;
}

export function simulateNvidia(tree: SimTree, raw: Record<string, unknown>): void {
  if (raw.tegra === true) {
    simulateTegra(tree);
    return;
  }
  const o = nvidiaSimOptions(raw);
  const v = o.driverVersion;
  const majors = simDynamicMajors;
  tree.registerCharMajor("nvidia-frontend", NVIDIA_MAJOR);
  for (const [name, major] of Object.entries(majors)) tree.registerCharMajor(name, major);

  tree.writeFile("/proc/driver/nvidia/version",
    `NVRM version: NVIDIA UNIX x86_64 Kernel Module  ${v}  Tue Mar  5 22:23:56 UTC 2024\n` +
    "GCC version:  gcc version 11.4.0 (Ubuntu 11.4.0-1ubuntu1~22.04) \n", 0o444);
  tree.writeFile("/proc/driver/nvidia/params",
    ["ResmanDebugLevel: 4294967295", "EnableMSI: 1", "ModifyDeviceFiles: 1", "DeviceFileUID: 0", "DeviceFileGID: 0",
      "DeviceFileMode: 438", "EnableStreamMemOPs: 0", "RegistryDwords: \"\"", "ExcludedGpus: \"\""].join("\n") + "\n", 0o444);
  tree.appendFile("/proc/modules",
    "nvidia_uvm 4911104 0 - Live 0x0000000000000000 (POE)\n" +
    "nvidia_drm 122880 0 - Live 0x0000000000000000 (POE)\n" +
    "nvidia_modeset 1355776 1 nvidia_drm, Live 0x0000000000000000 (POE)\n" +
    "nvidia 54386688 2 nvidia_uvm,nvidia_modeset, Live 0x0000000000000000 (POE)\n");

  // Control nodes.
  tree.charDevice({ path: "/dev/nvidiactl", major: NVIDIA_MAJOR, minor: NVIDIACTL_MINOR, mode: 0o666 });
  tree.charDevice({ path: "/dev/nvidia-modeset", major: NVIDIA_MAJOR, minor: NVIDIA_MODESET_MINOR, mode: 0o666 });
  tree.charDevice({ path: "/dev/nvidia-uvm", major: majors["nvidia-uvm"], minor: 0, mode: 0o666 });
  tree.charDevice({ path: "/dev/nvidia-uvm-tools", major: majors["nvidia-uvm"], minor: 1, mode: 0o666 });

  // MIG capabilities: the static minor table, config/monitor files and nodes.
  let migMinors = "config 1\nmonitor 2\n";
  for (let g = 0; g < MIG_MAX_GPUS; g++) {
    for (let gi = 0; gi < MIG_MAX_GIS; gi++) {
      migMinors += `gpu${g}/gi${gi}/access ${migGiMinor(g, gi)}\n`;
      for (let ci = 0; ci < MIG_MAX_CIS; ci++) migMinors += `gpu${g}/gi${gi}/ci${ci}/access ${migCiMinor(g, gi, ci)}\n`;
    }
  }
  tree.writeFile("/proc/driver/nvidia-caps/mig-minors", migMinors, 0o444);
  tree.writeFile("/proc/driver/nvidia/capabilities/mig/config", capFile(1, MIG_CONFIG_MODE), 0o444);
  tree.writeFile("/proc/driver/nvidia/capabilities/mig/monitor", capFile(2, MIG_ACCESS_MODE), 0o444);
  tree.charDevice({ path: "/dev/nvidia-caps/nvidia-cap1", major: majors["nvidia-caps"], minor: 1, mode: MIG_CONFIG_MODE });
  tree.charDevice({ path: "/dev/nvidia-caps/nvidia-cap2", major: majors["nvidia-caps"], minor: 2, mode: MIG_ACCESS_MODE });

  for (let i = 0; i < o.count; i++) {
    const busId = o.model.busIds[i] as string;
    const uuid = simGpuUuid(o.model, busId);
    tree.writeFile(`/proc/driver/nvidia/gpus/${busId}/information`,
      formatInformation({
        model: o.model.name, irq: 0, uuid, videoBios: o.model.videoBios, busId, minor: i,
        // GSP-based GPUs (Turing and later) report the GSP firmware version, which is the driver version.
        gpuFirmware: v,
      }), 0o444);
    const sys = `/sys/bus/pci/devices/${busId}`;
    tree.writeFile(`${sys}/vendor`, "0x10de\n", 0o444);
    tree.writeFile(`${sys}/device`, `0x${o.model.pciDevice.toString(16).padStart(4, "0")}\n`, 0o444);
    tree.writeFile(`${sys}/class`, `0x${o.model.pciClass.toString(16).padStart(6, "0")}\n`, 0o444);
    tree.writeFile(`${sys}/subsystem_vendor`, "0x10de\n", 0o444);
    tree.writeFile(`${sys}/numa_node`, `${i < o.count / 2 ? 0 : 1}\n`, 0o444);
    tree.charDevice({ path: `/dev/nvidia${i}`, major: NVIDIA_MAJOR, minor: i, mode: 0o666 });
    const card = `card${i}`;
    const render = `renderD${128 + i}`;
    tree.mkdir(`${sys}/drm/${card}`);
    tree.mkdir(`${sys}/drm/${render}`);
    tree.charDevice({ path: `/dev/dri/${card}`, major: DRM_MAJOR, minor: i, mode: 0o666 });
    tree.charDevice({ path: `/dev/dri/${render}`, major: DRM_MAJOR, minor: 128 + i, mode: 0o666 });
    tree.symlink(`../${card}`, `/dev/dri/by-path/pci-${busId}-card`);
    tree.symlink(`../${render}`, `/dev/dri/by-path/pci-${busId}-render`);
    tree.mkdir(`/proc/driver/nvidia/capabilities/gpu${i}/mig`);
    for (const [gi, cis] of o.mig.get(i) ?? []) {
      const giDir = `/proc/driver/nvidia/capabilities/gpu${i}/mig/gi${gi}`;
      const giMinor = migGiMinor(i, gi);
      tree.writeFile(`${giDir}/access`, capFile(giMinor, MIG_ACCESS_MODE), 0o444);
      tree.charDevice({ path: `/dev/nvidia-caps/nvidia-cap${giMinor}`, major: majors["nvidia-caps"], minor: giMinor, mode: MIG_ACCESS_MODE });
      for (const ci of cis) {
        const ciMinor = migCiMinor(i, gi, ci);
        tree.writeFile(`${giDir}/ci${ci}/access`, capFile(ciMinor, MIG_ACCESS_MODE), 0o444);
        tree.charDevice({ path: `/dev/nvidia-caps/nvidia-cap${ciMinor}`, major: majors["nvidia-caps"], minor: ciMinor, mode: MIG_ACCESS_MODE });
      }
    }
  }

  // IMEX channels: the driver creates channel0 with NVreg_CreateImexChannel0=1; admins mknod the others.
  for (let c = 0; c < o.imexChannels; c++) {
    tree.charDevice({ path: `/dev/nvidia-caps-imex-channels/channel${c}`, major: majors["nvidia-caps-imex-channels"], minor: c, mode: 0o666 });
  }
  simulateExtras(tree, o.extras);

  // Driver libraries with SONAME (and development) links, as the .run installer lays them out.
  for (const lib of driverLibraries) {
    const dir = lib.subdir ? path.posix.join(LIB_DIR, lib.subdir) : LIB_DIR;
    const devLink = lib.devLink ? { devLink: `${lib.name}.so` } : {};
    tree.sharedLibrary(path.posix.join(dir, `${lib.name}.so.${v}`), sonameOf(lib, v), devLink);
  }
  if (o.compat32) simulateCompat32(tree, v);
  for (const b of driverBinaries) {
    tree.writeFile(`/usr/bin/${b.name}`, `#!/bin/sh\necho "actk-sim: simulated ${b.name} (driver ${v})" >&2\nexit 0\n`, 0o755);
  }
  for (const fw of ["gsp_ga10x.bin", "gsp_tu10x.bin"]) {
    tree.writeFile(`/lib/firmware/nvidia/${v}/${fw}`, `actk-sim GSP firmware ${fw} ${v}\n`, 0o644);
  }
  tree.writeFile("/run/nvidia-persistenced/socket", "actk-sim placeholder for the nvidia-persistenced unix socket\n", 0o644); // a world-writable regular file would be refused as a mount source by actk-hook
  tree.writeFile("/run/nvidia-persistenced/nvidia-persistenced.pid", "1234\n");
  for (const c of driverConfigFiles) tree.writeFile(c.path, configContent(c.path, v));
  SimTree.makeSharedObject(tree, `/usr/lib/xorg/modules/extensions/libglxserver_nvidia.so.${v}`, `libglxserver_nvidia.so.${v}`);
}

/**
 * The i386 builds of the libraries that have one, in /usr/lib/i386-linux-gnu (Debian multiarch, as
 * libnvidia-*-<branch>:i386 packages and the .run installer's 32-bit compat option lay them out), ELF32
 * objects needing libc.so.6 so ldconfig indexes them as i386 libc6 (flags 0x0003); plus the multiarch
 * ld.so.conf snippet Ubuntu's libc6:i386 installs.
 */
function simulateCompat32(tree: SimTree, v: string): void {
  tree.writeFile("/etc/ld.so.conf.d/i386-linux-gnu.conf",
    "# Multiarch support\n/usr/local/lib/i386-linux-gnu\n/lib/i386-linux-gnu\n/usr/lib/i386-linux-gnu\n/usr/local/lib/i686-linux-gnu\n/lib/i686-linux-gnu\n/usr/lib/i686-linux-gnu\n");
  for (const lib of driverLibraries) {
    if (!lib.lib32) continue;
    const dir = lib.subdir ? path.posix.join(LIB32_DIR, lib.subdir) : LIB32_DIR;
    const file = path.posix.join(dir, `${lib.name}.so.${v}`);
    const soname = sonameOf(lib, v);
    tree.writeFile(file, buildSharedObject({ soname, needed: ["libc.so.6"], arch: "i386" }), 0o755);
    tree.libraries.push({ path: file, soname });
    if (soname !== path.posix.basename(file)) tree.symlink(path.posix.basename(file), path.posix.join(dir, soname));
  }
}

/** Nodes of the gated extras, as their drivers create them (sources: docs/hardware-facts.md "NVIDIA extras"). */
function simulateExtras(tree: SimTree, extras: readonly SimExtra[]): void {
  if (extras.includes("gds")) {
    tree.registerCharMajor("nvidia-fs", simExtraMajors["nvidia-fs"]);
    for (let i = 0; i < 16; i++) tree.charDevice({ path: `/dev/nvidia-fs${i}`, major: simExtraMajors["nvidia-fs"], minor: i, mode: 0o666 });
    tree.writeFile("/etc/cufile.json", JSON.stringify({ logging: { dir: "/var/log/cufile", level: "ERROR" }, properties: { use_poll_mode: false } }, null, 4) + "\n");
    tree.mkdir("/run/udev/data");
  }
  if (extras.includes("mofed")) {
    tree.registerCharMajor("infiniband_verbs", INFINIBAND_MAJOR);
    for (let i = 0; i < 8; i++) tree.charDevice({ path: `/dev/infiniband/uverbs${i}`, major: INFINIBAND_MAJOR, minor: 192 + i, mode: 0o666 });
    tree.charDevice({ path: "/dev/infiniband/rdma_cm", major: MISC_MAJOR, minor: SIM_RDMA_CM_MINOR, mode: 0o666 });
  }
  if (extras.includes("gdrcopy")) {
    tree.registerCharMajor("gdrdrv", simExtraMajors.gdrdrv);
    tree.charDevice({ path: "/dev/gdrdrv", major: simExtraMajors.gdrdrv, minor: 0, mode: 0o666 });
  }
  if (extras.includes("nvswitch")) {
    tree.registerCharMajor("nvidia-nvswitch", simExtraMajors["nvidia-nvswitch"]);
    tree.charDevice({ path: "/dev/nvidia-nvswitchctl", major: simExtraMajors["nvidia-nvswitch"], minor: 255, mode: 0o666 });
    // DGX H100: four third-generation NVSwitch chips.
    for (let i = 0; i < 4; i++) tree.charDevice({ path: `/dev/nvidia-nvswitch${i}`, major: simExtraMajors["nvidia-nvswitch"], minor: i, mode: 0o666 });
  }
}

function configContent(p: string, v: string): string | Uint8Array {
  const base = path.posix.basename(p);
  const icd = (lib: string): string => JSON.stringify({ file_format_version: "1.0.1", ICD: { library_path: lib, api_version: "1.3.277" } }, null, 4) + "\n";
  switch (base) {
    case "nvidia.icd": return "libnvidia-opencl.so.1\n";
    case "nvidia_icd.json": return icd("libGLX_nvidia.so.0");
    case "nvidia_layers.json":
      return JSON.stringify({ file_format_version: "1.0.1", layer: { name: "VK_LAYER_NV_optimus", type: "INSTANCE", library_path: "libGLX_nvidia.so.0", api_version: "1.3.277", implementation_version: "1", description: "NVIDIA Optimus layer" } }, null, 4) + "\n";
    case "10_nvidia.json": return JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: "libEGL_nvidia.so.0" } }, null, 4) + "\n";
    case "15_nvidia_gbm.json": return JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: "libnvidia-egl-gbm.so.1" } }, null, 4) + "\n";
    case "10_nvidia_wayland.json": return JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: "libnvidia-egl-wayland.so.1" } }, null, 4) + "\n";
    case "10-nvidia.conf":
      return 'Section "OutputClass"\n    Identifier "nvidia"\n    MatchDriver "nvidia-drm"\n    Driver "nvidia"\n    ModulePath "/usr/lib/x86_64-linux-gnu/nvidia/xorg"\nEndSection\n';
    case "nvidia_drv.so": return Buffer.from(`actk-sim X driver module ${v}\n`);
    default: return `actk-sim ${base} for driver ${v}\n`;
  }
}
