/**
 * NVML (libnvidia-ml.so.1) as an optional second NVIDIA discovery source,
 * called through koffi. It reads the few facts procfs lacks (MIG UUIDs and
 * the slices/memory that name a MIG profile, the CUDA driver version) into a
 * plain snapshot; nvml-merge.ts merges that into the procfs discovery.
 *
 * koffi is a native addon: it is required on first use only (never at plugin
 * init, never by bundles that do not get here), and a missing koffi, a
 * library that cannot be loaded or lacks a symbol, or an NVML call that
 * fails all end in `{ ok: false, reason }`, never in a throw.
 *
 * Only unprivileged queries on device and MIG-device handles are used (no
 * GPU-instance handles, which NVML gives to root only), so `actk info` works
 * as a user. Names, layouts and constants: docs/hardware-facts.md ("NVML").
 */
import { closeSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ActkError, ExitCode } from "../../core/errors.js";
import type { HostRoot } from "../../host/host-root.js";
import { elfFitsArch, elfMachine, elfTargets } from "../../host/elf-target.js";
import { is64Bit, type LdCacheEntry } from "../../host/ldcache.js";
import type { Discovery } from "../vendor.js";
import { readHostLdCache } from "./libraries.js";
import { mergeNvmlSnapshot, type MergeableDiscovery } from "./nvml-merge.js";

export const NVML_SONAME = "libnvidia-ml.so.1";
/** Start of the note a discovery gets when NVML could not be used. */
export const NVML_NOT_USED = "NVML not used:";

/** nvmlReturn_t values actk names in messages (nvml.h). */
export const NvmlReturn = {
  success: 0,
  uninitialized: 1,
  invalidArgument: 2,
  notSupported: 3,
  noPermission: 4,
  notFound: 6,
  insufficientSize: 7,
  driverNotLoaded: 9,
  libRmVersionMismatch: 18,
  unknown: 999,
} as const;

/** NVML_DEVICE_UUID_V2_BUFFER_SIZE: large enough for GPU and MIG UUIDs. */
export const NVML_DEVICE_UUID_V2_BUFFER_SIZE = 96;
/** NVML_DEVICE_NAME_V2_BUFFER_SIZE. */
export const NVML_DEVICE_NAME_V2_BUFFER_SIZE = 96;
export const NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE = 80;
/** NVML_GPU_INSTANCE_PROFILE_COUNT: profiles 0 (1 slice) … 9 (1 slice rev 2). */
export const NVML_GPU_INSTANCE_PROFILE_COUNT = 10;
/** NVML_DEVICE_MIG_ENABLE. */
export const NVML_DEVICE_MIG_ENABLE = 1;

/** A GPU-instance profile as nvmlDeviceGetGpuInstanceProfileInfo reports it. */
export interface NvmlGpuInstanceProfile {
  /** The NVML_GPU_INSTANCE_PROFILE_* constant it was asked for (0 … 9). */
  profile: number;
  /** The profile id nvidia-smi shows (H100: 19 = 1g.10gb, 9 = 3g.40gb …). */
  id: number;
  sliceCount: number;
  instanceCount: number;
  multiprocessorCount: number;
  decoderCount: number;
  jpegCount: number;
  ofaCount: number;
  memorySizeMB: number;
}

export interface NvmlMigDevice {
  /** Index for nvmlDeviceGetMigDeviceHandleByIndex (not actk's G:I index). */
  index: number;
  uuid: string;
  gpuInstanceId: number;
  computeInstanceId: number;
  /** From nvmlDeviceGetAttributes_v2. */
  gpuInstanceSliceCount: number;
  computeInstanceSliceCount: number;
  memorySizeMB: number;
  multiprocessorCount: number;
  decoderCount: number;
  jpegCount: number;
  ofaCount: number;
}

