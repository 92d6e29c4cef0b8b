import { test } from "node:test";
import assert from "node:assert/strict";
import { ActkError } from "../core/errors.js";
import type { LoadedSpec } from "../cdi/load.js";
import { cdiDeviceEdits } from "./cdi-inject.js";

const spec = (priority: number, env: string, devices: string[]): LoadedSpec => ({
  file: `/etc/cdi/${priority}.json`, priority, format: "json", deviceLines: [],
  spec: {
    cdiVersion: "0.5.0", kind: "acme.com/gpu", containerEdits: { env: [`COMMON=${env}`] },
    devices: devices.map((d) => ({ name: d, containerEdits: { deviceNodes: [{ path: `/dev/acme${d}-${env}` }] } })),
  },
});

test("cdi inject: top-level edits once per spec, then each device's, in request order", () => {
  const e = cdiDeviceEdits(["acme.com/gpu=1", "acme.com/gpu=0"], [spec(0, "a", ["0", "1"])], { specDirs: ["/etc/cdi"] });
  assert.deepEqual(e, { env: ["COMMON=a"], deviceNodes: [{ path: "/dev/acme1-a" }, { path: "/dev/acme0-a" }] });
});

test("cdi inject: a device defined in two spec dirs comes from the later (higher-priority) one", () => {
  const e = cdiDeviceEdits(["acme.com/gpu=0"], [spec(1, "run", ["0"]), spec(0, "etc", ["0"])], { specDirs: ["/etc/cdi", "/var/run/cdi"] });
  assert.deepEqual(e.env, ["COMMON=run"]);
});

test("cdi inject: every unresolvable name is listed and nothing is returned", () => {
  assert.throws(
    () => cdiDeviceEdits(["acme.com/gpu=0", "acme.com/gpu=7", "other.com/x=1"], [spec(0, "a", ["0"])], { specDirs: ["/etc/cdi"] }),
    (e: unknown) => e instanceof ActkError && /unresolvable CDI devices acme.com\/gpu=7, other.com\/x=1/.test(e.message) && /\/etc\/cdi/.test(e.fix ?? ""),
  );
});

test("cdi inject: an unqualified name is bad input", () => {
  assert.throws(() => cdiDeviceEdits(["gpu0"], [], { specDirs: [] }), (e: unknown) => e instanceof ActkError && e.exitCode === 3);
});
