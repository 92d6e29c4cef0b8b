import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isActkError } from "../../core/errors.js";
import { HostRoot } from "../../host/host-root.js";
import { createSimHost } from "../../sim/create.js";
import { buildSharedObject } from "../../sim/elf.js";
import { findProfile } from "../../sim/profiles.js";
import { buildFakeNvml, fakeNvmlConfig, simMigUuid, type BuiltFakeNvml } from "../../../test/fixtures/fake-nvml/fake-nvml.js";
import type { DeviceRequest } from "../../request/types.js";
import { discoverNvidia } from "./discover.js";
import { onContainerStartPath } from "../../core/start-path.js";
import { defaultNvidiaPluginConfig, NvidiaVendor } from "./index.js";
import {
  checkNvmlOptions, cudaVersionString, defaultNvmlOptions, missingSymbols, needsNvml, NvmlOnDemand, procfsBusId,
  readNvmlSnapshot, requiredSymbols, withNvml,
} from "./nvml.js";
import { LIB_DIR } from "./simulate.js";

const dgxOptions = (findProfile("dgx-h100")?.vendors[0]?.options ?? {}) as Record<string, unknown>;

function simHost(t: TestContext): HostRoot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nvml-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  createSimHost({ profile: "dgx-h100", dir: path.join(dir, "host"), realDeviceNodes: false });
  return new HostRoot(path.join(dir, "host"));
}

function fake(t: TestContext, config = fakeNvmlConfig({ sim: dgxOptions })): BuiltFakeNvml | undefined {
  const built = buildFakeNvml(t);
  if (!built) return undefined;
  t.after(() => built.cleanup());
  built.configure(config);
  return built;
}

test("NVML bus ids (8-digit domain, upper case) become procfs bus ids; CUDA driver numbers become major.minor", () => {
  const bus: [string, string | undefined][] = [
    ["00000000:18:00.0", "0000:18:00.0"], ["0000:2A:00.0", "0000:2a:00.0"], ["00000001:DB:00.0", "0001:db:00.0"], ["18:00.0", undefined],
  ];
  for (const [nvml, procfs] of bus) assert.equal(procfsBusId(nvml), procfs, nvml);
  const cuda: [number, string | undefined][] = [[12040, "12.4"], [11080, "11.8"], [12000, "12.0"], [0, undefined]];
  for (const [n, v] of cuda) assert.equal(cudaVersionString(n), v, String(n));
});

test("nvml and nvml-library values other than auto/off and absolute paths are refused with the key to fix", () => {
  checkNvmlOptions(defaultNvmlOptions);
  checkNvmlOptions({ nvml: "off", nvmlLibrary: "/opt/nvml/libnvidia-ml.so.1" });
  for (const [opts, place] of [
    [{ nvml: "on", nvmlLibrary: "" }, 'plugins."actk.vendor.v1".nvidia.nvml'],
    [{ nvml: "auto", nvmlLibrary: "lib/libnvidia-ml.so.1" }, 'plugins."actk.vendor.v1".nvidia.nvml-library'],
  ] as const) {
    assert.throws(() => checkNvmlOptions(opts), (e) => isActkError(e) && e.place === place && e.exitCode === 3 && !!e.fix);
  }
});

