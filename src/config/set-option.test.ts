import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ActkError, ExitCode } from "../core/errors.js";
import { nvidiaSettableKeys } from "./nvidia-compat.js";
import { parse } from "smol-toml";
import { allKeys, displayKey, renderDefaultConfig } from "./schema.js";
import { setTomlValue } from "./toml-edit.js";
import { parseSetOptions } from "./set-option.js";
import { testPluginDefaults } from "./testdata/plugin-defaults.js";

const keys = allKeys(testPluginDefaults);
const set = (...raws: string[]): Array<[string, unknown]> => parseSetOptions(raws, keys).map((a) => [displayKey(a.key.path), a.value]);

test("--set values are typed by the schema", () => {
  const cases: Array<[string[], Array<[string, unknown]>]> = [
    [["runtime.mode=cdi"], [["runtime.mode", "cdi"]]],
    [["runtime.log-file=/a=b"], [["runtime.log-file", "/a=b"]]],
    [["hook.path=true"], [["hook.path", "true"]]],
    [["runtime.runtimes=runc,crun"], [["runtime.runtimes", ["runc", "crun"]]]],
    [["runtime.runtimes=runc"], [["runtime.runtimes", ["runc"]]]],
    [["runtime.runtimes="], [["runtime.runtimes", []]]],
    [["cdi.spec-dirs=/a", "cdi.spec-dirs=/b,/c"], [["cdi.spec-dirs", ["/a", "/b", "/c"]]]],
    [["runtime.mode=cdi", "runtime.mode=jit"], [["runtime.mode", "jit"]]],
    [["cdi.default-kind.nvidia=x.com/gpu"], [["cdi.default-kind.nvidia", "x.com/gpu"]]],
    [["plugins.nvidia.disable-require"], [['plugins."actk.vendor.v1".nvidia.disable-require', true]]],
    [["plugins.nvidia.disable-require=false"], [['plugins."actk.vendor.v1".nvidia.disable-require', false]]],
    [["plugins.vendor.nvidia.disable-require=1"], [['plugins."actk.vendor.v1".nvidia.disable-require', true]]],
    [["plugins.actk.vendor.v1.nvidia.disable-require=F"], [['plugins."actk.vendor.v1".nvidia.disable-require', false]]],
    [['plugins."actk.vendor.v1".nvidia.disable-require=TRUE'], [['plugins."actk.vendor.v1".nvidia.disable-require', true]]],
    [["plugins.nvidia.swarm-resource=DOCKER_RESOURCE_GPU"], [['plugins."actk.vendor.v1".nvidia.swarm-resource', ["DOCKER_RESOURCE_GPU"]]]],
    [["plugins.ascend.max-devices=-4"], [['plugins."actk.vendor.v1".ascend.max-devices', -4]]],
  ];
  for (const [raws, want] of cases) assert.deepEqual(set(...raws), want, raws.join(" "));
});

test("bad --set input is a usage error naming the option and the fix", () => {
  const cases: Array<[string, RegExp]> = [
    ["runtime.mode", /expected KEY=VALUE/],
    ["runtime.mode=fast", /must be one of auto, jit, cdi, legacy, csv/],
    ["runtime.mod=cdi", /unknown key runtime\.mod \(did you mean runtime\.mode\?\)/],
    ["plugins.nvidia.disable-require=yes", /is a boolean, got "yes"/],
    ["plugins.ascend.max-devices=1.5", /is an integer/],
    ["plugins.ascend.max-devices=99999999999999999999", /is an integer/],
    ["=x", /expected KEY=VALUE/],
    ["nvidia-container-runtime.mode=cdi", /unknown key/],
  ];
  for (const [raw, message] of cases) {
    assert.throws(() => set(raw), (e: unknown) => {
      assert.ok(e instanceof ActkError, raw);
      assert.equal(e.exitCode, ExitCode.usage);
      assert.match(e.message, message, raw);
      assert.ok(e.fix && e.place?.startsWith("--set"), raw);
      return true;
    });
  }
});

test("NVIDIA keys are settable with NVIDIA's names and types", () => {
  const lists = parseSetOptions(["nvidia-container-runtime.runtimes=runc:crun", "nvidia-container-runtime.modes.cdi.spec-dirs=/a,/b"], nvidiaSettableKeys());
  assert.deepEqual(lists.map((a) => a.value), [["runc", "crun"], ["/a", "/b"]]);
  const r = parseSetOptions(["nvidia-container-runtime.mode=jit-cdi", "nvidia-container-cli.no-cgroups", "features.allow-ldconfig-from-container=false"], nvidiaSettableKeys());
  assert.deepEqual(r.map((a) => [a.key.path.join("."), a.value]), [
    ["nvidia-container-runtime.mode", "jit-cdi"], ["nvidia-container-cli.no-cgroups", true], ["features.allow-ldconfig-from-container", false],
  ]);
});

test("any --set value is written as TOML that reads back as the value", () => {
  const text = renderDefaultConfig(testPluginDefaults);
  fc.assert(fc.property(fc.string({ unit: "binary" }), (v) => {
    const [a] = parseSetOptions([`hook.path=${v}`], keys);
    const out = setTomlValue(text, (a as { key: { path: string[] } }).key.path, a?.value);
    const want = v.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
    assert.equal((parse(out) as { hook: { path: string } }).hook.path, want);
  }), { numRuns: 300 });
});

test("no --set input crashes: it parses or throws an ActkError", () => {
  const names = [...keys.map((k) => displayKey(k.path)), "plugins.nvidia.disable-require", "runtime", "", "x.y"];
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.constantFrom(...names), fc.option(fc.string(), { nil: undefined }), fc.string()), { maxLength: 5 }),
    (items) => {
      const raws = items.map(([name, value, junk]) => (junk.length % 3 === 0 ? junk : value === undefined ? name : `${name}=${value}`));
      try {
        parseSetOptions(raws, keys);
      } catch (e) {
        assert.ok(e instanceof ActkError, String(e));
      }
    },
  ), { numRuns: 300 });
});
