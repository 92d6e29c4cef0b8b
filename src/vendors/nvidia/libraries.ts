/**
 * Which driver files each NVIDIA driver capability needs (the lists
 * libnvidia-container keeps per capability in src/nvc_info.c), and how to
 * find them on a host: ld.so.cache first (src/host/ldcache.ts), then the
 * configured library search paths; binaries in the binary search paths;
 * firmware under /lib/firmware/nvidia/<version>/; IPC sockets; graphics
 * config files. Everything is read through the HostRoot.
 */
import path from "node:path";
import type { HostRoot } from "../../host/host-root.js";
import { is64Bit, LdCacheFlag, parseLdCache, type LdCacheEntry } from "../../host/ldcache.js";
import { isActkError } from "../../core/errors.js";

export const driverCapabilities = ["compute", "utility", "video", "graphics", "display", "ngx", "compat32"] as const;
export type DriverCapability = (typeof driverCapabilities)[number];

export interface DriverLibrary {
  /** File name before ".so" ("libcuda"). */
  name: string;
  capability: Exclude<DriverCapability, "compat32">;
  /** SONAME suffix: a number ("1" → libcuda.so.1), or "version" when the SONAME is the versioned file name. */
  soname: string;
  /** The driver installer also creates the development link <name>.so → SONAME. */
  devLink?: boolean;
  /** Sub-directory of the library dir ("vdpau"). */
  subdir?: string;
  /** The driver also ships a 32-bit (i386) build, injected with the compat32 capability. */
  lib32?: boolean;
}

export const driverLibraries: readonly DriverLibrary[] = [
  // utility
  { name: "libnvidia-ml", capability: "utility", soname: "1", devLink: true, lib32: true },
  { name: "libnvidia-cfg", capability: "utility", soname: "1", devLink: true },
  // compute
  { name: "libcuda", capability: "compute", soname: "1", devLink: true, lib32: true },
  { name: "libcudadebugger", capability: "compute", soname: "1" },
  { name: "libnvidia-opencl", capability: "compute", soname: "1", lib32: true },
  { name: "libnvidia-gpucomp", capability: "compute", soname: "version", lib32: true },
  { name: "libnvidia-ptxjitcompiler", capability: "compute", soname: "1", devLink: true, lib32: true },
  { name: "libnvidia-nvvm", capability: "compute", soname: "4" },
  { name: "libnvidia-allocator", capability: "compute", soname: "1" },
  { name: "libnvidia-pkcs11", capability: "compute", soname: "version" },
  { name: "libnvidia-pkcs11-openssl3", capability: "compute", soname: "version" },
  // video
  { name: "libvdpau_nvidia", capability: "video", soname: "1", subdir: "vdpau", lib32: true },
  { name: "libnvidia-encode", capability: "video", soname: "1", devLink: true, lib32: true },
  { name: "libnvidia-opticalflow", capability: "video", soname: "1", devLink: true },
  { name: "libnvcuvid", capability: "video", soname: "1", devLink: true, lib32: true },
  // graphics
  { name: "libnvidia-eglcore", capability: "graphics", soname: "version", lib32: true },
  { name: "libnvidia-glcore", capability: "graphics", soname: "version", lib32: true },
  { name: "libnvidia-tls", capability: "graphics", soname: "version", lib32: true },
  { name: "libnvidia-glsi", capability: "graphics", soname: "version", lib32: true },
  { name: "libnvidia-fbc", capability: "graphics", soname: "1", lib32: true },
  { name: "libnvidia-rtcore", capability: "graphics", soname: "version" },
  { name: "libnvoptix", capability: "graphics", soname: "1" },
  { name: "libGLX_nvidia", capability: "graphics", soname: "0", lib32: true },
  { name: "libEGL_nvidia", capability: "graphics", soname: "0", lib32: true },
  { name: "libGLESv2_nvidia", capability: "graphics", soname: "2", lib32: true },
  { name: "libGLESv1_CM_nvidia", capability: "graphics", soname: "1", lib32: true },
  { name: "libnvidia-glvkspirv", capability: "graphics", soname: "version", lib32: true },
  // ngx
  { name: "libnvidia-ngx", capability: "ngx", soname: "1" },
];

