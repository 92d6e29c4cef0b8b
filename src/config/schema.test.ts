import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { ActkError, ExitCode } from "../core/errors.js";
import { defaultConfig } from "./defaults.js";
import { configFromToml, editDistance, pluginDefaultsOf, renderConfigFile, renderDefaultConfig, suggest } from "./schema.js";
import { testPluginDefaults } from "./testdata/plugin-defaults.js";

const doc = (text: string): Record<string, unknown> => parse(text) as Record<string, unknown>;

test("values of every type are read into the camelCase config", () => {
  const cases: Array<[string, (c: ReturnType<typeof defaultConfig>) => unknown, unknown]> = [
    ['[runtime]\nmode = "cdi"', (c) => c.runtime.mode, "cdi"],
    ['[runtime]\nruntimes = ["crun"]', (c) => c.runtime.runtimes, ["crun"]],
    ['[runtime]\nlog-file = "/tmp/r.log"', (c) => c.runtime.logFile, "/tmp/r.log"],
    ['[runtime]\nlog-level = "debug"', (c) => c.runtime.logLevel, "debug"],
    ['[hook]\npath = "/opt/actk-hook"', (c) => c.hook.path, "/opt/actk-hook"],
    ['[cdi]\nspec-dirs = []', (c) => c.cdi.specDirs, []],
    ['[cdi.default-kind]\nnvidia = "example.com/gpu"', (c) => c.cdi.defaultKind.nvidia, "example.com/gpu"],
    ['cdi.default-kind.amd = "x.com/y"', (c) => c.cdi.defaultKind.amd, "x.com/y"],
    ['[plugins."actk.vendor.v1".nvidia]\ndisable-require = true', (c) => c.plugins["vendor.nvidia"]?.disableRequire, true],
    ['[plugins."actk.vendor.v1".nvidia]\nswarm-resource = ["DOCKER_RESOURCE_GPU"]', (c) => c.plugins["vendor.nvidia"]?.swarmResource, ["DOCKER_RESOURCE_GPU"]],
    ['[plugins."actk.vendor.v1".ascend]\nmax-devices = 8', (c) => c.plugins["vendor.ascend"]?.maxDevices, 8],
  ];
  for (const [text, get, want] of cases) {
    assert.deepEqual(get(configFromToml(doc(text), { pluginDefaults: testPluginDefaults })), want, text);
  }
});

test("keys not in the file keep their defaults, plugin sections included", () => {
  const c = configFromToml(doc('[runtime]\nmode = "jit"'), { pluginDefaults: testPluginDefaults });
  assert.deepEqual(c.hook, defaultConfig().hook);
  assert.deepEqual(c.plugins["vendor.nvidia"], testPluginDefaults["vendor.nvidia"]);
});

test("wrong types are rejected naming the key and the expected type", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["[runtime]\nmode = 3", "runtime.mode", /one of "auto", "jit"/],
    ['[runtime]\nmode = "fast"', "runtime.mode", /one of .*got "fast"/],
    ['[runtime]\nmode = "cdl"', "runtime.mode", /did you mean "cdi"/],
    ['[runtime]\nruntimes = "runc"', "runtime.runtimes", /list of strings/],
    ["[runtime]\nruntimes = [1, 2]", "runtime.runtimes", /list of strings/],
    ["[hook]\npath = true", "hook.path", /a string, got a boolean/],
    ['[plugins."actk.vendor.v1".nvidia]\ndisable-require = "yes"', 'plugins."actk.vendor.v1".nvidia.disable-require', /boolean/],
    ['[plugins."actk.vendor.v1".ascend]\nmax-devices = 1.5', 'plugins."actk.vendor.v1".ascend.max-devices', /integer/],
    ["runtime = 1", "runtime", /expected a table/],
  ];
  for (const [text, place, message] of cases) {
    assert.throws(() => configFromToml(doc(text), { file: "c.toml", pluginDefaults: testPluginDefaults }), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.equal(e.place, place, text);
      assert.equal(e.file, "c.toml");
      assert.equal(e.exitCode, ExitCode.badInput);
      assert.match(e.message, message, text);
      assert.ok(e.fix);
      return true;
    });
  }
});

test("unknown keys are rejected with a did-you-mean suggestion", () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['[runtime]\nmod = "cdi"', "runtime.mode", "runtime.mod"],
    ['[runtime]\nlog_level = "info"', "runtime.log-level", "runtime.log_level"],
    ['[hook]\nlogfile = "x"', "hook.log-file", "hook.logfile"],
    ['[runtime]\nspec-dirs = []', "cdi.spec-dirs", "runtime.spec-dirs"],
    ['[plugins."actk.vendor.v1".nvidia]\ndisable-requires = true', 'plugins."actk.vendor.v1".nvidia.disable-require', undefined],
    ['[plugins."actk.vendor.v1".nvidea]\ndisable-require = true', 'plugins."actk.vendor.v1".nvidia', 'plugins."actk.vendor.v1".nvidea'],
    ["[totally]\nunrelated = 1", "", "totally"],
    ['[plugins.nvidia]\ndisable-require = true', 'plugins."actk.vendor.v1".nvidia', "plugins.nvidia"],
  ];
  for (const [text, suggestion, place] of cases) {
    assert.throws(() => configFromToml(doc(text), { pluginDefaults: testPluginDefaults }), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.match(e.message, /^unknown key/);
      if (place) assert.equal(e.place, place);
      if (suggestion) assert.ok(e.message.includes(`did you mean ${suggestion}?`), `${text}: ${e.message}`);
      else if (place === "totally") assert.doesNotMatch(e.message, /did you mean/);
      return true;
    });
  }
});

