import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { appendJsonItem, removeJsonValue, setJsonValue } from "./json-splice.js";

const sets = [
  {
    name: "a member added to a multi-line object gets its own line; a one-line sibling stays on its line",
    text: '{\n    "runtimes": {\n        "nvidia": {"path": "x"}\n    }\n}\n',
    path: ["runtimes", "actk"], value: { path: "/a" },
    want: '{\n    "runtimes": {\n        "nvidia": {"path": "x"},\n        "actk": {\n            "path": "/a"\n        }\n    }\n}\n',
  },
  {
    name: "a member added to a one-line object stays on that line, with its separators",
    text: '{\n  "features": {"buildkit": true}\n}\n', path: ["features", "cdi"], value: true,
    want: '{\n  "features": {"buildkit": true, "cdi": true}\n}\n',
  },
  {
    name: "compact separators are kept",
    text: '{"a":1,"b":{"c":2}}', path: ["b", "d"], value: [1, 2],
    want: '{"a":1,"b":{"c":2,"d":[1,2]}}',
  },
  {
    name: "an empty top-level object opens onto lines",
    text: "{}\n", path: ["runtimes", "actk"], value: { path: "/a" },
    want: '{\n  "runtimes": {\n    "actk": {\n      "path": "/a"\n    }\n  }\n}\n',
  },
  {
    name: "an empty object inside a one-line object stays on the line",
    text: '{"runtimes": {}}', path: ["runtimes", "actk"], value: { path: "/a" },
    want: '{"runtimes": {"actk": {"path": "/a"}}}',
  },
  {
    name: "tabs and CRLF are followed",
    text: '{\r\n\t"debug": true\r\n}\r\n', path: ["runtimes", "actk"], value: { path: "/a" },
    want: '{\r\n\t"debug": true,\r\n\t"runtimes": {\r\n\t\t"actk": {\r\n\t\t\t"path": "/a"\r\n\t\t}\r\n\t}\r\n}\r\n',
  },
  {
    name: "a value is replaced in place; a one-line value stays one line",
    text: '{\n  "runtimes": {"actk": {"path": "old"}},\n  "default-runtime": "runc"\n}\n', path: ["runtimes", "actk"], value: { path: "/a", runtimeArgs: ["--x"] },
    want: '{\n  "runtimes": {"actk": {"path": "/a", "runtimeArgs": ["--x"]}},\n  "default-runtime": "runc"\n}\n',
  },
  {
    name: "a scalar is replaced, nothing else moves",
    text: '{\n  "default-runtime":   "runc" ,\n  "x": 1\n}\n', path: ["default-runtime"], value: "actk",
    want: '{\n  "default-runtime":   "actk" ,\n  "x": 1\n}\n',
  },
  {
    name: "setting the value that is there changes no byte",
    text: '{ "a" : { "b" : [ 1 ] } }', path: ["a", "b"], value: [1],
    want: '{ "a" : { "b" : [ 1 ] } }',
  },
];
for (const c of sets) {
  test(`setJsonValue: ${c.name}`, () => {
    assert.equal(setJsonValue(c.text, c.path, c.value), c.want);
  });
}

test("appendJsonItem adds to a one-line array on its line, and to a multi-line one on a new line", () => {
  assert.equal(appendJsonItem('{"imports": ["/a"]}', ["imports"], "/b"), '{"imports": ["/a", "/b"]}');
  assert.equal(appendJsonItem('{\n  "imports": [\n    "/a"\n  ]\n}', ["imports"], "/b"), '{\n  "imports": [\n    "/a",\n    "/b"\n  ]\n}');
  assert.equal(appendJsonItem("{}", ["imports"], "/b"), '{\n  "imports": [\n    "/b"\n  ]\n}');
});

test("setJsonValue refuses to go through a value that is not an object", () => {
  assert.throws(() => setJsonValue('{"runtimes": []}', ["runtimes", "actk"], 1), /runtimes is not an object/);
});

const removals = [
  { name: "the last member, with the comma before it", text: '{\n  "a": 1,\n  "b": {"c": 2}\n}\n', path: ["b"], want: '{\n  "a": 1\n}\n' },
  { name: "the first member, with the space up to the next", text: '{"a": 1, "b": 2}', path: ["a"], want: '{"b": 2}' },
  { name: "the only member: the object is left empty", text: '{\n  "runtimes": {\n    "actk": {}\n  }\n}', path: ["runtimes", "actk"], want: '{\n  "runtimes": {}\n}' },
  { name: "a path that is not there: no change", text: '{"a": 1}', path: ["b", "c"], want: '{"a": 1}' },
];
for (const c of removals) {
  test(`removeJsonValue: ${c.name}`, () => {
    assert.equal(removeJsonValue(c.text, c.path), c.want);
  });
}

test("property: adding a member and removing it again gives back every byte, in any layout", () => {
  const key = fc.stringMatching(/^[a-z][a-z-]{0,6}$/);
  const scalar = fc.oneof(fc.integer(), fc.boolean(), fc.stringMatching(/^[a-z0-9 ./-]{0,8}$/));
  const doc = fc.dictionary(key, fc.oneof(scalar, fc.dictionary(key, scalar, { maxKeys: 3 })), { maxKeys: 5 });
  fc.assert(fc.property(doc, fc.constantFrom(0, 2, 4, "\t"), fc.array(key, { minLength: 1, maxLength: 3 }), fc.jsonValue(), (d, indent, path, value) => {
    const text = JSON.stringify(d, null, indent) + "\n";
    fc.pre(!Object.hasOwn(d, path[0]!));
    const added = setJsonValue(text, path, value);
    let want: unknown = value;
    for (const k of [...path].reverse()) want = { [k]: want };
    assert.deepEqual(JSON.parse(added), JSON.parse(JSON.stringify({ ...d, ...(want as object) })));
    assert.equal(removeJsonValue(added, [path[0]!]), text);
  }), { numRuns: 300 });
});