export function sonameOf(lib: Pick<DriverLibrary, "name" | "soname">, driverVersion: string): string {
  return lib.soname === "version" ? `${lib.name}.so.${driverVersion}` : `${lib.name}.so.${lib.soname}`;
}

export const driverBinaries: readonly { name: string; capability: DriverCapability }[] = [
  { name: "nvidia-smi", capability: "utility" },
  { name: "nvidia-debugdump", capability: "utility" },
  { name: "nvidia-persistenced", capability: "utility" },
  { name: "nvidia-cuda-mps-control", capability: "compute" },
  { name: "nvidia-cuda-mps-server", capability: "compute" },
  { name: "nvidia-ngx-updater", capability: "ngx" },
];

/** Config files, as the container sees them; the same relative path is looked for under /usr/share and /etc. */
export const driverConfigFiles: readonly { path: string; capability: DriverCapability }[] = [
  { path: "/etc/OpenCL/vendors/nvidia.icd", capability: "compute" },
  { path: "/usr/share/vulkan/icd.d/nvidia_icd.json", capability: "graphics" },
  { path: "/etc/vulkan/icd.d/nvidia_icd.json", capability: "graphics" },
  { path: "/etc/vulkan/implicit_layer.d/nvidia_layers.json", capability: "graphics" },
  { path: "/usr/share/vulkan/implicit_layer.d/nvidia_layers.json", capability: "graphics" },
  { path: "/usr/share/glvnd/egl_vendor.d/10_nvidia.json", capability: "graphics" },
  { path: "/usr/share/egl/egl_external_platform.d/15_nvidia_gbm.json", capability: "graphics" },
  { path: "/usr/share/egl/egl_external_platform.d/10_nvidia_wayland.json", capability: "graphics" },
  { path: "/usr/share/nvidia/nvoptix.bin", capability: "graphics" },
  { path: "/usr/lib/xorg/modules/drivers/nvidia_drv.so", capability: "display" },
  { path: "/usr/share/X11/xorg.conf.d/10-nvidia.conf", capability: "display" },
];

/** IPC endpoints: the persistenced socket (utility) and the MPS pipe directory (compute). */
export const driverIpcPaths: readonly { path: string; capability: DriverCapability; directory: boolean }[] = [
  { path: "/run/nvidia-persistenced/socket", capability: "utility", directory: false },
  { path: "/tmp/nvidia-mps", capability: "compute", directory: true },
];

export interface DriverSearchOptions {
  /** Directories searched (after ld.so.cache) for versioned libraries. */
  librarySearchPaths: string[];
  binarySearchPaths: string[];
  firmwareSearchPaths: string[];
}

export const defaultDriverSearchOptions: DriverSearchOptions = {
  librarySearchPaths: [
    "/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/nvidia/current", "/usr/lib64", "/lib/x86_64-linux-gnu",
    "/lib64", "/usr/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu/nvidia/current", "/usr/lib",
  ],
  binarySearchPaths: ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/nvidia/bin"],
  firmwareSearchPaths: ["/lib/firmware", "/usr/lib/firmware"],
};

export interface FoundLibrary {
  /** The capability the library serves; for a 32-bit library (`compat32`) the one of its 64-bit twin. */
  capability: DriverCapability;
  /** An i386 build from ld.so.cache: injected only when compat32 is requested as well as `capability`. */
  compat32?: boolean;
  /** Real file, resolved, as the host sees it ("/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"). */
  path: string;
  soname: string;
  /** Where the SONAME link lives (mounted there too so no symlink hook is needed). */
  sonamePath?: string;
}