test("the fake NVML answers with the dgx-h100 simulation's GPUs, bus ids, MIG modes and MIG devices", (t) => {
  const lib = fake(t);
  if (!lib) return;
  const r = readNvmlSnapshot(lib.library);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  const s = r.snapshot;
  assert.equal(s.driverVersion, "550.54.15");
  assert.equal(s.cudaVersion, "12.4");
  assert.equal(s.gpus.length, 8);
  assert.deepEqual(s.gpus.map((g) => g.busId), ["0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0", "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0"]);
  assert.deepEqual(s.gpus.map((g) => g.migMode?.current), [1, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(s.gpus[1]?.migDevices.map((m) => [m.gpuInstanceId, m.computeInstanceId, m.gpuInstanceSliceCount, m.memorySizeMB]), [[7, 0, 1, 9984], [8, 0, 1, 9984], [9, 0, 1, 9984]]);
  assert.equal(s.gpus[0]?.name, "NVIDIA H100 80GB HBM3");
  assert.equal(s.gpus[0]?.memoryTotalBytes, 81559 * 1024 * 1024);
  assert.deepEqual(s.gpus[0]?.profiles.map((p) => p.id), [19, 14, 9, 5, 0, 20, 15]);
});

test("with NVML, discovery of the dgx-h100 simulation has MIG UUIDs and profiles and says procfs+nvml", (t) => {
  const lib = fake(t);
  if (!lib) return;
  const host = simHost(t);
  const nvmlLibrary = lib.installInto(host.root, "/opt/fake-nvml");
  const d = withNvml(host, discoverNvidia(host), { nvml: "auto", nvmlLibrary });
  assert.equal(d.source, "procfs+nvml");
  const gpus = d.devices.filter((x) => x.parent === undefined);
  const migs = d.devices.filter((x) => x.parent !== undefined);
  assert.deepEqual(migs.map((m) => [m.index, m.details?.profile]), [
    ["0:0", "1c.3g.40gb"], ["0:1", "1c.3g.40gb"], ["0:2", "3g.40gb"], ["1:0", "1g.10gb"], ["1:1", "1g.10gb"], ["1:2", "1g.10gb"],
  ]);
  for (const m of migs) {
    const parent = gpus.find((g) => g.index === m.parent);
    assert.equal(m.uuid, simMigUuid(parent?.uuid ?? "", m.details?.gpuInstance as number, m.details?.computeInstance as number), m.index);
  }
  assert.deepEqual(d.notes, [], "procfs and the fake agree on everything");
});

test("when NVML cannot be used, discovery stays procfs with a note saying why", (t) => {
  const lib = fake(t);
  if (!lib) return;
  const failing = buildFakeNvml(t);
  if (!failing) return;
  t.after(() => failing.cleanup());
  failing.configure(fakeNvmlConfig({ sim: dgxOptions, initError: 9 }));
  const host = simHost(t);
  const failingLibrary = failing.installInto(host.root, "/opt/failing-nvml");
  const cases: [string, string, RegExp][] = [
    ["the simulated host's own libnvidia-ml (an ELF without symbols), found through ld.so.cache", "", /^NVML not used: .*libnvidia-ml\.so\.550\.54\.15 is not a usable NVML: no section table, so no dynamic symbol table$/],
    ["a library path that does not exist", "/opt/none/libnvidia-ml.so.1", /^NVML not used: .*\/opt\/none\/libnvidia-ml\.so\.1 is not a usable NVML: cannot open it: ENOENT$/],
    ["nvmlInit_v2 failing (driver not loaded)", failingLibrary, /^NVML not used: nvmlInit_v2 returned 9 \(Driver Not Loaded\)$/],
  ];
  for (const [what, nvmlLibrary, note] of cases) {
    const d = withNvml(host, discoverNvidia(host), { nvml: "auto", nvmlLibrary });
    assert.equal(d.source, "procfs", what);
    assert.ok(d.notes.some((n) => note.test(n)), `${what}: ${JSON.stringify(d.notes)}`);
    assert.ok(d.devices.every((x) => x.parent === undefined || x.uuid === undefined), what);
  }
  const off = withNvml(host, discoverNvidia(host), { nvml: "off", nvmlLibrary: lib.installInto(host.root, "/opt/fake-nvml") });
  assert.equal(off.source, "procfs");
  assert.ok(!off.notes.some((n) => n.startsWith("NVML")), "off: no note");
});

test("a working libnvidia-ml.so.1 in the host's ld.so.cache is found and used without nvml-library", (t) => {
  const lib = fake(t);
  if (!lib) return;
  const host = simHost(t);
  // Replace the simulated library (the file ld.so.cache's libnvidia-ml.so.1 entry points at) with the fake.
  const target = host.hostPath(`${LIB_DIR}/libnvidia-ml.so.550.54.15`);
  fs.copyFileSync(lib.library, target);
  fs.copyFileSync(path.join(lib.dir, "fake-nvml.conf"), path.join(path.dirname(target), "fake-nvml.conf"));
  const d = withNvml(host, discoverNvidia(host), defaultNvmlOptions);
  assert.equal(d.source, "procfs+nvml", JSON.stringify(d.notes));
  assert.ok(d.devices.filter((x) => x.parent !== undefined).every((m) => m.uuid?.startsWith("MIG-")));
});

test("a host without NVIDIA GPUs never loads NVML", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nvml-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  createSimHost({ profile: "empty", dir: path.join(dir, "host"), realDeviceNodes: false });
  const host = new HostRoot(path.join(dir, "host"));
  let loads = 0;
  const d = withNvml(host, discoverNvidia(host), defaultNvmlOptions, () => {
    loads++;
    return { ok: false, reason: "not expected" };
  });
  assert.equal(loads, 0);
  assert.equal(d.source, "procfs");
});

test("only ELF objects that define every NVML entry point actk calls are loaded", (t) => {
  const lib = fake(t);
  if (!lib) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nvml-elf-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const text = path.join(dir, "text.so");
  fs.writeFileSync(text, "not an ELF object at all, just some text\n".repeat(4));
  const bare = path.join(dir, "bare.so");
  fs.writeFileSync(bare, buildSharedObject({ soname: "libnvidia-ml.so.1" }));
  const bare32 = path.join(dir, "bare32.so");
  fs.writeFileSync(bare32, buildSharedObject({ soname: "libnvidia-ml.so.1", arch: "i386" }));
  const cases: [string, string, RegExp | undefined][] = [
    ["the fake NVML", lib.library, undefined],
    ["a text file", text, /^not an ELF file$/],
    ["a simulated library (ELF header and dynamic segment only)", bare, /no section table/],
    ["a 32-bit library", bare32, /not a 64-bit little-endian ELF object/],
    ["a missing file", path.join(dir, "none.so"), /^cannot open it: ENOENT$/],
  ];
  for (const [what, file, why] of cases) {
    const got = missingSymbols(file, requiredSymbols);
    if (why) assert.match(got ?? "", why, what);
    else assert.equal(got, undefined, what);
  }
  assert.equal(missingSymbols(lib.library, ["nvmlInit_v2", "nvmlDeviceGetNothing"]), "it does not define nvmlDeviceGetNothing");
});

test("the committed dgx-h100.conf (for trying the fake by hand) matches what the dgx-h100 simulation writes", () => {
  const committed = fs.readFileSync(new URL("../../../test/fixtures/fake-nvml/dgx-h100.conf", import.meta.url), "utf8");
  assert.equal(committed, fakeNvmlConfig({ sim: dgxOptions }), "regenerate it with fakeNvmlConfig (see test/fixtures/fake-nvml/README.md)");
});

test("on demand, NVML is loaded only for a request naming an unknown MIG UUID, and once per discovery", (t) => {
  const lib = fake(t);
  if (!lib) return;
  const host = simHost(t);
  const nvmlLibrary = lib.installInto(host.root, "/opt/fake-nvml");
  let loads = 0;
  const onDemand = new NvmlOnDemand(host, { nvml: "auto", nvmlLibrary }, (library) => {
    loads++;
    return readNvmlSnapshot(library);
  });
  const procfs = discoverNvidia(host);
  const gpu1 = procfs.devices.find((d) => d.index === "1");
  const wanted = simMigUuid(gpu1?.uuid ?? "", 8, 0);
  const cases: [string, string[], boolean][] = [
    ["GPU indices", ["0", "1"], false],
    ["a MIG index", ["1:1"], false],
    ["a GPU UUID", [gpu1?.uuid ?? ""], false],
    ["a MIG UUID", ["0", wanted.toUpperCase()], true],
  ];
  for (const [what, devices, loaded] of cases) {
    assert.equal(needsNvml(devices, procfs), loaded, what);
    const d = onDemand.forDevices(devices, procfs);
    assert.equal(d !== procfs, loaded, what);
  }
  const merged = onDemand.forDevices([wanted], procfs);
  assert.equal(loads, 1, "the second MIG UUID request reuses the merged discovery");
  assert.equal(merged.devices.find((d) => d.uuid === wanted)?.index, "1:1");
  assert.equal(needsNvml([wanted], merged), false);
  assert.equal(onContainerStartPath(), false, "tests run the sources, not a per-container bundle");
});

test("the NVIDIA vendor merges NVML in discover(), or only in select() for MIG UUIDs in the per-container programs", (t) => {
  const lib = fake(t);
  if (!lib) return;
  const host = simHost(t);
  const config = { ...defaultNvidiaPluginConfig, nvmlLibrary: lib.installInto(host.root, "/opt/fake-nvml") };
  const request = (devices: string[]): DeviceRequest => ({
    vendor: "nvidia", source: "env", devices, capabilities: ["utility"], requirements: [], migConfigDevices: null, migMonitorDevices: null, options: [],
    explanation: [],
  });

  const cli = new NvidiaVendor(host, config, { nvmlOnDemandOnly: false });
  const full = cli.discover();
  assert.equal(full.source, "procfs+nvml");
  const migUuid = full.devices.find((d) => d.index === "0:2")?.uuid ?? "";
  assert.match(migUuid, /^MIG-/);

  const hot = new NvidiaVendor(host, config, { nvmlOnDemandOnly: true });
  const procfs = hot.discover();
  assert.equal(procfs.source, "procfs", "discover() never loads NVML on the hot path");
  assert.deepEqual(hot.select(request(["0", "1:1"]), procfs).map((d) => d.index), ["0", "1:1"]);
  assert.deepEqual(hot.select(request([migUuid]), procfs).map((d) => [d.index, d.uuid]), [["0:2", migUuid]]);

  const broken = new NvidiaVendor(host, { ...config, nvmlLibrary: "/opt/none/libnvidia-ml.so.1" }, { nvmlOnDemandOnly: true });
  assert.throws(() => broken.select(request([migUuid]), broken.discover()),
    (e) => isActkError(e) && /MIG UUIDs need NVML, .*\(NVML not used: .*cannot open it: ENOENT\)/.test(e.message));
});
