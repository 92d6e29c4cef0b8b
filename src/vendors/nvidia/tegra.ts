/**
 * Tegra/Jetson boards: an integrated GPU with no /proc/driver/nvidia/gpus and
 * no NVML. What a container needs is described by the L4T BSP's CSV mount
 * lists (./csv.ts), so those are the discovery source here: one device "0"
 * whose nodes are the CSV `dev` entries, and common edits made of the
 * `lib`/`sym`/`dir` mounts plus the loader-cache hook. Formats and the
 * numbers the simulation uses are in docs/hardware-facts.md ("Tegra").
 */
import path from "node:path";
import type { ContainerEdits, Hook } from "../../edits/container-edits.js";
import type { HostRoot } from "../../host/host-root.js";
import type { SimTree } from "../../sim/tree.js";
import type { VendorDevice } from "../vendor.js";
import { csvEdits, csvFiles, csvMountSpecDir } from "./csv.js";
import type { NvidiaDiscovery } from "./discover.js";

/** "# R36 (release), REVISION: 3.0, …" → "36.3.0" (the L4T version). */
export function parseTegraRelease(text: string): string | undefined {
  const m = /^#\s*R(\d+)\s*\(release\),\s*REVISION:\s*(\d+)(?:\.(\d+))?/m.exec(text);
  return m ? `${m[1]}.${m[2]}.${m[3] ?? "0"}` : undefined;
}

/** The CSV-derived part of an NVIDIA discovery on a Tegra host. */
export function discoverTegra(host: HostRoot, out: NvidiaDiscovery): void {
  out.source = "csv";
  const release = host.readTextIfExists("/etc/nv_tegra_release");
  const version = release === undefined ? undefined : parseTegraRelease(release);
  if (version) out.driverVersion = version;
  else out.notes.push("L4T version unknown: /etc/nv_tegra_release is missing or not in the \"# R<major> (release), REVISION: <minor>\" form");
  const files = csvFiles(host, false);
  if (!files.length) {
    out.notes.push(`Tegra host without CSV mount lists in ${csvMountSpecDir}: nothing to inject (install the L4T BSP's nvidia-container packages)`);
    return;
  }
  const edits = csvEdits(host, files, out.notes);
  const model = host.readTextIfExists("/proc/device-tree/model")?.replace(/\0/g, "").trim();
  const gpu: VendorDevice = {
    vendor: out.vendor, kind: "nvidia.com/gpu", index: "0",
    model: model || "NVIDIA Tegra integrated GPU",
    deviceNodes: edits.deviceNodes ?? [],
    details: { integrated: true, csvFiles: files.map((f) => path.posix.basename(f)).join(",") },
  };
  out.devices.push(gpu);
  out.csvEdits = { ...(edits.mounts ? { mounts: edits.mounts } : {}) };
}

/**
 * Common edits on Tegra: every CSV mount (NVIDIA's csv mode does not split
 * files by capability) and the loader-cache hook for the library folders.
 */
export function tegraCommonEdits(csv: ContainerEdits, hookPath: string, hookEnv: readonly string[]): ContainerEdits {
  const mounts = csv.mounts ?? [];
  const libDirs: string[] = [];
  for (const m of mounts) {
    if (!/\.so(\.|$)/.test(path.posix.basename(m.containerPath))) continue;
    const dir = path.posix.dirname(m.containerPath);
    if (!libDirs.includes(dir)) libDirs.push(dir);
  }
  const edits: ContainerEdits = {};
  if (mounts.length) edits.mounts = mounts.map((m) => ({ ...m, options: [...(m.options ?? [])] }));
  if (libDirs.length) {
    const hook: Hook = {
      hookName: "createContainer", path: hookPath,
      args: [path.posix.basename(hookPath), "update-ldcache", ...libDirs.flatMap((d) => ["--folder", d])],
      env: [...hookEnv],
    };
    edits.hooks = [hook];
  }
  return edits;
}

const tegraLib = "/usr/lib/aarch64-linux-gnu/tegra";

/**
 * A Jetson AGX Orin (L4T R36.3, JetPack 6) as the BSP lays it out: nvhost/nvmap
 * nodes, the tegra library folder, /etc/nv_tegra_release and the CSV lists.
 */
export function simulateTegra(tree: SimTree): void {
  tree.writeFile("/etc/nv_tegra_release",
    "# R36 (release), REVISION: 3.0, GCID: 36923193, BOARD: generic, EABI: aarch64, DATE: Fri Jul 19 23:24:25 UTC 2024\n" +
    "# KERNEL_VARIANT: oot\nTARGET_USERSPACE_LIB_DIR=nvidia\nTARGET_USERSPACE_LIB_DIR_PATH=usr/lib/aarch64-linux-gnu/nvidia\n");
  tree.writeFile("/sys/devices/soc0/family", "Tegra\n", 0o444);
  tree.writeFile("/proc/device-tree/model", "NVIDIA Jetson AGX Orin Developer Kit\0", 0o444);
  // nvhost-* majors are dynamic; nvmap is a misc device (major 10).
  const nodes: [string, number, number][] = [
    ["/dev/nvhost-ctrl", 507, 0], ["/dev/nvhost-ctrl-gpu", 506, 0], ["/dev/nvhost-prof-gpu", 506, 1],
    ["/dev/nvhost-gpu", 506, 2], ["/dev/nvhost-as-gpu", 506, 3], ["/dev/nvhost-dbg-gpu", 506, 4],
    ["/dev/nvhost-tsg-gpu", 506, 5], ["/dev/nvmap", 10, 125], ["/dev/nvhost-vic", 505, 0],
  ];
  for (const [p, major, minor] of nodes) tree.charDevice({ path: p, major, minor, mode: 0o666 });
  tree.registerCharMajor("nvhost-ctrl", 507);
  tree.registerCharMajor("nvgpu", 506);
  tree.registerCharMajor("nvhost-vic", 505);
  const libs: [string, string][] = [
    ["libcuda.so.1.1", "libcuda.so.1"], ["libnvrm_gpu.so", "libnvrm_gpu.so"], ["libnvrm_mem.so", "libnvrm_mem.so"],
    ["libnvos.so", "libnvos.so"], ["libnvsocsys.so", "libnvsocsys.so"], ["libnvidia-ptxjitcompiler.so.540.3.0", "libnvidia-ptxjitcompiler.so.1"],
  ];
  for (const [file, soname] of libs) tree.sharedLibrary(`${tegraLib}/${file}`, soname, file.startsWith("libcuda") ? { devLink: "libcuda.so" } : {});
  tree.writeFile("/etc/ld.so.conf.d/nvidia-tegra.conf", `${tegraLib}\n`);
  tree.writeFile(`${csvMountSpecDir}/devices.csv`,
    nodes.map(([p]) => `dev, ${p}`).join("\n") + "\ndev, /dev/nvhost-nvdla0\n");
  tree.writeFile(`${csvMountSpecDir}/drivers.csv`,
    libs.map(([f]) => `lib, ${tegraLib}/${f}`).join("\n") + `\nsym, ${tegraLib}/libcuda.so\nsym, ${tegraLib}/libcuda.so.1\n`);
  tree.writeFile(`${csvMountSpecDir}/l4t.csv`, "dir, /usr/share/nvidia\n");
  tree.mkdir("/usr/share/nvidia");
  tree.writeFile("/usr/share/nvidia/nvoptix.bin", "actk-sim placeholder\n");
}
