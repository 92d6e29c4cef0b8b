import { test } from "node:test";
import assert from "node:assert/strict";
import type { VendorDevice } from "../vendor.js";
import { matchGpuInstanceProfile, mergeNvmlSnapshot, migMemoryGb, migProfileName, type MergeableDiscovery } from "./nvml-merge.js";
import type { NvmlGpu, NvmlGpuInstanceProfile, NvmlMigDevice, NvmlSnapshot } from "./nvml.js";

const MiB = 1024 * 1024;
const H100_BYTES = 81559 * MiB;
const GPU_40GIB_BYTES = 40960 * MiB;

// H100 80GB HBM3 GPU-instance profiles (docs/hardware-facts.md, "NVML").
const h100: NvmlGpuInstanceProfile[] = [
  { profile: 0, id: 19, sliceCount: 1, instanceCount: 7, multiprocessorCount: 16, decoderCount: 1, jpegCount: 1, ofaCount: 0, memorySizeMB: 9984 },
  { profile: 1, id: 14, sliceCount: 2, instanceCount: 3, multiprocessorCount: 32, decoderCount: 2, jpegCount: 2, ofaCount: 0, memorySizeMB: 20096 },
  { profile: 2, id: 9, sliceCount: 3, instanceCount: 2, multiprocessorCount: 60, decoderCount: 3, jpegCount: 3, ofaCount: 0, memorySizeMB: 40448 },
  { profile: 3, id: 5, sliceCount: 4, instanceCount: 1, multiprocessorCount: 64, decoderCount: 4, jpegCount: 4, ofaCount: 0, memorySizeMB: 40448 },
  { profile: 4, id: 0, sliceCount: 7, instanceCount: 1, multiprocessorCount: 132, decoderCount: 7, jpegCount: 7, ofaCount: 1, memorySizeMB: 81152 },
  { profile: 7, id: 20, sliceCount: 1, instanceCount: 1, multiprocessorCount: 16, decoderCount: 7, jpegCount: 7, ofaCount: 1, memorySizeMB: 9984 },
  { profile: 9, id: 15, sliceCount: 1, instanceCount: 4, multiprocessorCount: 26, decoderCount: 1, jpegCount: 1, ofaCount: 0, memorySizeMB: 20096 },
];

function migOf(profileConst: number, ciSlices: number, over: Partial<NvmlMigDevice> = {}): NvmlMigDevice {
  const p = h100.find((x) => x.profile === profileConst) as NvmlGpuInstanceProfile;
  return {
    index: 0, uuid: "MIG-00000000-0000-0000-0000-000000000000", gpuInstanceId: 1, computeInstanceId: 0,
    gpuInstanceSliceCount: p.sliceCount, computeInstanceSliceCount: ciSlices, memorySizeMB: p.memorySizeMB,
    multiprocessorCount: p.multiprocessorCount, decoderCount: p.decoderCount, jpegCount: p.jpegCount, ofaCount: p.ofaCount, ...over,
  };
}

test("MIG memory in a profile name is the share of the GPU rounded up to eighths, times its whole GiB", () => {
  const cases: [string, number, number, number][] = [
    ["H100 1g.10gb", H100_BYTES, 9984, 10],
    ["H100 2g.20gb / 1g.20gb", H100_BYTES, 20096, 20],
    ["H100 3g.40gb / 4g.40gb", H100_BYTES, 40448, 40],
    ["H100 7g.80gb", H100_BYTES, 81152, 80],
    ["40 GiB GPU, 1-slice (A100 1g.5gb)", GPU_40GIB_BYTES, 4864, 5],
    ["40 GiB GPU, 3-slice (A100 3g.20gb)", GPU_40GIB_BYTES, 19968, 20],
  ];
  for (const [what, total, mib, gb] of cases) assert.equal(migMemoryGb(total, mib), gb, what);
});

