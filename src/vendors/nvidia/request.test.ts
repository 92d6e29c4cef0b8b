import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { DeviceRequest, RequestInput } from "../../request/types.js";
import { defaultNvidiaRequestOptions, deviceRequestsFromMounts, parseNvidiaRequests, type NvidiaRequestOptions } from "./request.js";

type Mounts = RequestInput["mounts"];

function run(env: string[], extra: { privileged?: boolean; mounts?: Mounts; opts?: Partial<NvidiaRequestOptions> } = {}): ReturnType<typeof parseNvidiaRequests> {
  return parseNvidiaRequests(
    { env, mounts: extra.mounts ?? [], annotations: {}, privileged: extra.privileged ?? false },
    { ...defaultNvidiaRequestOptions, ...(extra.opts ?? {}) },
  );
}

function only(env: string[], extra: Parameters<typeof run>[1] = {}): DeviceRequest | undefined {
  const r = run(env, extra);
  assert.deepEqual(r.errors, [], `unexpected errors for ${env.join(" ")}`);
  assert.ok(r.requests.length <= 1);
  return r.requests[0];
}

const devMount = (name: string, source = "/dev/null"): Mounts[number] => ({ source, destination: `/var/run/nvidia-container-devices/${name}`, type: "bind" });
const mountsOn = { acceptDeviceListAsVolumeMounts: true };

