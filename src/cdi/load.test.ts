import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ActkError } from "../core/errors.js";
import { loadSpecDirs, parseSpecText, specFilesIn } from "./load.js";
import { serializeSpec } from "./write.js";
import type { CdiSpec } from "./spec.js";

const good: CdiSpec = {
  cdiVersion: "0.5.0", kind: "nvidia.com/gpu",
  devices: [{ name: "0", containerEdits: { deviceNodes: [{ path: "/dev/nvidia0", type: "c", major: 195, minor: 0 }] } }],
  containerEdits: { env: ["A=1"], mounts: [{ hostPath: "/usr/lib/x.so", containerPath: "/usr/lib/x.so", options: ["ro", "nosuid", "nodev", "bind"] }] },
};

test("YAML and JSON output parse back to the same spec", () => {
  for (const format of ["yaml", "json"] as const) {
    const text = serializeSpec(good, format, ["a comment"]);
    if (format === "yaml") assert.ok(text.startsWith("---\n# a comment\n"));
    assert.deepEqual(parseSpecText(text, `x.${format}`).spec, good);
  }
});

const malformed: { why: string; text: string; file: string; line: number; column?: number; message: RegExp }[] = [
  { why: "broken JSON", text: '{\n  "cdiVersion": "0.5.0",\n  "kind": "a.com/b"\n  "devices": []\n}', file: "a.json", line: 4, message: /not valid JSON or YAML/ },
  { why: "an unknown field", text: "cdiVersion: 0.5.0\nkind: a.com/b\ndevices:\n  - name: x\n    containerEdits:\n      deviceNodez: []\n", file: "b.yaml", line: 6, column: 7, message: /unknown field "deviceNodez"/ },
  { why: "a wrong type", text: "cdiVersion: 0.5.0\nkind: a.com/b\ndevices:\n  - name: x\n    containerEdits:\n      deviceNodes:\n        - path: /dev/x\n          major: big\n", file: "c.yaml", line: 8, message: /major must be an integer/ },
  { why: "a missing required field", text: '{"cdiVersion": "0.5.0", "kind": "a.com/b"}', file: "d.json", line: 1, message: /missing the required field "devices"/ },
  { why: "a duplicate key", text: "cdiVersion: 0.5.0\nkind: a.com/b\nkind: c.com/d\ndevices: []\n", file: "e.yaml", line: 3, message: /unique/ },
];

for (const c of malformed) {
  test(`a spec with ${c.why} is an error naming the file, line and column`, () => {
    assert.throws(() => parseSpecText(c.text, c.file), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.equal(e.file, c.file);
      assert.equal(e.line, c.line);
      if (c.column !== undefined) assert.equal(e.column, c.column);
      assert.match(e.message, c.message);
      assert.ok(e.fix);
      assert.equal(e.exitCode, 3);
      return true;
    });
  });
}

test("spec dirs: only .json and .yaml files, a missing dir is skipped, a bad file does not stop the others", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-cdi-load-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "a.yaml"), serializeSpec(good, "yaml"));
  fs.writeFileSync(path.join(dir, "b.json"), "{ broken");
  fs.writeFileSync(path.join(dir, "c.yml"), serializeSpec(good, "yaml"));
  fs.writeFileSync(path.join(dir, "d.txt"), "x");
  assert.deepEqual(specFilesIn(dir).map((f) => path.basename(f)), ["a.yaml", "b.json"]);
  const res = loadSpecDirs([dir, path.join(dir, "missing")]);
  assert.equal(res.specs.length, 1);
  assert.equal(res.errors.length, 1);
  assert.equal(res.errors[0]?.file, path.join(dir, "b.json"));
  assert.equal(res.specs[0]?.deviceLines[0], 5);
});

test("YAML output quotes every string a YAML 1.1 reader (Go's sigs.k8s.io/yaml) would take for a number or boolean", () => {
  const names = ["0", "1:0", "0:1", "10:59", "1_0", "on", "no", "Y", "0x1f", "1.5", "2024-01-02"];
  const s: CdiSpec = { ...good, devices: names.map((name) => ({ name, containerEdits: { env: [`A=${name}`] } })) };
  const text = serializeSpec(s, "yaml");
  for (const n of names) assert.match(text, new RegExp(`- name: "${n.replace(/[.]/g, "\\.")}"\n`), n);
  assert.match(text, /- name: "0"\n/);
  assert.match(text, /^kind: nvidia\.com\/gpu$/m, "ordinary strings stay plain");
  assert.match(text, /^ {8}- A=1:0$/m);
  assert.deepEqual(parseSpecText(text, "x.yaml").spec, s);
});