export interface NvmlGpu {
  index: number;
  uuid: string;
  name?: string;
  /** PCI bus id in procfs form ("0000:18:00.0"), from nvmlPciInfo_t.busId. */
  busId?: string;
  memoryTotalBytes?: number;
  /** Absent when the GPU does not support MIG. */
  migMode?: { current: number; pending: number };
  /** GPU-instance profiles this GPU supports (MIG-capable GPUs only). */
  profiles: NvmlGpuInstanceProfile[];
  migDevices: NvmlMigDevice[];
}

export interface NvmlSnapshot {
  /** The library that answered, as the host sees it. */
  library: string;
  driverVersion?: string;
  /** nvmlSystemGetCudaDriverVersion_v2 as "major.minor" (12040 → "12.4"). */
  cudaVersion?: string;
  gpus: NvmlGpu[];
  /** Facts NVML would not give, one sentence each. */
  notes: string[];
}

export type NvmlResult = { ok: true; snapshot: NvmlSnapshot } | { ok: false; reason: string };

/** The subset of koffi's API used here (the package's own types are not imported, so tsc never needs it). */
interface KoffiFunction { (...args: unknown[]): unknown }
interface KoffiLibrary { func(definition: string): KoffiFunction; unload(): void }
interface Koffi {
  load(path: string): KoffiLibrary;
  opaque(name: string): unknown;
  pointer(name: string, ref: unknown): unknown;
  struct(name: string, def: Record<string, unknown>): unknown;
  out(type: unknown): unknown;
  array(ref: string, len: number, hint?: string): unknown;
}

let koffiModule: Koffi | null | undefined;
/** koffi, or null when it is not installed (or does not load on this platform); loaded once, on first use. */
function loadKoffi(): Koffi | null {
  if (koffiModule !== undefined) return koffiModule;
  try {
    // A require at call time, not an import: bundles keep koffi external and only pay for it here.
    koffiModule = createRequire(import.meta.url)("koffi") as Koffi;
  } catch {
    koffiModule = null;
  }
  return koffiModule;
}

/** Where libnvidia-ml.so.1 is on the host, as the host sees it: the 64-bit ld.so.cache entry, resolved under the HostRoot. */
export function locateNvmlLibrary(host: HostRoot, cache: readonly LdCacheEntry[] | undefined): string | undefined {
  const entry = cache?.find((e) => e.key === NVML_SONAME && is64Bit(e.flags));
  return entry ? host.resolve(entry.value) : undefined;
}

