/**
 * Pure: merge an NVML snapshot (nvml.ts) into a procfs discovery. procfs
 * stays the source of devices and nodes (NVML cannot see /dev); NVML adds
 * what procfs lacks — MIG UUIDs and profile names ("1g.10gb",
 * "1c.3g.40gb", "1g.10gb+me"), MIG mode, the CUDA driver version — and is
 * cross-checked against it: GPUs are matched by PCI bus id, MIG devices by
 * (GPU instance id, compute instance id), and every disagreement becomes a
 * note, never a silent override.
 */
import type { Discovery, VendorDevice } from "../vendor.js";
import type { NvmlGpu, NvmlGpuInstanceProfile, NvmlMigDevice, NvmlSnapshot } from "./nvml.js";

/** Start of discover.ts's note about MIG devices without UUIDs; dropped once NVML gave them all one. */
const NO_MIG_UUID_NOTE = "MIG devices have no UUID here";

/** NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV1 and _2_SLICE_REV1: the media-extension ("+me") profiles. */
const MEDIA_EXTENSION_PROFILES: ReadonlySet<number> = new Set([7, 8]);

/**
 * The memory part of a MIG profile name, as NVIDIA's go-nvlib computes it:
 * the instance's share of the GPU rounded up to eighths, times the GPU's
 * memory in whole GiB, rounded.
 */
export function migMemoryGb(totalDeviceBytes: number, migMemoryMiB: number): number {
  const oneGiB = 1024 ** 3;
  let fraction = (migMemoryMiB * 1024 * 1024) / totalDeviceBytes;
  fraction = Math.ceil(fraction * 8) / 8;
  return Math.round(fraction * Math.ceil(totalDeviceBytes / oneGiB));
}

/**
 * The GPU-instance profile a MIG device was made from: the one with its
 * slice count and memory, and — where two share those (1g.10gb and
 * 1g.10gb+me) — its decoder/JPEG/OFA counts.
 */
export function matchGpuInstanceProfile(mig: NvmlMigDevice, profiles: readonly NvmlGpuInstanceProfile[]): NvmlGpuInstanceProfile | undefined {
  const bySize = profiles.filter((p) => p.sliceCount === mig.gpuInstanceSliceCount && p.memorySizeMB === mig.memorySizeMB);
  if (bySize.length <= 1) return bySize[0];
  const byEngines = bySize.filter((p) => p.decoderCount === mig.decoderCount && p.jpegCount === mig.jpegCount && p.ofaCount === mig.ofaCount);
  return (byEngines.length ? byEngines : bySize).sort((a, b) => a.profile - b.profile)[0];
}

/** "3g.40gb", "1c.3g.40gb", "1g.10gb+me"; undefined when NVML gave no slice counts. */
export function migProfileName(mig: NvmlMigDevice, gpu: Pick<NvmlGpu, "memoryTotalBytes" | "profiles">): string | undefined {
  const g = mig.gpuInstanceSliceCount;
  if (!g || !mig.memorySizeMB) return undefined;
  const c = mig.computeInstanceSliceCount || g;
  const gb = gpu.memoryTotalBytes ? migMemoryGb(gpu.memoryTotalBytes, mig.memorySizeMB) : Math.round(mig.memorySizeMB / 1024);
  const profile = matchGpuInstanceProfile(mig, gpu.profiles);
  const suffix = profile && MEDIA_EXTENSION_PROFILES.has(profile.profile) ? "+me" : "";
  return c === g ? `${g}g.${gb}gb${suffix}` : `${c}c.${g}g.${gb}gb${suffix}`;
}

export interface MergeableDiscovery extends Discovery {
  cudaVersion?: string;
}