export interface FoundFile {
  capability: DriverCapability;
  /** As the host sees it (resolved). */
  path: string;
  /** Where it goes in the container. */
  containerPath: string;
  directory?: boolean;
}

export interface DriverFiles {
  libraries: FoundLibrary[];
  binaries: FoundFile[];
  firmware: FoundFile[];
  ipc: FoundFile[];
  configs: FoundFile[];
  /** Where libraries were found: "ld.so.cache", "search paths". */
  librarySource: string;
  notes: string[];
}

/** Read /etc/ld.so.cache through the host; undefined (with a note) when it is missing or unreadable. */
export function readHostLdCache(host: HostRoot, notes: string[]): LdCacheEntry[] | undefined {
  let bytes: Buffer;
  try {
    bytes = host.readBytes("/etc/ld.so.cache");
  } catch {
    notes.push("no /etc/ld.so.cache: driver libraries were looked up in the library search paths only");
    return undefined;
  }
  try {
    return parseLdCache(bytes, host.hostPath("/etc/ld.so.cache")).entries;
  } catch (e) {
    notes.push(`ignored /etc/ld.so.cache: ${isActkError(e) ? e.format() : String(e)}`);
    return undefined;
  }
}

const versionedName: Record<string, RegExp> = {
  libcuda: /^libcuda\.so\.(\d+\.\d+(?:\.\d+)?)$/,
  "libnvidia-ml": /^libnvidia-ml\.so\.(\d+\.\d+(?:\.\d+)?)$/,
};

/** Driver version from the first libcuda.so.<ver> or libnvidia-ml.so.<ver> found. */
export function driverVersionFromLibraries(host: HostRoot, search: DriverSearchOptions, cache: LdCacheEntry[] | undefined): string | undefined {
  for (const name of ["libcuda", "libnvidia-ml"] as const) {
    const pattern = versionedName[name] as RegExp;
    const candidates: string[] = [];
    for (const e of cache ?? []) if (e.key === `${name}.so.1` && is64Bit(e.flags)) candidates.push(host.resolveRelative(e.value));
    for (const dir of search.librarySearchPaths) {
      for (const ent of host.readdir(dir)) candidates.push(path.posix.join(dir, ent.name));
    }
    for (const c of candidates) {
      const m = pattern.exec(path.posix.basename(c));
      if (m && host.exists(c)) return m[1];
    }
  }
  return undefined;
}

/**
 * `ldCache`: the host's ld.so.cache already read by the caller (discovery reads it once), with the notes
 * reading it gave; read here when not given. `only`: look for the files of these capabilities alone (a
 * superset of what edits.ts mounts for them); firmware and IPC paths are always looked for.
 */