// --- NVIDIA_VISIBLE_DEVICES → devices (null = no request) ---
const visibleCases: { name: string; env: string[]; privileged?: boolean; opts?: Partial<NvidiaRequestOptions>; devices: string[] | null }[] = [
  { name: "unset requests nothing", env: [], devices: null },
  { name: "empty requests nothing", env: ["NVIDIA_VISIBLE_DEVICES="], devices: null },
  { name: "only spaces and commas request nothing", env: ["NVIDIA_VISIBLE_DEVICES= , ,"], devices: null },
  { name: "void requests nothing", env: ["NVIDIA_VISIBLE_DEVICES=void"], devices: null },
  { name: "void anywhere in the list wins", env: ["NVIDIA_VISIBLE_DEVICES=0,void"], devices: null },
  { name: "void wins over all", env: ["NVIDIA_VISIBLE_DEVICES=all,void"], devices: null },
  { name: "all requests every GPU", env: ["NVIDIA_VISIBLE_DEVICES=all"], devices: ["all"] },
  { name: "all after an id still means all (first special token decides)", env: ["NVIDIA_VISIBLE_DEVICES=0,all"], devices: ["all"] },
  { name: "none requests no GPU but keeps the driver files", env: ["NVIDIA_VISIBLE_DEVICES=none"], devices: [] },
  { name: "none before all means none", env: ["NVIDIA_VISIBLE_DEVICES=none,all"], devices: [] },
  { name: "all before none means all", env: ["NVIDIA_VISIBLE_DEVICES=all,none"], devices: ["all"] },
  { name: "special words are case-sensitive like NVIDIA (ALL is an id)", env: ["NVIDIA_VISIBLE_DEVICES=ALL"], devices: ["ALL"] },
  { name: "one index", env: ["NVIDIA_VISIBLE_DEVICES=0"], devices: ["0"] },
  { name: "a comma list keeps its order", env: ["NVIDIA_VISIBLE_DEVICES=3,1,2"], devices: ["3", "1", "2"] },
  { name: "spaces around items are trimmed", env: ["NVIDIA_VISIBLE_DEVICES= 0 , 1 "], devices: ["0", "1"] },
  { name: "empty items are dropped", env: ["NVIDIA_VISIBLE_DEVICES=0,,1,"], devices: ["0", "1"] },
  { name: "repeated ids are injected once", env: ["NVIDIA_VISIBLE_DEVICES=1,0,1"], devices: ["1", "0"] },
  { name: "GPU UUIDs", env: ["NVIDIA_VISIBLE_DEVICES=GPU-8a4f7a1e-2c55-4c0e-9b2e-0c1d2e3f4a5b"], devices: ["GPU-8a4f7a1e-2c55-4c0e-9b2e-0c1d2e3f4a5b"] },
  { name: "MIG indices G:I", env: ["NVIDIA_VISIBLE_DEVICES=0:0,0:1"], devices: ["0:0", "0:1"] },
  { name: "MIG UUIDs", env: ["NVIDIA_VISIBLE_DEVICES=MIG-3b2e8c1a-6d7f-5e4a-9c8b-1a2b3c4d5e6f"], devices: ["MIG-3b2e8c1a-6d7f-5e4a-9c8b-1a2b3c4d5e6f"] },
  { name: "old MIG-GPU-<uuid>/gi/ci form", env: ["NVIDIA_VISIBLE_DEVICES=MIG-GPU-8a4f7a1e-2c55-4c0e-9b2e-0c1d2e3f4a5b/1/0"], devices: ["MIG-GPU-8a4f7a1e-2c55-4c0e-9b2e-0c1d2e3f4a5b/1/0"] },
  { name: "PCI bus ids", env: ["NVIDIA_VISIBLE_DEVICES=0000:07:00.0"], devices: ["0000:07:00.0"] },
  { name: "mixed indices, UUIDs and MIG", env: ["NVIDIA_VISIBLE_DEVICES=0,GPU-aa,1:0"], devices: ["0", "GPU-aa", "1:0"] },
  { name: "CDI names in the variable", env: ["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=all"], devices: ["nvidia.com/gpu=all"] },
  { name: "the last of repeated variables wins", env: ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_VISIBLE_DEVICES=1"], devices: ["1"] },
  { name: "the last of repeated variables wins even when it is void", env: ["NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_VISIBLE_DEVICES=void"], devices: null },
  { name: "a later empty value wins over an earlier list", env: ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_VISIBLE_DEVICES="], devices: null },
  { name: "legacy CUDA image without the variable gets every GPU", env: ["CUDA_VERSION=10.2.89"], devices: ["all"] },
  { name: "legacy CUDA image with an empty variable gets nothing", env: ["CUDA_VERSION=10.2.89", "NVIDIA_VISIBLE_DEVICES="], devices: null },
  { name: "legacy CUDA image with void gets nothing", env: ["CUDA_VERSION=10.2.89", "NVIDIA_VISIBLE_DEVICES=void"], devices: null },
  { name: "legacy CUDA image with a list gets the list", env: ["CUDA_VERSION=10.2.89", "NVIDIA_VISIBLE_DEVICES=1"], devices: ["1"] },
  { name: "a modern CUDA image (NVIDIA_REQUIRE_CUDA set) without the variable gets nothing", env: ["CUDA_VERSION=12.2.0", "NVIDIA_REQUIRE_CUDA=cuda>=12.2"], devices: null },
  { name: "an empty CUDA_VERSION is not a legacy image", env: ["CUDA_VERSION="], devices: null },
  { name: "an empty NVIDIA_REQUIRE_CUDA keeps the image legacy", env: ["CUDA_VERSION=11.0", "NVIDIA_REQUIRE_CUDA="], devices: ["all"] },
  { name: "unprivileged env requests are accepted by default", env: ["NVIDIA_VISIBLE_DEVICES=0"], privileged: false, devices: ["0"] },
  { name: "unprivileged env requests are ignored when not accepted", env: ["NVIDIA_VISIBLE_DEVICES=0"], privileged: false, opts: { acceptEnvvarUnprivileged: false }, devices: null },
  { name: "privileged env requests are accepted even when unprivileged ones are not", env: ["NVIDIA_VISIBLE_DEVICES=0"], privileged: true, opts: { acceptEnvvarUnprivileged: false }, devices: ["0"] },
  { name: "unprivileged legacy images lose their implicit all when env requests are not accepted", env: ["CUDA_VERSION=10.2"], opts: { acceptEnvvarUnprivileged: false }, devices: null },
  { name: "a present swarm variable replaces NVIDIA_VISIBLE_DEVICES", env: ["NVIDIA_VISIBLE_DEVICES=all", "DOCKER_RESOURCE_GPU=GPU-a"], opts: { swarmResource: ["DOCKER_RESOURCE_GPU"] }, devices: ["GPU-a"] },
  { name: "an empty swarm variable still replaces NVIDIA_VISIBLE_DEVICES", env: ["NVIDIA_VISIBLE_DEVICES=all", "DOCKER_RESOURCE_GPU="], opts: { swarmResource: ["DOCKER_RESOURCE_GPU"] }, devices: null },
  { name: "present swarm variables are unioned in config order", env: ["DOCKER_RESOURCE_B=2", "DOCKER_RESOURCE_A=1,2"], opts: { swarmResource: ["DOCKER_RESOURCE_A", "DOCKER_RESOURCE_B"] }, devices: ["1", "2"] },
  { name: "absent swarm variables fall back to NVIDIA_VISIBLE_DEVICES", env: ["NVIDIA_VISIBLE_DEVICES=3"], opts: { swarmResource: ["DOCKER_RESOURCE_GPU"] }, devices: ["3"] },
  { name: "swarm variables are not read when not configured", env: ["DOCKER_RESOURCE_GPU=1"], devices: null },
];

for (const c of visibleCases) {
  test(`NVIDIA_VISIBLE_DEVICES: ${c.name}`, () => {
    const r = only(c.env, { privileged: c.privileged, opts: c.opts });
    if (c.devices === null) assert.equal(r, undefined);
    else {
      assert.ok(r, "expected a request");
      assert.deepEqual(r.devices, c.devices);
      assert.equal(r.vendor, "nvidia");
      assert.equal(r.source, "env");
      assert.ok(r.explanation.length > 0, "every request is explained");
    }
  });
}

test("NVIDIA_VISIBLE_DEVICES=all is explained as every GPU being injected", () => {
  assert.ok(only(["NVIDIA_VISIBLE_DEVICES=all"])?.explanation.includes("NVIDIA_VISIBLE_DEVICES=all, so every GPU is injected."));
});

test("an ignored unprivileged env request leaves a note saying why", () => {
  const r = run(["NVIDIA_VISIBLE_DEVICES=0"], { opts: { acceptEnvvarUnprivileged: false } });
  assert.match(r.notes?.join(" ") ?? "", /unprivileged container/);
});

test("CDI names in NVIDIA_VISIBLE_DEVICES are also listed as cdiDevices", () => {
  assert.deepEqual(only(["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=0,1"])?.cdiDevices, ["nvidia.com/gpu=0"]);
  assert.equal(only(["NVIDIA_VISIBLE_DEVICES=0"])?.cdiDevices, undefined);
});

const badDeviceCases: { value: string; bad: string }[] = [
  { value: "0,gpu 1", bad: "gpu 1" },
  { value: "$(reboot)", bad: "$(reboot)" },
  { value: "0;1", bad: "0;1" },
  { value: "-1", bad: "-1" },
  { value: "nvidia.com/gpu=", bad: "nvidia.com/gpu=" },
  { value: "nvidia.com=0", bad: "nvidia.com=0" },
  { value: "=0", bad: "=0" },
  { value: "../../etc/passwd", bad: "../../etc/passwd" },
];
for (const c of badDeviceCases) {
  test(`NVIDIA_VISIBLE_DEVICES=${c.value} is an error naming the bad part`, () => {
    const r = run([`NVIDIA_VISIBLE_DEVICES=${c.value}`]);
    assert.deepEqual(r.requests, []);
    assert.equal(r.errors.length, 1);
    assert.ok(r.errors[0]?.includes(c.bad), r.errors[0]);
    assert.match(r.errors[0] ?? "", /NVIDIA_VISIBLE_DEVICES/);
  });
}

// --- Driver capabilities ---
const capabilityCases: { name: string; env: string[]; supported?: string[]; capabilities?: string[]; error?: RegExp }[] = [
  { name: "unset gives the default utility,compute", env: [], capabilities: ["compute", "utility"] },
  { name: "empty gives the default", env: ["NVIDIA_DRIVER_CAPABILITIES="], capabilities: ["compute", "utility"] },
  { name: "only commas give the default", env: ["NVIDIA_DRIVER_CAPABILITIES=, ,"], capabilities: ["compute", "utility"] },
  { name: "all gives every supported capability", env: ["NVIDIA_DRIVER_CAPABILITIES=all"], capabilities: ["compat32", "compute", "display", "graphics", "ngx", "utility", "video"] },
  { name: "all inside a list still means all", env: ["NVIDIA_DRIVER_CAPABILITIES=compute,all"], capabilities: ["compat32", "compute", "display", "graphics", "ngx", "utility", "video"] },
  { name: "all is limited to the supported set", env: ["NVIDIA_DRIVER_CAPABILITIES=all"], supported: ["utility", "compute", "video"], capabilities: ["compute", "utility", "video"] },
  { name: "a supported set containing all allows everything", env: ["NVIDIA_DRIVER_CAPABILITIES=ngx"], supported: ["all"], capabilities: ["ngx"] },
  { name: "a list is sorted", env: ["NVIDIA_DRIVER_CAPABILITIES=video,compute,utility"], capabilities: ["compute", "utility", "video"] },
  { name: "a list is trimmed and de-duplicated", env: ["NVIDIA_DRIVER_CAPABILITIES= graphics , graphics,display"], capabilities: ["display", "graphics"] },
  { name: "each of the seven capabilities alone: compat32", env: ["NVIDIA_DRIVER_CAPABILITIES=compat32"], capabilities: ["compat32"] },
  { name: "each of the seven capabilities alone: compute", env: ["NVIDIA_DRIVER_CAPABILITIES=compute"], capabilities: ["compute"] },
  { name: "each of the seven capabilities alone: display", env: ["NVIDIA_DRIVER_CAPABILITIES=display"], capabilities: ["display"] },
  { name: "each of the seven capabilities alone: graphics", env: ["NVIDIA_DRIVER_CAPABILITIES=graphics"], capabilities: ["graphics"] },
  { name: "each of the seven capabilities alone: ngx", env: ["NVIDIA_DRIVER_CAPABILITIES=ngx"], capabilities: ["ngx"] },
  { name: "each of the seven capabilities alone: utility", env: ["NVIDIA_DRIVER_CAPABILITIES=utility"], capabilities: ["utility"] },
  { name: "each of the seven capabilities alone: video", env: ["NVIDIA_DRIVER_CAPABILITIES=video"], capabilities: ["video"] },
  { name: "the last of repeated variables wins", env: ["NVIDIA_DRIVER_CAPABILITIES=video", "NVIDIA_DRIVER_CAPABILITIES=ngx"], capabilities: ["ngx"] },
  { name: "legacy image without the variable gets every supported capability", env: ["CUDA_VERSION=10.0"], capabilities: ["compat32", "compute", "display", "graphics", "ngx", "utility", "video"] },
  { name: "legacy image with an empty variable gets the default", env: ["CUDA_VERSION=10.0", "NVIDIA_DRIVER_CAPABILITIES="], capabilities: ["compute", "utility"] },
  { name: "the default is limited to the supported set", env: [], supported: ["compute", "video"], capabilities: ["compute"] },
  { name: "an unknown capability is an error naming it", env: ["NVIDIA_DRIVER_CAPABILITIES=compute,gaming"], error: /unknown driver capability "gaming"/ },
  { name: "capabilities are case-sensitive", env: ["NVIDIA_DRIVER_CAPABILITIES=Compute"], error: /unknown driver capability "Compute"/ },
  { name: "a capability outside the supported set is an error naming it", env: ["NVIDIA_DRIVER_CAPABILITIES=compute,video"], supported: ["compute", "utility"], error: /unsupported capability "video"/ },
];
for (const c of capabilityCases) {
  test(`NVIDIA_DRIVER_CAPABILITIES: ${c.name}`, () => {
    const env = c.env.some((e) => e.startsWith("CUDA_VERSION")) ? c.env : ["NVIDIA_VISIBLE_DEVICES=0", ...c.env];
    const r = run(env, { opts: c.supported ? { supportedDriverCapabilities: c.supported } : {} });
    if (c.error) {
      assert.deepEqual(r.requests, []);
      assert.match(r.errors.join("\n"), c.error);
      assert.match(r.errors.join("\n"), /NVIDIA_DRIVER_CAPABILITIES/);
    } else {
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.requests[0]?.capabilities, c.capabilities);
    }
  });
}

test("NVIDIA_VISIBLE_DEVICES=none still gets the default capabilities", () => {
  const r = only(["NVIDIA_VISIBLE_DEVICES=none"]);
  assert.deepEqual(r?.devices, []);
  assert.deepEqual(r?.capabilities, ["compute", "utility"]);
});

// --- Requirements ---
const requirementCases: { name: string; env: string[]; opts?: Partial<NvidiaRequestOptions>; requirements?: string[]; error?: RegExp }[] = [
  { name: "none by default", env: [], requirements: [] },
  { name: "NVIDIA_REQUIRE_CUDA is kept as written", env: ["NVIDIA_REQUIRE_CUDA=cuda>=11.0"], requirements: ["cuda>=11.0"] },
  { name: "a CUDA image's OR list is one expression", env: ["NVIDIA_REQUIRE_CUDA=cuda>=12.2 brand=tesla,driver>=470,driver<471"], requirements: ["cuda>=12.2 brand=tesla,driver>=470,driver<471"] },
  { name: "every NVIDIA_REQUIRE_* variable is one expression, sorted by name", env: ["NVIDIA_REQUIRE_DRIVER=driver>=535", "NVIDIA_REQUIRE_ARCH=arch>=8.0", "NVIDIA_REQUIRE_CUDA=cuda>=12.0"], requirements: ["arch>=8.0", "cuda>=12.0", "driver>=535"] },
  { name: "NVIDIA_REQUIRE_JETPACK* is not a requirement", env: ["NVIDIA_REQUIRE_JETPACK=csv-mounts=all", "NVIDIA_REQUIRE_JETPACK_HOST_MOUNTS="], requirements: [] },
  { name: "empty requirement variables constrain nothing", env: ["NVIDIA_REQUIRE_X="], requirements: [] },
  { name: "the last of repeated requirement variables wins", env: ["NVIDIA_REQUIRE_CUDA=cuda>=10.0", "NVIDIA_REQUIRE_CUDA=cuda>=11.0"], requirements: ["cuda>=11.0"] },
  { name: "a legacy image requires its CUDA major.minor", env: ["CUDA_VERSION=10.2.89"], requirements: ["cuda>=10.2"] },
  { name: "a legacy image with a major-only CUDA_VERSION requires major.0", env: ["CUDA_VERSION=11"], requirements: ["cuda>=11.0"] },
  { name: "a legacy image with a v prefix", env: ["CUDA_VERSION=v9.0.176"], requirements: ["cuda>=9.0"] },
  { name: "a legacy image's CUDA requirement comes after the variables", env: ["CUDA_VERSION=10.1", "NVIDIA_REQUIRE_DRIVER=driver>=418"], requirements: ["driver>=418", "cuda>=10.1"] },
  { name: "an invalid CUDA_VERSION in a legacy image is an error", env: ["CUDA_VERSION=ten"], error: /CUDA_VERSION=ten: invalid CUDA version/ },
  { name: "NVIDIA_DISABLE_REQUIRE=true drops every requirement", env: ["NVIDIA_DISABLE_REQUIRE=true", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"], requirements: [] },
  { name: "NVIDIA_DISABLE_REQUIRE=1 drops every requirement", env: ["NVIDIA_DISABLE_REQUIRE=1", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"], requirements: [] },
  { name: "NVIDIA_DISABLE_REQUIRE=True drops every requirement", env: ["NVIDIA_DISABLE_REQUIRE=True", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"], requirements: [] },
  { name: "NVIDIA_DISABLE_REQUIRE=false keeps them", env: ["NVIDIA_DISABLE_REQUIRE=false", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"], requirements: ["cuda>=99.0"] },
  { name: "NVIDIA_DISABLE_REQUIRE=yes is not a Go boolean and keeps them", env: ["NVIDIA_DISABLE_REQUIRE=yes", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"], requirements: ["cuda>=99.0"] },
  { name: "NVIDIA_DISABLE_REQUIRE also skips a bad legacy CUDA_VERSION", env: ["NVIDIA_DISABLE_REQUIRE=true", "CUDA_VERSION=ten"], requirements: [] },
  { name: "NVIDIA_DISABLE_REQUIRE also skips malformed constraints", env: ["NVIDIA_DISABLE_REQUIRE=true", "NVIDIA_REQUIRE_CUDA=cuda"], requirements: [] },
  { name: "disable-require in the config drops every requirement", env: ["NVIDIA_REQUIRE_CUDA=cuda>=99.0"], opts: { disableRequire: true }, requirements: [] },
  { name: "a constraint without an operator is an error naming the variable", env: ["NVIDIA_REQUIRE_CUDA=cuda12"], error: /NVIDIA_REQUIRE_CUDA: invalid constraint "cuda12"/ },
  { name: "a version that is not a version is an error", env: ["NVIDIA_REQUIRE_CUDA=cuda>=twelve"], error: /"twelve" is not a version/ },
  { name: "brand with an ordering operator is an error", env: ["NVIDIA_REQUIRE_BRAND=brand>=tesla"], error: /brand can only be compared with = or !=/ },
  { name: "unknown properties are skipped like NVIDIA", env: ["NVIDIA_REQUIRE_X=gpu>=1"], requirements: ["gpu>=1"] },
];
for (const c of requirementCases) {
  test(`NVIDIA_REQUIRE_*: ${c.name}`, () => {
    const env = c.env.some((e) => e.startsWith("CUDA_VERSION")) ? c.env : ["NVIDIA_VISIBLE_DEVICES=0", ...c.env];
    const r = run(env, { opts: c.opts });
    if (c.error) {
      assert.deepEqual(r.requests, []);
      assert.match(r.errors.join("\n"), c.error);
    } else {
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.requests[0]?.requirements, c.requirements);
    }
  });
}

test("NVIDIA_DISABLE_REQUIRE is explained", () => {
  const r = only(["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DISABLE_REQUIRE=true", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"]);
  assert.match(r?.explanation.join(" ") ?? "", /NVIDIA_DISABLE_REQUIRE=true, so NVIDIA_REQUIRE_\* constraints are not checked/);
});

// --- MIG config / monitor ---
const migCases: { name: string; env: string[]; privileged: boolean; config?: string[] | null; monitor?: string[] | null; error?: RegExp }[] = [
  { name: "unset is null", env: [], privileged: true, config: null, monitor: null },
  { name: "empty is null", env: ["NVIDIA_MIG_CONFIG_DEVICES=", "NVIDIA_MIG_MONITOR_DEVICES="], privileged: false, config: null, monitor: null },
  { name: "all in a privileged container", env: ["NVIDIA_MIG_CONFIG_DEVICES=all"], privileged: true, config: ["all"], monitor: null },
  { name: "a list in a privileged container", env: ["NVIDIA_MIG_MONITOR_DEVICES=0,1"], privileged: true, config: null, monitor: ["0", "1"] },
  { name: "config in an unprivileged container is an error", env: ["NVIDIA_MIG_CONFIG_DEVICES=all"], privileged: false, error: /cannot set NVIDIA_MIG_CONFIG_DEVICES in an unprivileged container/ },
  { name: "monitor in an unprivileged container is an error", env: ["NVIDIA_MIG_MONITOR_DEVICES=all"], privileged: false, error: /cannot set NVIDIA_MIG_MONITOR_DEVICES in an unprivileged container/ },
];
for (const c of migCases) {
  test(`NVIDIA_MIG_*_DEVICES: ${c.name}`, () => {
    const r = run(["NVIDIA_VISIBLE_DEVICES=all", ...c.env], { privileged: c.privileged });
    if (c.error) {
      assert.deepEqual(r.requests, []);
      assert.match(r.errors.join("\n"), c.error);
    } else {
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.requests[0]?.migConfigDevices, c.config);
      assert.deepEqual(r.requests[0]?.migMonitorDevices, c.monitor);
    }
  });
}

test("MIG variables without a GPU request are not checked", () => {
  assert.deepEqual(run(["NVIDIA_MIG_CONFIG_DEVICES=all"]), { requests: [], errors: [], notes: ["NVIDIA_VISIBLE_DEVICES is unset, so no NVIDIA GPU is requested."] });
});

// --- IMEX channels ---
const imexCases: { name: string; env: string[]; mounts?: Mounts; opts?: Partial<NvidiaRequestOptions>; options?: string[]; error?: RegExp }[] = [
  { name: "unset requests no channel", env: [], options: [] },
  { name: "a list requests those channels", env: ["NVIDIA_IMEX_CHANNELS=0,3"], options: ["imexChannels=0,3"] },
  { name: "repeated channels are requested once", env: ["NVIDIA_IMEX_CHANNELS=1,1"], options: ["imexChannels=1"] },
  { name: "all from the env var is discarded (NVIDIA quirk)", env: ["NVIDIA_IMEX_CHANNELS=all"], options: [] },
  { name: "none requests no channel", env: ["NVIDIA_IMEX_CHANNELS=none"], options: [] },
  { name: "void requests no channel", env: ["NVIDIA_IMEX_CHANNELS=0,void"], options: [] },
  { name: "empty requests no channel", env: ["NVIDIA_IMEX_CHANNELS="], options: [] },
  { name: "a channel that is not a number is an error", env: ["NVIDIA_IMEX_CHANNELS=0,x"], error: /NVIDIA_IMEX_CHANNELS=0,x: "x" is not an IMEX channel id/ },
  { name: "ignored in an unprivileged container when env requests are not accepted", env: ["NVIDIA_IMEX_CHANNELS=0"], opts: { acceptEnvvarUnprivileged: false }, options: [] },
  { name: "imex/<id> mounts request channels when mounts are accepted", env: [], mounts: [devMount("imex/2")], opts: mountsOn, options: ["imexChannels=2"] },
  { name: "imex mounts win over the env var", env: ["NVIDIA_IMEX_CHANNELS=0"], mounts: [devMount("imex/5")], opts: mountsOn, options: ["imexChannels=5"] },
  { name: "imex mounts are ignored when mounts are not accepted", env: ["NVIDIA_IMEX_CHANNELS=0"], mounts: [devMount("imex/5")], options: ["imexChannels=0"] },
];
for (const c of imexCases) {
  test(`IMEX channels: ${c.name}`, () => {
    const r = run(["NVIDIA_VISIBLE_DEVICES=0", ...c.env], { mounts: c.mounts, opts: c.opts, privileged: c.opts?.acceptEnvvarUnprivileged === false ? false : undefined });
    if (c.opts?.acceptEnvvarUnprivileged === false) {
      assert.deepEqual(r.requests, []);
      return;
    }
    if (c.error) {
      assert.deepEqual(r.requests, []);
      assert.match(r.errors.join("\n"), c.error);
    } else {
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.requests[0]?.options, c.options);
    }
  });
}

test("IMEX channels in a privileged container are accepted even when unprivileged env requests are not", () => {
  const r = run(["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=1"], { privileged: true, opts: { acceptEnvvarUnprivileged: false } });
  assert.deepEqual(r.requests[0]?.options, ["imexChannels=1"]);
});

test("IMEX channels without a GPU request are ignored with a note", () => {
  const r = run(["NVIDIA_IMEX_CHANNELS=1"]);
  assert.deepEqual(r.requests, []);
  assert.match(r.notes?.join(" ") ?? "", /IMEX channels 1 are requested without any GPU/);
});

// --- Gated feature modes ---
const gatedCases: { env: string[]; options: string[] }[] = [
  { env: ["NVIDIA_GDS=enabled"], options: ["gds"] },
  { env: ["NVIDIA_MOFED=enabled", "NVIDIA_NVSWITCH=enabled", "NVIDIA_GDRCOPY=enabled"], options: ["mofed", "gdrcopy", "nvswitch"] },
  { env: ["NVIDIA_GDS=true"], options: [] },
  { env: ["NVIDIA_GDS=Enabled"], options: [] },
  { env: ["NVIDIA_GDS="], options: [] },
  { env: ["NVIDIA_IMEX_CHANNELS=0", "NVIDIA_GDS=enabled"], options: ["imexChannels=0", "gds"] },
];
for (const c of gatedCases) {
  test(`gated features: ${c.env.join(" ")} gives options [${c.options.join(",")}] (only the exact value "enabled" counts)`, () => {
    assert.deepEqual(only(["NVIDIA_VISIBLE_DEVICES=0", ...c.env])?.options, c.options);
  });
}

// --- Volume mounts ---
const mountCases: { name: string; env?: string[]; mounts: Mounts; opts?: Partial<NvidiaRequestOptions>; privileged?: boolean; devices: string[] | null; source?: string }[] = [
  { name: "a /dev/null mount under the directory requests that GPU", mounts: [devMount("0")], opts: mountsOn, devices: ["0"], source: "mounts" },
  { name: "mounts keep spec order", mounts: [devMount("3"), devMount("GPU-aa"), devMount("1")], opts: mountsOn, devices: ["3", "GPU-aa", "1"], source: "mounts" },
  { name: "mounts are de-duplicated by destination", mounts: [devMount("1"), devMount("1/"), devMount("//1")], opts: mountsOn, devices: ["1"], source: "mounts" },
  { name: "mount paths are cleaned", mounts: [{ source: "/dev/../dev/null", destination: "/var/run/nvidia-container-devices/./2/" }], opts: mountsOn, devices: ["2"], source: "mounts" },
  { name: "mounts from a source other than /dev/null are not requests", mounts: [devMount("0", "/tmp/x")], opts: mountsOn, devices: null },
  { name: "mounts outside the directory are not requests", mounts: [{ source: "/dev/null", destination: "/var/run/nvidia-container-devices-x/0" }], opts: mountsOn, devices: null },
  { name: "the directory itself is not a request", mounts: [{ source: "/dev/null", destination: "/var/run/nvidia-container-devices" }], opts: mountsOn, devices: null },
  { name: "mounts are ignored unless accepted", mounts: [devMount("0")], devices: null },
  { name: "mounts win over NVIDIA_VISIBLE_DEVICES", env: ["NVIDIA_VISIBLE_DEVICES=all"], mounts: [devMount("1")], opts: mountsOn, devices: ["1"], source: "mounts" },
  { name: "without device mounts NVIDIA_VISIBLE_DEVICES is read", env: ["NVIDIA_VISIBLE_DEVICES=2"], mounts: [], opts: mountsOn, devices: ["2"], source: "env" },
  { name: "mount requests need no privilege", mounts: [devMount("0")], opts: { ...mountsOn, acceptEnvvarUnprivileged: false }, privileged: false, devices: ["0"], source: "mounts" },
  { name: "mount all requests every GPU", mounts: [devMount("all")], opts: mountsOn, devices: ["all"], source: "mounts" },
  { name: "cdi/vendor/class/name mounts become CDI names", mounts: [devMount("cdi/nvidia.com/gpu/0")], opts: mountsOn, devices: ["nvidia.com/gpu=0"], source: "mounts" },
  { name: "cdi/<qualified name> mounts are kept", mounts: [devMount("cdi/nvidia.com/gpu=1")], opts: mountsOn, devices: ["nvidia.com/gpu=1"], source: "mounts" },
  { name: "malformed cdi/ mounts are skipped", mounts: [devMount("cdi/nvidia.com"), devMount("0")], opts: mountsOn, devices: ["0"], source: "mounts" },
  { name: "only imex mounts leave the device list to the env", env: ["NVIDIA_VISIBLE_DEVICES=3"], mounts: [devMount("imex/0")], opts: mountsOn, devices: ["3"], source: "env" },
];
for (const c of mountCases) {
  test(`volume-mount device lists: ${c.name}`, () => {
    const r = only(c.env ?? [], { mounts: c.mounts, opts: c.opts, privileged: c.privileged });
    if (c.devices === null) assert.equal(r, undefined);
    else {
      assert.deepEqual(r?.devices, c.devices);
      assert.equal(r?.source, c.source);
    }
  });
}

test("ignored device-list mounts are noted", () => {
  const r = run([], { mounts: [devMount("0")] });
  assert.match(r.notes?.join(" ") ?? "", /accept-nvidia-visible-devices-as-volume-mounts is false/);
});

test("deviceRequestsFromMounts separates devices and IMEX channels (a bare imex/ cleans to the id imex, as in NVIDIA)", () => {
  const r = deviceRequestsFromMounts([devMount("0"), devMount("imex/1"), devMount("imex/"), devMount("cdi/a/b/c")]);
  assert.deepEqual(r.devices, ["0", "imex", "a/b=c"]);
  assert.deepEqual(r.imex, ["1"]);
});

test("the JSON-visible fields of a typical request", () => {
  const r = only(["NVIDIA_VISIBLE_DEVICES=0,1", "NVIDIA_REQUIRE_CUDA=cuda>=11.0"]);
  const { explanation, ...rest } = r as DeviceRequest;
  assert.ok(explanation.length >= 3);
  assert.deepEqual(rest, {
    vendor: "nvidia", source: "env", devices: ["0", "1"], capabilities: ["compute", "utility"],
    requirements: ["cuda>=11.0"], migConfigDevices: null, migMonitorDevices: null, options: [],
  });
});

test("no env value, mount or option combination makes the parser throw", () => {
  const word = fc.constantFrom("all", "none", "void", "", "0", "1:0", "GPU-x", "nvidia.com/gpu=0", "compute", "cuda>=1", "imex/1", "cdi/a/b/c");
  const value = fc.oneof(fc.string(), fc.array(fc.oneof(word, fc.string()), { maxLength: 5 }).map((a) => a.join(",")));
  const names = fc.constantFrom(
    "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "NVIDIA_REQUIRE_CUDA", "NVIDIA_REQUIRE_X", "NVIDIA_DISABLE_REQUIRE",
    "CUDA_VERSION", "NVIDIA_MIG_CONFIG_DEVICES", "NVIDIA_MIG_MONITOR_DEVICES", "NVIDIA_IMEX_CHANNELS", "DOCKER_RESOURCE_GPU",
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(names, value), { maxLength: 8 }),
      fc.array(fc.tuple(fc.oneof(word, fc.string()), fc.constantFrom("/dev/null", "/x")), { maxLength: 4 }),
      fc.boolean(), fc.boolean(), fc.boolean(),
      (env, mounts, privileged, acceptEnv, acceptMounts) => {
        const r = parseNvidiaRequests(
          {
            env: env.map(([k, v]) => `${k}=${v}`),
            mounts: mounts.map(([d, s]) => ({ source: s, destination: `/var/run/nvidia-container-devices/${d}` })),
            annotations: {},
            privileged,
          },
          { ...defaultNvidiaRequestOptions, acceptEnvvarUnprivileged: acceptEnv, acceptDeviceListAsVolumeMounts: acceptMounts, swarmResource: ["DOCKER_RESOURCE_GPU"] },
        );
        assert.ok(r.requests.length <= 1);
        if (r.errors.length) assert.equal(r.requests.length, 0);
        for (const q of r.requests) {
          assert.deepEqual(q.capabilities, [...q.capabilities].sort());
          assert.ok(q.explanation.length > 0);
        }
      },
    ),
    { numRuns: 400 },
  );
});
