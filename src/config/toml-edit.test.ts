import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parse } from "smol-toml";
import { ActkError } from "../core/errors.js";
import { allKeys, renderDefaultConfig } from "./schema.js";
import { setTomlValue } from "./toml-edit.js";
import { testPluginDefaults } from "./testdata/plugin-defaults.js";

const FILE = `# my config
[runtime]
# the mode
mode = "auto"   # trailing comment
runtimes = [
  "runc", # first
  "crun",
]

[cdi]
spec-dirs = ["/etc/cdi"]
`;

test("set keeps every other byte of the file (golden)", () => {
  const cases: Array<[string, string[], unknown, string]> = [
    ["replaces a value and keeps its trailing comment", ["runtime", "mode"], "cdi",
      FILE.replace('mode = "auto"   # trailing comment', 'mode = "cdi"   # trailing comment')],
    ["replaces a multi-line array with one line", ["runtime", "runtimes"], ["runc"],
      FILE.replace(/runtimes = \[[^\]]*\]/, 'runtimes = ["runc"]')],
    ["inserts a missing key after the table's last key", ["runtime", "log-level"], "debug",
      FILE.replace('  "crun",\n]\n', '  "crun",\n]\nlog-level = "debug"\n')],
    ["inserts a nested key as a dotted key in the deepest table", ["cdi", "default-kind", "nvidia"], "x.com/gpu",
      FILE.replace('spec-dirs = ["/etc/cdi"]\n', 'spec-dirs = ["/etc/cdi"]\ndefault-kind.nvidia = "x.com/gpu"\n')],
    ["appends a missing table at the end", ["plugins", "actk.vendor.v1", "nvidia", "disable-require"], true,
      FILE + '\n[plugins."actk.vendor.v1".nvidia]\ndisable-require = true\n'],
    ["inserts a top-level key before the first table", ["disable-require"], true,
      "disable-require = true\n" + FILE],
  ];
  for (const [name, path, value, want] of cases) assert.equal(setTomlValue(FILE, path, value), want, name);
});

test("CRLF files keep CRLF line ends", () => {
  const crlf = FILE.replace(/\n/g, "\r\n");
  assert.equal(setTomlValue(crlf, ["runtime", "mode"], "cdi"), crlf.replace('"auto"', '"cdi"'));
  assert.equal(setTomlValue(crlf, ["hook", "path"], "/h"), crlf + '\r\n[hook]\r\npath = "/h"\r\n');
  assert.equal(setTomlValue(crlf, ["runtime", "log-level"], "warn"), crlf.replace('  "crun",\r\n]\r\n', '  "crun",\r\n]\r\nlog-level = "warn"\r\n'));
});

test("a commented-out default line is uncommented in place", () => {
  const text = '#swarm-resource = "DOCKER_RESOURCE_GPU"\ndisable-require = false\n\n[x]\n#a = 1\n';
  assert.equal(setTomlValue(text, ["swarm-resource"], "R"), 'swarm-resource = "R"\ndisable-require = false\n\n[x]\n#a = 1\n');
  assert.equal(setTomlValue(text, ["x", "a"], 2), '#swarm-resource = "DOCKER_RESOURCE_GPU"\ndisable-require = false\n\n[x]\na = 2\n');
});

test("edits that cannot be made line by line are refused, nothing changed", () => {
  assert.throws(() => setTomlValue('[cdi]\ndefault-kind = { nvidia = "a" }\n', ["cdi", "default-kind", "amd"], "b"), ActkError);
  assert.throws(() => setTomlValue('[runtime\nmode = "x"\n', ["runtime", "mode"], "cdi", "c.toml"), (e: unknown) => {
    assert.ok(e instanceof ActkError);
    assert.equal(e.file, "c.toml");
    assert.equal(e.line, 1);
    return true;
  });
});

test("setting any key of the default file changes exactly one line", () => {
  const text = renderDefaultConfig(testPluginDefaults);
  const keys = allKeys(testPluginDefaults);
  const value = (t: string): fc.Arbitrary<unknown> =>
    t === "bool" ? fc.boolean() : t === "int" ? fc.integer() : t === "string-list" ? fc.array(fc.string()) : fc.string();
  fc.assert(fc.property(fc.constantFrom(...keys).chain((k) => fc.tuple(fc.constant(k), k.values ? fc.constantFrom(...k.values) : value(k.type))), ([key, v]) => {
    const out = setTomlValue(text, key.path, v);
    const a = text.split("\n");
    const b = out.split("\n");
    assert.equal(a.length, b.length);
    assert.equal(a.filter((l, i) => l !== b[i]).length <= 1, true);
    let t: unknown = parse(out);
    for (const p of key.path) t = (t as Record<string, unknown>)[p];
    assert.deepEqual(t, v);
  }), { numRuns: 200 });
});