test("without plugin defaults, plugin sections are taken as written", () => {
  const c = configFromToml(doc('[plugins."actk.engine.v1".docker]\nconfig-path = "/etc/docker/daemon.json"'));
  assert.deepEqual(c.plugins["engine.docker"], { configPath: "/etc/docker/daemon.json" });
  assert.throws(() => configFromToml(doc("[plugins.nvidia]\nx = 1")), /unknown key/);
});

test("the default file parses back to exactly the defaults", () => {
  const text = renderDefaultConfig(testPluginDefaults);
  assert.deepEqual(configFromToml(doc(text), { pluginDefaults: testPluginDefaults }), {
    ...defaultConfig(), plugins: testPluginDefaults,
  });
  assert.match(text, /^# how actk-runtime injects devices/m);
  assert.match(text, /^\[plugins\."actk\.vendor\.v1"\.nvidia\]$/m);
  assert.match(text, /^accept-envvar-unprivileged = true$/m);
});

test("plugin defaults come from registrations whose config is a table", () => {
  assert.deepEqual(pluginDefaultsOf([
    { type: "actk.vendor.v1", id: "nvidia", config: { disableRequire: false } },
    { type: "actk.host.v1", id: "root" },
    { type: "actk.engine.v1", id: "docker", config: "not a table" },
  ]), { "vendor.nvidia": { disableRequire: false } });
});

test("suggestions are made for typos only", () => {
  assert.equal(editDistance("mode", "mdoe"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(suggest("runtime.mdoe", ["runtime.mode", "hook.path"]), "runtime.mode");
  assert.equal(suggest("zzzzzz", ["runtime.mode", "hook.path"]), undefined);
  assert.equal(suggest("foo", ["hook", "cdi", "runtime"]), undefined);
});

test("a config rendered as a file reads back to the same config", () => {
  const config = defaultConfig();
  config.runtime.mode = "legacy";
  config.cdi.specDirs = ["/run/cdi"];
  config.cdi.defaultKind.nvidia = "example.com/gpu";
  config.plugins["vendor.nvidia"] = { ...testPluginDefaults["vendor.nvidia"], disableRequire: true, swarmResource: ["DOCKER_RESOURCE_GPU"] };
  config.plugins["vendor.ascend"] = { ...testPluginDefaults["vendor.ascend"] };
  assert.deepEqual(configFromToml(doc(renderConfigFile(config, testPluginDefaults)), { pluginDefaults: testPluginDefaults }), config);
});

test("values the type allows but actk cannot use are refused with the key, the item and the fix", () => {
  const cases: Array<[string, RegExp]> = [
    ['[runtime]\nruntimes = []', /runtime\.runtimes: the list is empty.*Fix: name at least one runtime/],
    ['[runtime]\nruntimes = ["runc", ""]', /runtime\.runtimes: item 2 is empty/],
    ['[runtime]\nlog-file = "actk.log"', /runtime\.log-file: "actk\.log" is not an absolute path/],
    ['[hook]\npath = "actk-hook"', /hook\.path: "actk-hook" is not an absolute path.*e\.g\. \/usr\/local\/bin\/actk-hook/],
    ['[cdi]\nspec-dirs = ["/etc/cdi", "relative"]', /cdi\.spec-dirs: item 2 \("relative"\) is not an absolute path.*e\.g\. \/etc\/cdi/],
    ['[cdi]\nspec-dirs = [""]', /cdi\.spec-dirs: item 1 \(""\) is not an absolute path/],
    ['[cdi]\nannotation-prefixes = [""]', /cdi\.annotation-prefixes: item 1 is empty/],
    ['[cdi.default-kind]\nnvidia = "not a kind"', /cdi\.default-kind\.nvidia: "not a kind" is not a CDI kind/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => configFromToml(doc(text), { file: "c.toml" }), (e: ActkError) => {
      assert.equal(e.exitCode, ExitCode.badInput, text);
      assert.match(e.format(), message, text);
      assert.match(e.format(), /^c\.toml: /, text);
      return true;
    }, text);
  }
  // What stays allowed: no log file, no spec dirs.
  assert.equal(configFromToml(doc('[runtime]\nlog-file = ""')).runtime.logFile, "");
  assert.deepEqual(configFromToml(doc("[cdi]\nspec-dirs = []")).cdi.specDirs, []);
});