test("MIG profile names follow nvidia-smi: Gg.Mgb, Cc.Gg.Mgb for a partial compute instance, +me for media extensions", () => {
  const gpu = { memoryTotalBytes: H100_BYTES, profiles: h100 };
  const cases: [string, NvmlMigDevice, string][] = [
    ["1-slice instance", migOf(0, 1), "1g.10gb"],
    ["media-extension 1-slice instance (same slices and memory, more decoders)", migOf(7, 1), "1g.10gb+me"],
    ["1-slice instance with double memory", migOf(9, 1), "1g.20gb"],
    ["whole 3-slice instance", migOf(2, 3), "3g.40gb"],
    ["1-slice compute instance of a 3-slice GPU instance", migOf(2, 1), "1c.3g.40gb"],
    ["4-slice instance", migOf(3, 4), "4g.40gb"],
    ["whole GPU", migOf(4, 7), "7g.80gb"],
  ];
  for (const [what, mig, name] of cases) assert.equal(migProfileName(mig, gpu), name, what);
  assert.equal(migProfileName(migOf(0, 1, { gpuInstanceSliceCount: 0 }), gpu), undefined, "no attributes: no name");
  assert.equal(migProfileName(migOf(2, 3), { profiles: [] }), "3g.40gb", "without the GPU's memory, GiB are rounded");
  assert.equal(matchGpuInstanceProfile(migOf(7, 1), h100)?.id, 20);
  assert.equal(matchGpuInstanceProfile(migOf(0, 1), h100)?.id, 19);
});

// A small procfs discovery: GPU 0 with MIG devices 0:0 (gi1 ci0), 0:1 (gi1 ci1), 0:2 (gi2 ci0); GPU 1 without MIG.
function procfsDiscovery(): MergeableDiscovery {
  const gpu = (index: string, busId: string, uuid: string): VendorDevice => ({
    vendor: "nvidia", kind: "nvidia.com/gpu", index, uuid, busId, model: "NVIDIA H100 80GB HBM3", deviceNodes: [], details: { minor: Number(index) },
  });
  const mig = (index: string, gi: number, ci: number): VendorDevice => ({
    vendor: "nvidia", kind: "nvidia.com/gpu", index, parent: "0", busId: "0000:18:00.0", model: "NVIDIA H100 80GB HBM3 MIG",
    deviceNodes: [], details: { gpuInstance: gi, computeInstance: ci, parentUuid: "GPU-aaaa" },
  });
  return {
    vendor: "nvidia", source: "procfs", driverVersion: "550.54.15", cudaVersion: "12.4", controlNodes: [],
    devices: [gpu("0", "0000:18:00.0", "GPU-aaaa"), mig("0:0", 1, 0), mig("0:1", 1, 1), mig("0:2", 2, 0), gpu("1", "0000:2a:00.0", "GPU-bbbb")],
    notes: ["MIG devices have no UUID here: procfs does not show MIG UUIDs (NVML does), so name them GPU:INDEX (0:1); the uuid naming strategy skips them"],
  };
}

function snapshot(over: { gpus?: NvmlGpu[]; driverVersion?: string } = {}): NvmlSnapshot {
  // NVML's MIG indices need not follow procfs's G:I order: listed here out of order on purpose.
  const gpu0: NvmlGpu = {
    index: 0, uuid: "GPU-aaaa", busId: "0000:18:00.0", memoryTotalBytes: H100_BYTES, migMode: { current: 1, pending: 1 }, profiles: h100,
    migDevices: [
      migOf(2, 3, { index: 0, uuid: "MIG-gi2-ci0", gpuInstanceId: 2, computeInstanceId: 0 }),
      migOf(2, 1, { index: 1, uuid: "MIG-gi1-ci1", gpuInstanceId: 1, computeInstanceId: 1 }),
      migOf(2, 1, { index: 2, uuid: "MIG-gi1-ci0", gpuInstanceId: 1, computeInstanceId: 0 }),
    ],
  };
  const gpu1: NvmlGpu = { index: 1, uuid: "GPU-bbbb", busId: "0000:2a:00.0", memoryTotalBytes: H100_BYTES, migMode: { current: 0, pending: 0 }, profiles: h100, migDevices: [] };
  return { library: "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", driverVersion: over.driverVersion ?? "550.54.15", cudaVersion: "12.4", gpus: over.gpus ?? [gpu0, gpu1], notes: [] };
}

