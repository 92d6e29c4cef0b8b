import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { ActkError } from "../core/errors.js";
import { silentLogger } from "../core/log.js";
import { HostRoot } from "../host/host-root.js";
import type { DeviceRequest, RequestInput } from "../request/types.js";
import { envMap } from "../request/types.js";
import type { Vendor } from "../vendors/vendor.js";
import type { PrepareOptions } from "./prepare.js";
import { cdiNames, prepareCreate } from "./prepare.js";
import { editedAnnotation } from "../apply/oci-spec.js";

/** ACME_VISIBLE_DEVICES=0|1: one char device per index, a control node and a library mount. */
const acme: Vendor = {
  id: "acme", cdiVendor: "acme.com", requestMarkers: ["ACME_VISIBLE_DEVICES"],
  parseRequests(input: RequestInput) {
    const v = envMap(input.env).get("ACME_VISIBLE_DEVICES");
    if (v === undefined) return { requests: [], errors: [] };
    if (!/^[01](,[01])*$/.test(v)) return { requests: [], errors: [`ACME_VISIBLE_DEVICES: "${v}" is not a device list`] };
    const request: DeviceRequest = { vendor: "acme", source: "env", devices: v.split(","), capabilities: [], requirements: [], migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [] };
    return { requests: [request], errors: [] };
  },
  discover: () => ({
    vendor: "acme", source: "fake", notes: [], controlNodes: [{ path: "/dev/acmectl", type: "c", major: 240, minor: 255 }],
    devices: [0, 1].map((i) => ({ vendor: "acme", kind: "acme.com/gpu", index: String(i), deviceNodes: [{ path: `/dev/acme${i}`, type: "c" as const, major: 240, minor: i }] })),
  }),
  select: (r, d) => d.devices.filter((x) => r.devices.includes(x.index)),
  checkRequirements: () => {},
  deviceEdits: (d) => ({ deviceNodes: d.deviceNodes }),
  commonEdits: (d) => ({ deviceNodes: d.controlNodes, mounts: [{ hostPath: "/usr/lib/libacme.so.1", containerPath: "/usr/lib/libacme.so.1", options: ["ro", "bind"] }] }),
  cdiDeviceNames: () => [],
};

function setup(t: TestContext, env: string[], extra: Record<string, unknown> = {}): { bundle: string; file: string; text: string; opts: PrepareOptions } {
  const bundle = mkdtempSync(path.join(tmpdir(), "actk-prepare-"));
  t.after(() => rmSync(bundle, { recursive: true, force: true }));
  const file = path.join(bundle, "config.json");
  const text = JSON.stringify({ ociVersion: "1.0.2", process: { env: ["PATH=/bin", ...env], args: ["true"] }, root: { path: "rootfs" }, ...extra }, null, "\t");
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  const opts: PrepareOptions = {
    bundle, mode: "jit", host: new HostRoot("/"), vendors: [acme], hookPath: "/usr/local/bin/actk-hook",
    hookEnv: ["PATH=/usr/bin:/bin"], logger: silentLogger, defaultKind: { acme: "acme.com/gpu" }, annotationPrefixes: ["cdi.k8s.io/"],
  };
  return { bundle, file, text, opts };
}

test("prepare leaves the bytes of a container without a request as they were", (t) => {
  for (const mode of ["jit", "legacy", "cdi", "auto"] as const) {
    const s = setup(t, ["HOME=/root"]);
    const r = prepareCreate({ ...s.opts, mode });
    assert.equal(r.changed, false, mode);
    assert.equal(readFileSync(s.file, "utf8"), s.text, mode);
  }
});

test("prepare in jit mode injects the requested device, keeps the file mode and marks the spec", (t) => {
  const s = setup(t, ["ACME_VISIBLE_DEVICES=1"]);
  const r = prepareCreate(s.opts);
  assert.deepEqual(r, { changed: true, mode: "jit" });
  const spec = JSON.parse(readFileSync(s.file, "utf8"));
  assert.deepEqual(spec.linux.devices.map((d: { path: string }) => d.path), ["/dev/acmectl", "/dev/acme1"]);
  assert.equal(spec.mounts[0].destination, "/usr/lib/libacme.so.1");
  assert.equal(spec.annotations[editedAnnotation], "jit");
  assert.equal(statSync(s.file).mode & 0o777, 0o600);
  // A second create over the same bundle (an engine retry) is a no-op.
  const again = readFileSync(s.file, "utf8");
  assert.equal(prepareCreate(s.opts).changed, false);
  assert.equal(readFileSync(s.file, "utf8"), again);
});