/** A copy of `discovery` with the snapshot's facts merged in; `source` becomes "<source>+nvml". */
export function mergeNvmlSnapshot<D extends MergeableDiscovery>(discovery: D, snapshot: NvmlSnapshot): D {
  const notes: string[] = [];
  const out: D = { ...discovery, source: `${discovery.source}+nvml`, devices: [], notes: [] };

  if (snapshot.driverVersion) {
    if (!discovery.driverVersion) out.driverVersion = snapshot.driverVersion;
    else if (discovery.driverVersion !== snapshot.driverVersion) {
      notes.push(`the kernel module is driver ${discovery.driverVersion} but NVML (${snapshot.library}) is ${snapshot.driverVersion}: the driver libraries do not match the loaded module`);
    }
  }
  if (snapshot.cudaVersion) out.cudaVersion = snapshot.cudaVersion;

  const unmatchedNvml = new Set(snapshot.gpus);
  const byParent = new Map<string, VendorDevice[]>();
  for (const d of discovery.devices) {
    if (d.parent === undefined) continue;
    const list = byParent.get(d.parent) ?? [];
    list.push(d);
    byParent.set(d.parent, list);
  }
  let migWithoutUuid = 0;
  for (const dev of discovery.devices) {
    if (dev.parent !== undefined) continue;
    const nvml = snapshot.gpus.find((g) => g.busId !== undefined && g.busId === dev.busId) ??
      snapshot.gpus.find((g) => g.uuid.toLowerCase() === dev.uuid?.toLowerCase());
    const children = byParent.get(dev.index) ?? [];
    if (!nvml) {
      notes.push(`GPU ${dev.index} (${dev.busId ?? dev.uuid ?? "?"}) is not listed by NVML`);
      out.devices.push(dev, ...children);
      migWithoutUuid += children.filter((c) => !c.uuid).length;
      continue;
    }
    unmatchedNvml.delete(nvml);
    const gpu: VendorDevice = { ...dev, details: { ...dev.details } };
    if (dev.uuid && dev.uuid.toLowerCase() !== nvml.uuid.toLowerCase()) {
      notes.push(`GPU ${dev.index} (${dev.busId}): procfs says UUID ${dev.uuid} but NVML says ${nvml.uuid}; kept procfs's`);
    } else if (!dev.uuid) gpu.uuid = nvml.uuid;
    const details = gpu.details as Record<string, string | number | boolean>;
    if (nvml.memoryTotalBytes) details.memoryMiB = Math.round(nvml.memoryTotalBytes / (1024 * 1024));
    if (nvml.migMode) {
      details.migMode = nvml.migMode.current === 1 ? "enabled" : "disabled";
      if (nvml.migMode.pending !== nvml.migMode.current) {
        details.migModePending = nvml.migMode.pending === 1 ? "enabled" : "disabled";
        notes.push(`GPU ${dev.index}: MIG mode change to ${details.migModePending} is pending; it takes effect after a GPU reset`);
      }
    }
    out.devices.push(gpu);

    const unmatchedMig = new Set(nvml.migDevices);
    for (const child of children) {
      const gi = child.details?.gpuInstance;
      const ci = child.details?.computeInstance;
      const mig = nvml.migDevices.find((m) => m.gpuInstanceId === gi && m.computeInstanceId === ci);
      if (!mig) {
        notes.push(`MIG device ${child.index} (GPU instance ${String(gi)}, compute instance ${String(ci)}) is not listed by NVML; it has no UUID`);
        out.devices.push(child);
        if (!child.uuid) migWithoutUuid++;
        continue;
      }
      unmatchedMig.delete(mig);
      const profile = migProfileName(mig, nvml);
      const giProfile = matchGpuInstanceProfile(mig, nvml.profiles);
      const migDetails: Record<string, string | number | boolean> = { ...child.details, migDeviceIndex: mig.index, multiprocessors: mig.multiprocessorCount };
      if (profile) migDetails.profile = profile;
      if (giProfile) migDetails.gpuInstanceProfileId = giProfile.id;
      if (mig.memorySizeMB) migDetails.memoryMiB = mig.memorySizeMB;
      out.devices.push({
        ...child, uuid: mig.uuid, details: migDetails,
        model: profile && dev.model ? `${dev.model} MIG ${profile}` : child.model,
      });
    }
    for (const m of unmatchedMig) {
      notes.push(`NVML lists MIG device ${m.uuid} on GPU ${dev.index} (GPU instance ${m.gpuInstanceId}, compute instance ${m.computeInstanceId}) but /proc/driver/nvidia/capabilities has no access files for it; left out`);
    }
  }
  for (const g of unmatchedNvml) {
    notes.push(`NVML lists GPU ${g.uuid}${g.busId ? ` (${g.busId})` : ""} that procfs does not show; left out`);
  }
  // procfs's notes first, minus the one NVML answered; then what the merge found.
  out.notes = [...discovery.notes.filter((n) => !(n.startsWith(NO_MIG_UUID_NOTE) && migWithoutUuid === 0)), ...notes, ...snapshot.notes];
  return out;
}
