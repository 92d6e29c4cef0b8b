import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { parse } from "smol-toml";
import { ActkError } from "../core/errors.js";
import { defaultConfig } from "./defaults.js";
import { configFromNvidiaToml, isNvidiaConfig } from "./nvidia-compat.js";
import { testPluginDefaults } from "./testdata/plugin-defaults.js";

const doc = (text: string): Record<string, unknown> => parse(text) as Record<string, unknown>;
const nvidiaDefaultFile = fs.readFileSync(new URL("./testdata/nvidia-config.toml", import.meta.url), "utf8");

test("the config.toml nvidia-ctk writes by default maps to actk's defaults", () => {
  const r = configFromNvidiaToml(doc(nvidiaDefaultFile), { pluginDefaults: testPluginDefaults });
  assert.deepEqual(r.config, { ...defaultConfig(), plugins: testPluginDefaults });
  assert.deepEqual(r.warnings, []);
  const status = Object.fromEntries(r.report.map((k) => [k.key, k.actkKey ?? k.status]));
  assert.deepEqual(status, {
    "disable-require": "plugins.nvidia.disable-require",
    "supported-driver-capabilities": "plugins.nvidia.supported-driver-capabilities",
    "nvidia-container-cli.environment": "ignored",
    "nvidia-container-cli.ldconfig": "ignored",
    "nvidia-container-cli.load-kmods": "ignored",
    "nvidia-container-runtime.log-level": "runtime.log-level",
    "nvidia-container-runtime.mode": "runtime.mode",
    "nvidia-container-runtime.runtimes": "runtime.runtimes",
    "nvidia-container-runtime.modes.cdi.annotation-prefixes": "cdi.annotation-prefixes",
    "nvidia-container-runtime.modes.cdi.default-kind": "cdi.default-kind.nvidia",
    "nvidia-container-runtime.modes.cdi.spec-dirs": "cdi.spec-dirs",
    "nvidia-container-runtime.modes.csv.mount-spec-path": "ignored",
    "nvidia-container-runtime.modes.legacy.cuda-compat-mode": "ignored",
    "nvidia-container-runtime-hook.path": "ignored",
    "nvidia-container-runtime-hook.skip-mode-detection": "ignored",
    "nvidia-ctk.path": "ignored",
  });
  for (const k of r.report.filter((x) => x.status === "ignored")) assert.ok(k.reason, k.key);
});

test("NVIDIA values are converted to actk's", () => {
  const cases: Array<[string, (c: ReturnType<typeof defaultConfig>) => unknown, unknown]> = [
    ['[nvidia-container-runtime]\nmode = "jit-cdi"', (c) => c.runtime.mode, "jit"],
    ['[nvidia-container-runtime]\nmode = "legacy"', (c) => c.runtime.mode, "legacy"],
    ['[nvidia-container-runtime]\nlog-level = "warning"', (c) => c.runtime.logLevel, "warn"],
    ['[nvidia-container-runtime]\nlog-level = "trace"', (c) => c.runtime.logLevel, "debug"],
    ['[nvidia-container-runtime]\ndebug = "/var/log/nvidia-container-runtime.log"', (c) => c.runtime.logFile, "/var/log/nvidia-container-runtime.log"],
    ['[nvidia-container-runtime]\nruntimes = ["crun"]', (c) => c.runtime.runtimes, ["crun"]],
    ['[nvidia-container-runtime.modes.cdi]\ndefault-kind = "example.com/gpu"', (c) => c.cdi.defaultKind.nvidia, "example.com/gpu"],
    ['[nvidia-container-runtime.modes.cdi]\nspec-dirs = ["/run/cdi"]', (c) => c.cdi.specDirs, ["/run/cdi"]],
    ['swarm-resource = "DOCKER_RESOURCE_GPU,DOCKER_RESOURCE_NVIDIA"', (c) => c.plugins["vendor.nvidia"]?.swarmResource, ["DOCKER_RESOURCE_GPU", "DOCKER_RESOURCE_NVIDIA"]],
    ['supported-driver-capabilities = "compute,utility"', (c) => c.plugins["vendor.nvidia"]?.supportedDriverCapabilities, ["compute", "utility"]],
    ["accept-nvidia-visible-devices-envvar-when-unprivileged = false", (c) => c.plugins["vendor.nvidia"]?.acceptEnvvarUnprivileged, false],
    ["accept-nvidia-visible-devices-as-volume-mounts = true", (c) => c.plugins["vendor.nvidia"]?.acceptDeviceListAsVolumeMounts, true],
    ["disable-require = true", (c) => c.plugins["vendor.nvidia"]?.disableRequire, true],
  ];
  for (const [text, get, want] of cases) {
    assert.deepEqual(get(configFromNvidiaToml(doc(text), { pluginDefaults: testPluginDefaults }).config), want, text);
  }
});

test("unknown keys in an NVIDIA file are warnings; bad values of mapped keys are errors", () => {
  const r = configFromNvidiaToml(doc('disable-require = false\nbogus = 1\n[nvidia-container-runtime]\nlog-level = "loud"\nfoo = 2\n'), { file: "n.toml" });
  assert.deepEqual(r.report.filter((k) => k.status === "unknown").map((k) => k.key), ["bogus", "nvidia-container-runtime.foo"]);
  assert.equal(r.warnings.length, 3);
  assert.equal(r.config.runtime.logLevel, "info");
  assert.throws(() => configFromNvidiaToml(doc('[nvidia-container-runtime]\nmode = "fast"')), (e: unknown) => e instanceof ActkError && e.place === "nvidia-container-runtime.mode");
  assert.throws(() => configFromNvidiaToml(doc('disable-require = "yes"')), (e: unknown) => e instanceof ActkError && e.place === "disable-require");
});

test("NVIDIA files are recognised by their keys", () => {
  for (const t of ["[nvidia-ctk]", "[nvidia-container-cli]", "disable-require = true", "[nvidia-container-runtime.modes.cdi]", 'swarm-resource = ""']) {
    assert.equal(isNvidiaConfig(doc(t)), true, t);
  }
  for (const t of ["", '[runtime]\nmode = "cdi"', "[plugins]"]) assert.equal(isNvidiaConfig(doc(t)), false, t);
});