test("prepare in legacy mode adds only the prestart hook, with an explicit env and absolute path", (t) => {
  const s = setup(t, ["ACME_VISIBLE_DEVICES=0"]);
  prepareCreate({ ...s.opts, mode: "legacy" });
  const spec = JSON.parse(readFileSync(s.file, "utf8"));
  assert.deepEqual(spec.hooks, { prestart: [{ path: "/usr/local/bin/actk-hook", args: ["actk-hook", "prestart"], env: ["PATH=/usr/bin:/bin"] }] });
  assert.equal(spec.linux, undefined);
  assert.equal(spec.mounts, undefined);
});

const failures: { name: string; env: string[]; extra?: Record<string, unknown>; mode?: PrepareOptions["mode"]; text: RegExp }[] = [
  { name: "a malformed device list", env: ["ACME_VISIBLE_DEVICES=zero"], text: /ACME_VISIBLE_DEVICES: "zero" is not a device list; run `actk doctor` for a full diagnosis/ },
  { name: "a malformed device list in legacy mode", env: ["ACME_VISIBLE_DEVICES=zero"], mode: "legacy", text: /"zero" is not a device list/ },
  { name: "process.env of the wrong type", env: [], extra: { process: { env: "X=1" } }, text: /process.env must be an array of strings/ },
  { name: "cdi mode with a name no spec defines", env: ["ACME_VISIBLE_DEVICES=0"], mode: "cdi", text: /unresolvable CDI devices acme.com\/gpu=0/ },
];
for (const c of failures) {
  test(`prepare refuses ${c.name} and leaves config.json unchanged`, (t) => {
    const s = setup(t, c.env, c.extra);
    const opts: PrepareOptions = { ...s.opts, mode: c.mode ?? "jit" };
    if (c.mode === "cdi") opts.cdi = () => { throw new ActkError("unresolvable CDI devices acme.com/gpu=0"); };
    assert.throws(() => prepareCreate(opts), (e: unknown) => e instanceof ActkError && c.text.test(e.format()));
    assert.equal(readFileSync(s.file, "utf8"), s.text);
  });
}

test("prepare reports malformed JSON with the file name", (t) => {
  const s = setup(t, []);
  writeFileSync(s.file, "{ not json");
  assert.throws(() => prepareCreate(s.opts), (e: unknown) => e instanceof ActkError && e.file === s.file && /malformed JSON/.test(e.message));
  assert.equal(readFileSync(s.file, "utf8"), "{ not json");
});

test("cdi names: CDI requests as given, env ids under the vendor's default kind, de-duplicated", () => {
  const base = { capabilities: [], requirements: [], migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [] };
  assert.deepEqual(cdiNames([
    { ...base, vendor: "acme", source: "env", devices: ["0", "1"] },
    { ...base, vendor: "acme", source: "cdi", devices: [], cdiDevices: ["acme.com/gpu=1", "acme.com/gpu=all"] },
  ], { acme: "acme.com/gpu" }), ["acme.com/gpu=0", "acme.com/gpu=1", "acme.com/gpu=all"]);
});

test("prepare with deferCdi asks for the CDI library only when CDI devices are named, changing nothing until it has it", (t) => {
  const cases: { name: string; env: string[]; annotations?: Record<string, string>; mode: PrepareOptions["mode"]; needsCdi: boolean }[] = [
    { name: "an env request in jit mode", env: ["ACME_VISIBLE_DEVICES=0"], mode: "jit", needsCdi: false },
    { name: "no request in cdi mode", env: ["HOME=/root"], mode: "cdi", needsCdi: false },
    { name: "an env request in cdi mode", env: ["ACME_VISIBLE_DEVICES=0"], mode: "cdi", needsCdi: true },
    { name: "a CDI annotation in auto mode", env: [], annotations: { "cdi.k8s.io/x": "acme.com/gpu=1" }, mode: "auto", needsCdi: true },
    { name: "an env request in legacy mode", env: ["ACME_VISIBLE_DEVICES=0"], mode: "legacy", needsCdi: false },
  ];
  for (const c of cases) {
    const s = setup(t, c.env, c.annotations ? { annotations: c.annotations } : {});
    const r = prepareCreate({ ...s.opts, mode: c.mode, deferCdi: true });
    assert.equal(r.needsCdi === true, c.needsCdi, c.name);
    if (c.needsCdi) {
      assert.equal(readFileSync(s.file, "utf8"), s.text, c.name);
      const again = prepareCreate({ ...s.opts, mode: c.mode, deferCdi: true, cdi: () => ({ deviceNodes: [{ path: "/dev/acme1", type: "c", major: 240, minor: 1 }] }) });
      assert.equal(again.changed, true, c.name);
    }
  }
});
