import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parse } from "yaml";
import { blockYaml } from "./yaml-text.js";

const readers = [{ name: "YAML 1.2", opts: {} }, { name: "YAML 1.1", opts: { version: "1.1" as const } }];

test("property: any JSON map written as YAML reads back identically in YAML 1.2 and 1.1", () => {
  // "__proto__" is left out: readers cannot give it back as an own key of a plain object.
  const key = fc.oneof(fc.string().filter((k) => k !== "__proto__"), fc.constantFrom("on", "1:0", "0", "a: b", "- x", "#", "", "null", "~", "cdiVersion"));
  const str = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("1:0", "0:1", "0755", "0x1f", "1_000", "yes", "No", "~", "true", ".inf", "2024-01-02", "a: b", "a #b", "x:", "@x", "`x", "'x", "\"x", "/dev/nvidia0", "A=1", "-", "--x", "? x", "* x", "& x", "! x", "% x", "| x", "> x", "{x}", "[x]", "\t", " lead", "trail ", "line\nbreak", "\u2028", "\u0085"));
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small" }, str, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)), fc.boolean(), fc.constant(null), tie("list"), tie("map")),
    list: fc.array(tie("value"), { maxLength: 4 }),
    map: fc.dictionary(key, tie("value"), { maxKeys: 4, noNullPrototype: true }),
  }));
  fc.assert(fc.property(fc.dictionary(key, json.value, { maxKeys: 5, noNullPrototype: true }), (m) => {
    const text = blockYaml(m);
    for (const r of readers) assert.deepEqual(parse(text, r.opts), m, `${r.name}:\n${text}`);
  }), { numRuns: 500 });
});

test("block YAML looks like the yaml library's: two-space indent, lists under their key, plain where safe", () => {
  const text = blockYaml({ cdiVersion: "0.5.0", kind: "nvidia.com/gpu", devices: [{ name: "0", containerEdits: { env: ["A=1"], deviceNodes: [{ path: "/dev/nvidia0", major: 195 }] } }], list: [], map: {} });
  assert.equal(text, [
    'cdiVersion: "0.5.0"',
    "kind: nvidia.com/gpu",
    "devices:",
    '  - name: "0"',
    "    containerEdits:",
    "      env:",
    "        - A=1",
    "      deviceNodes:",
    "        - path: /dev/nvidia0",
    "          major: 195",
    "list: []",
    "map: {}",
    "",
  ].join("\n"));
});
