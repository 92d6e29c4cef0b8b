import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { ActkError, ExitCode } from "../core/errors.js";
import { findJsonSyntaxError, parseJsonWithPosition, readBundleRequestInput } from "./bundle-config.js";
import { isPrivilegedSpec, requestInputFromOciSpec } from "./oci-input.js";

const spec = {
  ociVersion: "1.0.2",
  process: {
    env: ["PATH=/usr/bin", "NVIDIA_VISIBLE_DEVICES=0"],
    capabilities: { bounding: ["CAP_CHOWN", "CAP_SYS_ADMIN"], effective: ["CAP_CHOWN"] },
  },
  root: { path: "rootfs" },
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/var/run/nvidia-container-devices/0", source: "/dev/null", options: ["bind"] },
  ],
  annotations: { "cdi.k8s.io/gpu": "nvidia.com/gpu=0" },
};

test("an OCI spec gives env, mounts, annotations and privilege", () => {
  assert.deepEqual(requestInputFromOciSpec(spec), {
    env: ["PATH=/usr/bin", "NVIDIA_VISIBLE_DEVICES=0"],
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/var/run/nvidia-container-devices/0", source: "/dev/null", options: ["bind"] },
    ],
    annotations: { "cdi.k8s.io/gpu": "nvidia.com/gpu=0" },
    privileged: true,
  });
});

const privilegeCases: { name: string; spec: unknown; privileged: boolean }[] = [
  { name: "CAP_SYS_ADMIN in the bounding set is privileged", spec: { process: { capabilities: { bounding: ["CAP_SYS_ADMIN"] } } }, privileged: true },
  { name: "CAP_SYS_ADMIN only in the effective set is not privileged", spec: { process: { capabilities: { bounding: [], effective: ["CAP_SYS_ADMIN"] } } }, privileged: false },
  { name: "the default docker bounding set is not privileged", spec: { process: { capabilities: { bounding: ["CAP_CHOWN", "CAP_NET_RAW"] } } }, privileged: false },
  { name: "an OCI 1.0.0-rc plain capability list with CAP_SYS_ADMIN is privileged", spec: { process: { capabilities: ["CAP_SYS_ADMIN"] } }, privileged: true },
  { name: "no capabilities is not privileged", spec: { process: {} }, privileged: false },
  { name: "no process is not privileged", spec: {}, privileged: false },
];
for (const c of privilegeCases) {
  test(`privilege: ${c.name}`, () => assert.equal(isPrivilegedSpec(c.spec), c.privileged));
}

test("a minimal spec gives empty inputs", () => {
  assert.deepEqual(requestInputFromOciSpec({ ociVersion: "1.0.2" }), { env: [], mounts: [], annotations: {}, privileged: false });
});

const badSpecs: { name: string; spec: unknown; place: string }[] = [
  { name: "a spec that is not an object", spec: [], place: "the OCI spec" },
  { name: "process that is a string", spec: { process: "x" }, place: "process" },
  { name: "env that is not a list of strings", spec: { process: { env: ["A=1", 2] } }, place: "process.env" },
  { name: "mounts that are not a list", spec: { mounts: {} }, place: "mounts" },
  { name: "a mount without destination", spec: { mounts: [{ source: "/x" }] }, place: "mounts[0].destination" },
  { name: "a mount with a numeric source", spec: { mounts: [{ destination: "/x", source: 1 }] }, place: "mounts[0].source" },
  { name: "annotations with a non-string value", spec: { annotations: { a: 1 } }, place: 'annotations["a"]' },
];
for (const c of badSpecs) {
  test(`malformed spec: ${c.name} is a bad-input error naming the place`, () => {
    assert.throws(() => requestInputFromOciSpec(c.spec, "/b/config.json"), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.equal(e.place, c.place);
      assert.equal(e.file, "/b/config.json");
      assert.equal(e.exitCode, ExitCode.badInput);
      return true;
    });
  });
}

const jsonErrors: { text: string; line: number; column: number; message: RegExp }[] = [
  { text: '{\n  "a": }', line: 2, column: 8, message: /expected a value/ },
  { text: '{\n  "a": 1,\n}', line: 3, column: 1, message: /expected a quoted key/ },
  { text: '{"a": 1 "b": 2}', line: 1, column: 9, message: /expected "," or "}"/ },
  { text: "[1, 2", line: 1, column: 6, message: /the end of the file/ },
  { text: '{"a": tru}', line: 1, column: 10, message: /expected "true"/ },
  { text: '{"a": "x\ny"}', line: 1, column: 9, message: /control character/ },
  { text: '{"a": "\\q"}', line: 1, column: 9, message: /bad escape/ },
  { text: "{} x", line: 1, column: 4, message: /after the JSON value/ },
  { text: "", line: 1, column: 1, message: /expected a value/ },
  { text: "{\n\n   'a': 1}", line: 3, column: 4, message: /expected a quoted key/ },
  { text: '{"a": 01}', line: 1, column: 8, message: /expected "," or "}"/ },
];
for (const c of jsonErrors) {
  test(`malformed JSON ${JSON.stringify(c.text)} is located at line ${c.line}, column ${c.column}`, () => {
    const p = findJsonSyntaxError(c.text);
    assert.ok(p);
    assert.deepEqual([p.line, p.column], [c.line, c.column]);
    assert.match(p.message, c.message);
    assert.throws(() => parseJsonWithPosition(c.text, "config.json"), (e: unknown) => e instanceof ActkError && e.line === c.line && e.column === c.column && e.file === "config.json");
  });
}

test("the JSON locator agrees with JSON.parse on what is valid", () => {
  fc.assert(
    fc.property(fc.oneof(fc.json(), fc.string(), fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1)))), (text) => {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      assert.equal(findJsonSyntaxError(text) === undefined, valid, text);
    }),
    { numRuns: 1000 },
  );
});

test("a bundle's config.json is read; a malformed one names file, line and column", () => {
  const dir = mkdtempSync(join(tmpdir(), "actk-bundle-"));
  try {
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec, null, 2));
    assert.equal(readBundleRequestInput(dir).privileged, true);
    writeFileSync(join(dir, "config.json"), '{\n  "process": {\n    "env": ["A=1",]\n  }\n}\n');
    assert.throws(() => readBundleRequestInput(dir), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.equal(e.file, join(dir, "config.json"));
      assert.deepEqual([e.line, e.column], [3, 19]);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a bundle without config.json is a host error naming the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "actk-bundle-"));
  try {
    assert.throws(() => readBundleRequestInput(dir), (e: unknown) => e instanceof ActkError && e.exitCode === ExitCode.host && e.file === join(dir, "config.json"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