export function locateDriverFiles(
  host: HostRoot, driverVersion: string, search: DriverSearchOptions = defaultDriverSearchOptions,
  ldCache?: { entries: LdCacheEntry[] | undefined; notes: readonly string[] },
  only?: ReadonlySet<DriverCapability>,
): DriverFiles {
  const wanted = (c: DriverCapability): boolean => !only || only.has(c);
  const notes: string[] = [...(ldCache?.notes ?? [])];
  const cache = ldCache ? ldCache.entries : readHostLdCache(host, notes);
  // SONAME → cache entries, so each library is one lookup instead of a scan of the whole cache.
  const bySoname = new Map<string, LdCacheEntry[]>();
  for (const e of cache ?? []) {
    const list = bySoname.get(e.key);
    if (list) list.push(e);
    else bySoname.set(e.key, [e]);
  }
  const libraries: FoundLibrary[] = [];
  const seen = new Set<string>();
  let fromCache = 0;
  let fromSearch = 0;
  const add = (capability: DriverCapability, realPath: string, soname: string, linkPath: string | undefined, is32 = false): void => {
    if (seen.has(realPath)) return;
    seen.add(realPath);
    const lib: FoundLibrary = { capability, path: realPath, soname, ...(is32 ? { compat32: true } : {}) };
    if (linkPath && linkPath !== realPath) lib.sonamePath = linkPath;
    libraries.push(lib);
  };
  for (const lib of driverLibraries) {
    if (!wanted(lib.capability)) continue;
    const soname = sonameOf(lib, driverVersion);
    let found = false;
    for (const e of bySoname.get(soname) ?? []) {
      const is32 = !is64Bit(e.flags) && (e.flags & LdCacheFlag.archMask) === LdCacheFlag.i386;
      if (!is64Bit(e.flags) && !is32) continue;
      const real = host.resolveRelative(e.value);
      if (!host.exists(real)) continue;
      add(lib.capability, real, soname, e.value, is32);
      if (!is32) found = true;
      fromCache++;
    }
    if (found) continue;
    for (const dir of search.librarySearchPaths) {
      const d = lib.subdir ? path.posix.join(dir, lib.subdir) : dir;
      const file = path.posix.join(d, `${lib.name}.so.${driverVersion}`);
      if (!host.stat(file)?.isFile()) continue;
      const link = path.posix.join(d, soname);
      add(lib.capability, host.resolveRelative(file), soname, host.lstat(link) ? link : undefined);
      fromSearch++;
      break;
    }
  }
  const binaries: FoundFile[] = [];
  for (const b of driverBinaries) {
    if (!wanted(b.capability)) continue;
    for (const dir of search.binarySearchPaths) {
      const p = path.posix.join(dir, b.name);
      const st = host.stat(p);
      if (st?.isFile() && (st.mode & 0o111) !== 0) {
        binaries.push({ capability: b.capability, path: host.resolveRelative(p), containerPath: `/usr/bin/${b.name}` });
        break;
      }
    }
  }
  const firmware: FoundFile[] = [];
  for (const dir of search.firmwareSearchPaths) {
    const fwDir = path.posix.join(dir, "nvidia", driverVersion);
    const files = host.readdir(fwDir).filter((e) => /^gsp.*\.bin$/.test(e.name));
    for (const f of files) {
      const p = path.posix.join(fwDir, f.name);
      firmware.push({ capability: "utility", path: host.resolveRelative(p), containerPath: p });
    }
    if (files.length) break;
  }
  const ipc: FoundFile[] = [];
  for (const i of driverIpcPaths) {
    const alt = i.path.replace(/^\/run\//, "/var/run/");
    for (const p of alt === i.path ? [i.path] : [i.path, alt]) {
      const st = host.stat(p);
      if (st && st.isDirectory() === i.directory) {
        ipc.push({ capability: i.capability, path: host.resolveRelative(p), containerPath: i.path, directory: i.directory });
        break;
      }
    }
  }
  const configs: FoundFile[] = [];
  for (const c of driverConfigFiles) {
    if (!wanted(c.capability)) continue;
    if (host.stat(c.path)?.isFile()) configs.push({ capability: c.capability, path: host.resolveRelative(c.path), containerPath: c.path });
  }
  // The display driver's GLX server module lives with the X modules, versioned like the libraries.
  for (const dir of wanted("display") ? ["/usr/lib/xorg/modules/extensions", "/usr/lib64/xorg/modules/extensions", "/usr/lib/x86_64-linux-gnu/nvidia/xorg"] : []) {
    const p = path.posix.join(dir, `libglxserver_nvidia.so.${driverVersion}`);
    if (host.stat(p)?.isFile()) {
      configs.push({ capability: "display", path: host.resolveRelative(p), containerPath: p });
      break;
    }
  }
  if (libraries.length === 0) notes.push(`no NVIDIA driver libraries for version ${driverVersion} were found`);
  const librarySource = fromCache && fromSearch ? "ld.so.cache + search paths" : fromSearch ? "search paths" : "ld.so.cache";
  return { libraries, binaries, firmware, ipc, configs, librarySource, notes };
}