/** NVML's PCI bus id ("00000000:18:00.0", 8-digit domain, upper case) in procfs form ("0000:18:00.0"). */
export function procfsBusId(nvmlBusId: string): string | undefined {
  const m = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(nvmlBusId.trim());
  if (!m) return undefined;
  const domain = (m[1] as string).slice(-4);
  return `${domain}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase();
}

/** "major.minor" from NVML's CUDA driver version number (NVML_CUDA_DRIVER_VERSION_MAJOR/MINOR). */
export function cudaVersionString(v: number): string | undefined {
  if (!Number.isInteger(v) || v <= 0) return undefined;
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

/** Every NVML function readWith declares (all present since R470, the first driver branch with MIG UUIDs of the MIG-<uuid> form). */
export const requiredSymbols: readonly string[] = [
  "nvmlInit_v2", "nvmlShutdown", "nvmlErrorString", "nvmlSystemGetDriverVersion", "nvmlSystemGetCudaDriverVersion_v2",
  "nvmlDeviceGetCount_v2", "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetUUID", "nvmlDeviceGetName", "nvmlDeviceGetPciInfo_v3",
  "nvmlDeviceGetMemoryInfo", "nvmlDeviceGetMigMode", "nvmlDeviceGetMaxMigDeviceCount", "nvmlDeviceGetMigDeviceHandleByIndex",
  "nvmlDeviceGetGpuInstanceId", "nvmlDeviceGetComputeInstanceId", "nvmlDeviceGetAttributes_v2", "nvmlDeviceGetGpuInstanceProfileInfo",
];

/**
 * Why `file` cannot be NVML for this process, read from its ELF64 header and
 * section table without loading it; undefined when every symbol in `symbols`
 * is defined in its dynamic symbol table (.dynsym).
 */
export function missingSymbols(file: string, symbols: readonly string[]): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    return `cannot open it: ${(e as NodeJS.ErrnoException).code ?? firstLine(e)}`;
  }
  try {
    const read = (offset: number, length: number): Buffer => {
      const buf = Buffer.alloc(length);
      const n = readSync(fd, buf, 0, length, offset);
      if (n !== length) throw new RangeError(`truncated at byte ${offset + n}`);
      return buf;
    };
    const h = read(0, 64);
    if (h.readUInt32BE(0) !== 0x7f454c46) return "not an ELF file";
    if (h[4] !== 2 || h[5] !== 1) return "not a 64-bit little-endian ELF object";
    const machine = elfMachine(h);
    if (elfTargets[process.arch] !== undefined && !elfFitsArch(h)) return `built for ELF machine ${machine}, not this ${process.arch} host`;
    const shoff = Number(h.readBigUInt64LE(0x28));
    const shentsize = h.readUInt16LE(0x3a);
    const shnum = h.readUInt16LE(0x3c);
    if (shoff === 0 || shnum === 0 || shentsize < 64) return "no section table, so no dynamic symbol table";
    const sections = read(shoff, shentsize * shnum);
    const section = (i: number): { type: number; offset: number; size: number; link: number; entsize: number } => {
      const o = i * shentsize;
      return {
        type: sections.readUInt32LE(o + 4), offset: Number(sections.readBigUInt64LE(o + 24)), size: Number(sections.readBigUInt64LE(o + 32)),
        link: sections.readUInt32LE(o + 40), entsize: Number(sections.readBigUInt64LE(o + 56)),
      };
    };
    const SHT_DYNSYM = 11;
    let dynsym: ReturnType<typeof section> | undefined;
    for (let i = 0; i < shnum && !dynsym; i++) if (section(i).type === SHT_DYNSYM) dynsym = section(i);
    if (!dynsym || dynsym.link >= shnum) return "no dynamic symbol table";
    const strtab = section(dynsym.link);
    const strings = read(strtab.offset, strtab.size);
    const syms = read(dynsym.offset, dynsym.size);
    const entsize = dynsym.entsize || 24;
    const defined = new Set<string>();
    for (let o = 0; o + 24 <= syms.length; o += entsize) {
      if (syms.readUInt16LE(o + 6) === 0) continue; // SHN_UNDEF: imported, not defined here
      const name = syms.readUInt32LE(o);
      const end = strings.indexOf(0, name);
      defined.add(strings.toString("latin1", name, end < 0 ? strings.length : end));
    }
    const absent = symbols.filter((s) => !defined.has(s));
    return absent.length ? `it does not define ${absent.slice(0, 3).join(", ")}${absent.length > 3 ? ` and ${absent.length - 3} more` : ""}` : undefined;
  } catch (e) {
    return `unreadable ELF object (${firstLine(e)})`;
  } finally {
    closeSync(fd);
  }
}

class NvmlCallError extends Error {
  constructor(readonly fn: string, readonly code: number, text: string) {
    super(`${fn} returned ${code} (${text})`);
  }
}

/**
 * Load `library` (a host path) and read a snapshot, then shut NVML down and
 * unload it. Never throws.
 */
export function readNvmlSnapshot(library: string): NvmlResult {
  // dlopen runs a library's constructors and crashes on malformed objects (the simulated host's libraries
  // are bare ELF headers): only objects that export NVML's entry points are loaded. Checked before koffi
  // is required, since loading koffi (a native addon) costs ≈10 ms and is wasted on a library that is not NVML.
  const missing = missingSymbols(library, requiredSymbols);
  if (missing !== undefined) return { ok: false, reason: `${library} is not a usable NVML: ${missing}` };
  const koffi = loadKoffi();
  if (!koffi) return { ok: false, reason: "koffi not available" };
  let lib: KoffiLibrary;
  try {
    lib = koffi.load(library);
  } catch (e) {
    return { ok: false, reason: `cannot load ${library}: ${firstLine(e)}` };
  }
  try {
    return readWith(koffi, lib, library);
  } finally {
    try {
      lib.unload();
    } catch {
      // nothing left to do
    }
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] as string;
}

/** Struct and handle types are declared once per process: koffi refuses a second type of the same name. */
let types: { device: unknown } | undefined;
function declareTypes(koffi: Koffi): { device: unknown } {
  if (types) return types;
  koffi.pointer("nvmlDevice_t", koffi.opaque("nvmlDevice_st"));
  koffi.struct("nvmlPciInfo_t", {
    busIdLegacy: koffi.array("char", 16, "String"),
    domain: "uint", bus: "uint", device: "uint", pciDeviceId: "uint", pciSubSystemId: "uint",
    busId: koffi.array("char", 32, "String"),
  });
  koffi.struct("nvmlMemory_t", { total: "unsigned long long", free: "unsigned long long", used: "unsigned long long" });
  koffi.struct("nvmlDeviceAttributes_t", {
    multiprocessorCount: "uint", sharedCopyEngineCount: "uint", sharedDecoderCount: "uint", sharedEncoderCount: "uint",
    sharedJpegCount: "uint", sharedOfaCount: "uint", gpuInstanceSliceCount: "uint", computeInstanceSliceCount: "uint",
    memorySizeMB: "unsigned long long",
  });
  koffi.struct("nvmlGpuInstanceProfileInfo_t", {
    id: "uint", isP2pSupported: "uint", sliceCount: "uint", instanceCount: "uint", multiprocessorCount: "uint",
    copyEngineCount: "uint", decoderCount: "uint", encoderCount: "uint", jpegCount: "uint", ofaCount: "uint",
    memorySizeMB: "unsigned long long",
  });
  types = { device: "nvmlDevice_t" };
  return types;
}

interface PciInfo { busId: string }
interface MemoryInfo { total: number | bigint }
interface Attributes {
  multiprocessorCount: number; sharedDecoderCount: number; sharedJpegCount: number; sharedOfaCount: number;
  gpuInstanceSliceCount: number; computeInstanceSliceCount: number; memorySizeMB: number | bigint;
}
interface ProfileInfo {
  id: number; sliceCount: number; instanceCount: number; multiprocessorCount: number;
  decoderCount: number; jpegCount: number; ofaCount: number; memorySizeMB: number | bigint;
}

function readWith(koffi: Koffi, lib: KoffiLibrary, library: string): NvmlResult {
  let fns: Record<string, KoffiFunction>;
  try {
    declareTypes(koffi);
    const decl = (d: string): KoffiFunction => lib.func(d);
    fns = {
      init: decl("int nvmlInit_v2()"),
      shutdown: decl("int nvmlShutdown()"),
      errorString: decl("const char *nvmlErrorString(int result)"),
      driverVersion: decl("int nvmlSystemGetDriverVersion(_Out_ uint8_t *version, unsigned int length)"),
      cudaVersion: decl("int nvmlSystemGetCudaDriverVersion_v2(_Out_ int *version)"),
      count: decl("int nvmlDeviceGetCount_v2(_Out_ unsigned int *count)"),
      handleByIndex: decl("int nvmlDeviceGetHandleByIndex_v2(unsigned int index, _Out_ nvmlDevice_t *device)"),
      uuid: decl("int nvmlDeviceGetUUID(nvmlDevice_t device, _Out_ uint8_t *uuid, unsigned int length)"),
      name: decl("int nvmlDeviceGetName(nvmlDevice_t device, _Out_ uint8_t *name, unsigned int length)"),
      pciInfo: decl("int nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, _Out_ nvmlPciInfo_t *pci)"),
      memoryInfo: decl("int nvmlDeviceGetMemoryInfo(nvmlDevice_t device, _Out_ nvmlMemory_t *memory)"),
      migMode: decl("int nvmlDeviceGetMigMode(nvmlDevice_t device, _Out_ unsigned int *current, _Out_ unsigned int *pending)"),
      maxMig: decl("int nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, _Out_ unsigned int *count)"),
      migByIndex: decl("int nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index, _Out_ nvmlDevice_t *mig)"),
      giId: decl("int nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, _Out_ unsigned int *id)"),
      ciId: decl("int nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, _Out_ unsigned int *id)"),
      attributes: decl("int nvmlDeviceGetAttributes_v2(nvmlDevice_t device, _Out_ nvmlDeviceAttributes_t *attributes)"),
      profileInfo: decl("int nvmlDeviceGetGpuInstanceProfileInfo(nvmlDevice_t device, unsigned int profile, _Out_ nvmlGpuInstanceProfileInfo_t *info)"),
    };
  } catch (e) {
    // The simulated host's libnvidia-ml is an empty ELF with a SONAME: it loads but has no symbols.
    return { ok: false, reason: `${library} is not a usable NVML: ${firstLine(e)}` };
  }
  const text = (code: number): string => {
    try {
      return String(fns.errorString?.(code) ?? "unknown error");
    } catch {
      return "unknown error";
    }
  };
  const call = (fn: string, ...args: unknown[]): number => {
    const code = Number((fns[fn] as KoffiFunction)(...args));
    if (code !== NvmlReturn.success) throw new NvmlCallError(nvmlName(fn), code, text(code));
    return code;
  };
  /** Like call, but NOT_SUPPORTED (and the codes in `also`) answer undefined instead of failing the snapshot. */
  const optional = (fn: string, also: readonly number[], ...args: unknown[]): boolean => {
    const code = Number((fns[fn] as KoffiFunction)(...args));
    if (code === NvmlReturn.success) return true;
    if (code === NvmlReturn.notSupported || also.includes(code)) return false;
    throw new NvmlCallError(nvmlName(fn), code, text(code));
  };

  const initCode = Number((fns.init as KoffiFunction)());
  if (initCode !== NvmlReturn.success) return { ok: false, reason: `nvmlInit_v2 returned ${initCode} (${text(initCode)})` };
  try {
    const notes: string[] = [];
    const snapshot: NvmlSnapshot = { library, gpus: [], notes };
    const version = Buffer.alloc(NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE);
    call("driverVersion", version, version.length);
    snapshot.driverVersion = cString(version);
    const cuda = [0];
    if (optional("cudaVersion", [], cuda)) snapshot.cudaVersion = cudaVersionString(cuda[0] as number);
    const count = [0];
    call("count", count);
    for (let i = 0; i < (count[0] as number); i++) {
      const handle = [null];
      call("handleByIndex", i, handle);
      snapshot.gpus.push(readGpu(i, handle[0], call, optional, notes));
    }
    return { ok: true, snapshot };
  } catch (e) {
    return { ok: false, reason: e instanceof NvmlCallError ? e.message : `NVML call failed: ${firstLine(e)}` };
  } finally {
    try {
      (fns.shutdown as KoffiFunction)();
    } catch {
      // the snapshot (or its failure) is what matters
    }
  }
}

type Call = (fn: string, ...args: unknown[]) => number;
type Optional = (fn: string, also: readonly number[], ...args: unknown[]) => boolean;

function readGpu(index: number, dev: unknown, call: Call, optional: Optional, notes: string[]): NvmlGpu {
  const uuidBuf = Buffer.alloc(NVML_DEVICE_UUID_V2_BUFFER_SIZE);
  call("uuid", dev, uuidBuf, uuidBuf.length);
  const gpu: NvmlGpu = { index, uuid: cString(uuidBuf), profiles: [], migDevices: [] };
  const nameBuf = Buffer.alloc(NVML_DEVICE_NAME_V2_BUFFER_SIZE);
  if (optional("name", [], dev, nameBuf, nameBuf.length)) gpu.name = cString(nameBuf);
  const pci: Partial<PciInfo> = {};
  if (optional("pciInfo", [], dev, pci) && typeof pci.busId === "string") gpu.busId = procfsBusId(pci.busId);
  const mem: Partial<MemoryInfo> = {};
  if (optional("memoryInfo", [], dev, mem) && mem.total !== undefined) gpu.memoryTotalBytes = Number(mem.total);

  const current = [0];
  const pending = [0];
  if (!optional("migMode", [], dev, current, pending)) return gpu;
  gpu.migMode = { current: current[0] as number, pending: pending[0] as number };
  for (let p = 0; p < NVML_GPU_INSTANCE_PROFILE_COUNT; p++) {
    const info: Partial<ProfileInfo> = {};
    // INVALID_ARGUMENT: a profile constant this driver does not know yet.
    if (!optional("profileInfo", [NvmlReturn.invalidArgument], dev, p, info)) continue;
    gpu.profiles.push({
      profile: p, id: info.id ?? 0, sliceCount: info.sliceCount ?? 0, instanceCount: info.instanceCount ?? 0,
      multiprocessorCount: info.multiprocessorCount ?? 0, decoderCount: info.decoderCount ?? 0,
      jpegCount: info.jpegCount ?? 0, ofaCount: info.ofaCount ?? 0, memorySizeMB: Number(info.memorySizeMB ?? 0),
    });
  }
  if (gpu.migMode.current !== NVML_DEVICE_MIG_ENABLE) return gpu;
  const max = [0];
  call("maxMig", dev, max);
  for (let m = 0; m < (max[0] as number); m++) {
    const mig = [null];
    // NOT_FOUND: no MIG device at this index (indices can have gaps).
    if (!optional("migByIndex", [NvmlReturn.notFound], dev, m, mig)) continue;
    const uuid = Buffer.alloc(NVML_DEVICE_UUID_V2_BUFFER_SIZE);
    call("uuid", mig[0], uuid, uuid.length);
    const gi = [0];
    const ci = [0];
    call("giId", mig[0], gi);
    call("ciId", mig[0], ci);
    const attrs: Partial<Attributes> = {};
    const hasAttrs = optional("attributes", [], mig[0], attrs);
    if (!hasAttrs) notes.push(`GPU ${index} MIG device ${m}: nvmlDeviceGetAttributes_v2 is not supported; no profile name`);
    gpu.migDevices.push({
      index: m, uuid: cString(uuid), gpuInstanceId: gi[0] as number, computeInstanceId: ci[0] as number,
      gpuInstanceSliceCount: attrs.gpuInstanceSliceCount ?? 0, computeInstanceSliceCount: attrs.computeInstanceSliceCount ?? 0,
      memorySizeMB: Number(attrs.memorySizeMB ?? 0), multiprocessorCount: attrs.multiprocessorCount ?? 0,
      decoderCount: attrs.sharedDecoderCount ?? 0, jpegCount: attrs.sharedJpegCount ?? 0, ofaCount: attrs.sharedOfaCount ?? 0,
    });
  }
  return gpu;
}

const nvmlNames: Record<string, string> = {
  init: "nvmlInit_v2", driverVersion: "nvmlSystemGetDriverVersion", cudaVersion: "nvmlSystemGetCudaDriverVersion_v2",
  count: "nvmlDeviceGetCount_v2", handleByIndex: "nvmlDeviceGetHandleByIndex_v2", uuid: "nvmlDeviceGetUUID",
  name: "nvmlDeviceGetName", pciInfo: "nvmlDeviceGetPciInfo_v3", memoryInfo: "nvmlDeviceGetMemoryInfo",
  migMode: "nvmlDeviceGetMigMode", maxMig: "nvmlDeviceGetMaxMigDeviceCount", migByIndex: "nvmlDeviceGetMigDeviceHandleByIndex",
  giId: "nvmlDeviceGetGpuInstanceId", ciId: "nvmlDeviceGetComputeInstanceId", attributes: "nvmlDeviceGetAttributes_v2",
  profileInfo: "nvmlDeviceGetGpuInstanceProfileInfo",
};
function nvmlName(fn: string): string {
  return nvmlNames[fn] ?? fn;
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString("utf8", 0, end < 0 ? buf.length : end);
}

/** The NVIDIA plugin's NVML keys: `nvml = "auto" | "off"`, `nvml-library = "/path/libnvidia-ml.so.1"` (empty: ld.so.cache). */
export interface NvmlOptions {
  nvml: string;
  nvmlLibrary: string;
}

export const defaultNvmlOptions: NvmlOptions = { nvml: "auto", nvmlLibrary: "" };

const nvmlModes = ["auto", "off"] as const;

/** Throws for an `nvml` value other than auto/off (checked at plugin init, which touches no host file). */
export function checkNvmlOptions(opts: NvmlOptions): void {
  if (!(nvmlModes as readonly string[]).includes(opts.nvml)) {
    throw new ActkError(`nvml must be "auto" or "off", not ${JSON.stringify(opts.nvml)}`, {
      place: 'plugins."actk.vendor.v1".nvidia.nvml', exitCode: ExitCode.badInput,
      fix: 'set nvml = "auto" (use NVML when libnvidia-ml.so.1 loads) or nvml = "off"',
    });
  }
  if (opts.nvmlLibrary !== "" && !path.isAbsolute(opts.nvmlLibrary)) {
    throw new ActkError(`nvml-library must be an absolute path, not ${JSON.stringify(opts.nvmlLibrary)}`, {
      place: 'plugins."actk.vendor.v1".nvidia.nvml-library', exitCode: ExitCode.badInput,
      fix: "give the host path of libnvidia-ml.so.1, or leave it empty to find it through ld.so.cache",
    });
  }
}

/**
 * The discovery with NVML's facts merged in when `nvml` is "auto", NVML
 * loads and the host has NVIDIA GPUs; otherwise the discovery as it was, plus
 * a note "NVML not used: <why>" (none when nvml is "off" or there is no GPU).
 */
export function withNvml<D extends MergeableDiscovery>(
  host: HostRoot, discovery: D, opts: NvmlOptions, read: (library: string) => NvmlResult = readNvmlSnapshot,
): D {
  // NVML adds to procfs discovery only (Tegra's CSV discovery has no NVML), and only when there is a GPU to ask about.
  if (opts.nvml === "off" || discovery.source !== "procfs" || !discovery.devices.some((d) => d.parent === undefined)) return discovery;
  const library = opts.nvmlLibrary ? host.resolve(opts.nvmlLibrary) : locateNvmlLibrary(host, readHostLdCache(host, []));
  const result = library ? read(library) : { ok: false as const, reason: `no ${NVML_SONAME} in ${host.hostPath("/etc/ld.so.cache")}` };
  if (!result.ok) return { ...discovery, notes: [...discovery.notes, `${NVML_NOT_USED} ${result.reason}`] };
  return mergeNvmlSnapshot(discovery, result.snapshot);
}

/** True when a device list names a MIG UUID the discovery does not know and NVML has not been asked yet. */
export function needsNvml(devices: readonly string[], discovery: Discovery): boolean {
  if (discovery.source !== "procfs" || discovery.notes.some((n) => n.startsWith(NVML_NOT_USED))) return false;
  return devices.some((id) => {
    const t = id.trim().toLowerCase();
    return t.startsWith("mig-") && !discovery.devices.some((d) => d.uuid?.toLowerCase() === t);
  });
}

/**
 * NVML merged into a discovery on demand, once per discovery object (the
 * runtime resolves several requests against one discovery).
 */
export class NvmlOnDemand {
  private readonly merged = new WeakMap<Discovery, Discovery>();

  constructor(private readonly host: HostRoot, private readonly opts: NvmlOptions, private readonly read: (library: string) => NvmlResult = readNvmlSnapshot) {}

  /** `discovery`, or a copy with NVML's facts when `devices` names a MIG UUID only NVML can know. */
  forDevices<D extends MergeableDiscovery>(devices: readonly string[], discovery: D): D {
    if (!needsNvml(devices, discovery)) return discovery;
    let d = this.merged.get(discovery) as D | undefined;
    if (!d) {
      d = withNvml(this.host, discovery, this.opts, this.read);
      this.merged.set(discovery, d);
    }
    return d;
  }
}