test("merging gives MIG devices their UUID and profile by GPU/compute instance id, whatever NVML's index order", () => {
  const before = procfsDiscovery();
  const copy = structuredClone(before);
  const d = mergeNvmlSnapshot(before, snapshot());
  assert.deepEqual(before, copy, "the input discovery is not changed");
  assert.equal(d.source, "procfs+nvml");
  const migs = d.devices.filter((x) => x.parent !== undefined);
  assert.deepEqual(migs.map((m) => [m.index, m.uuid, m.details?.profile, m.model]), [
    ["0:0", "MIG-gi1-ci0", "1c.3g.40gb", "NVIDIA H100 80GB HBM3 MIG 1c.3g.40gb"],
    ["0:1", "MIG-gi1-ci1", "1c.3g.40gb", "NVIDIA H100 80GB HBM3 MIG 1c.3g.40gb"],
    ["0:2", "MIG-gi2-ci0", "3g.40gb", "NVIDIA H100 80GB HBM3 MIG 3g.40gb"],
  ]);
  assert.equal(migs[2]?.details?.gpuInstanceProfileId, 9);
  assert.equal(migs[2]?.details?.memoryMiB, 40448);
  assert.deepEqual(d.devices.map((x) => x.index), ["0", "0:0", "0:1", "0:2", "1"], "procfs's order is kept");
  assert.equal(d.devices[0]?.details?.migMode, "enabled");
  assert.equal(d.devices[4]?.details?.migMode, "disabled");
  assert.equal(d.devices[0]?.details?.memoryMiB, 81559);
  assert.deepEqual(d.notes, [], "the no-MIG-UUID note is answered");
});

test("disagreements between procfs and NVML become notes, and procfs's facts are kept", () => {
  const cases: { name: string; snap: NvmlSnapshot; note: RegExp; check?: (d: MergeableDiscovery) => void }[] = [
    {
      name: "GPU UUID differs",
      snap: (() => { const s = snapshot(); (s.gpus[1] as NvmlGpu).uuid = "GPU-cccc"; return s; })(),
      note: /GPU 1 \(0000:2a:00\.0\): procfs says UUID GPU-bbbb but NVML says GPU-cccc; kept procfs's/,
      check: (d) => assert.equal(d.devices[4]?.uuid, "GPU-bbbb"),
    },
    {
      name: "driver library and kernel module differ",
      snap: snapshot({ driverVersion: "550.90.07" }),
      note: /kernel module is driver 550\.54\.15 but NVML .* is 550\.90\.07/,
      check: (d) => assert.equal(d.driverVersion, "550.54.15"),
    },
    {
      name: "a GPU NVML does not list",
      snap: (() => { const s = snapshot(); s.gpus.pop(); return s; })(),
      note: /GPU 1 \(0000:2a:00\.0\) is not listed by NVML/,
    },
    {
      name: "a GPU only NVML lists",
      snap: (() => { const s = snapshot(); s.gpus.push({ index: 2, uuid: "GPU-dddd", busId: "0000:3a:00.0", profiles: [], migDevices: [] }); return s; })(),
      note: /NVML lists GPU GPU-dddd \(0000:3a:00\.0\) that procfs does not show; left out/,
      check: (d) => assert.equal(d.devices.length, 5),
    },
    {
      name: "a MIG device NVML does not list keeps the no-UUID note",
      snap: (() => { const s = snapshot(); (s.gpus[0] as NvmlGpu).migDevices.pop(); return s; })(),
      note: /MIG device 0:0 \(GPU instance 1, compute instance 0\) is not listed by NVML; it has no UUID/,
      check: (d) => assert.ok(d.notes.some((n) => n.startsWith("MIG devices have no UUID here"))),
    },
    {
      name: "a MIG device without capability files",
      snap: (() => { const s = snapshot(); (s.gpus[0] as NvmlGpu).migDevices.push(migOf(2, 1, { index: 3, uuid: "MIG-extra", gpuInstanceId: 2, computeInstanceId: 1 })); return s; })(),
      note: /NVML lists MIG device MIG-extra on GPU 0 \(GPU instance 2, compute instance 1\) but .* has no access files for it; left out/,
    },
    {
      name: "a pending MIG mode change",
      snap: (() => { const s = snapshot(); (s.gpus[1] as NvmlGpu).migMode = { current: 0, pending: 1 }; return s; })(),
      note: /GPU 1: MIG mode change to enabled is pending; it takes effect after a GPU reset/,
    },
  ];
  for (const c of cases) {
    const d = mergeNvmlSnapshot(procfsDiscovery(), c.snap);
    assert.ok(d.notes.some((n) => c.note.test(n)), `${c.name}: ${JSON.stringify(d.notes)}`);
    c.check?.(d);
  }
});

test("NVML fills the driver version procfs could not find and its CUDA version wins over the table's", () => {
  const d = procfsDiscovery();
  delete d.driverVersion;
  const s = snapshot();
  s.cudaVersion = "12.5";
  const merged = mergeNvmlSnapshot(d, s);
  assert.equal(merged.driverVersion, "550.54.15");
  assert.equal(merged.cudaVersion, "12.5");
});
