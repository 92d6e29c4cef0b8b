import { test } from "node:test";
import assert from "node:assert/strict";
import { ActkError } from "../core/errors.js";
import type { DeviceRequest, RequestInput } from "../request/types.js";
import { envMap } from "../request/types.js";
import type { Discovery, Vendor, VendorDevice } from "../vendors/vendor.js";
import { doctorHint, requireResolved, resolveContainerEdits } from "./resolve.js";

/** A small in-memory vendor: FAKE_VISIBLE_DEVICES=0,1|all, FAKE_REQUIRE=ok|fail. */
function fakeVendor(id: string, count: number, calls = { discover: 0 }): Vendor {
  const devices: VendorDevice[] = Array.from({ length: count }, (_, i) => ({
    vendor: id, kind: `${id}.com/dev`, index: String(i),
    deviceNodes: [{ path: `/dev/${id}${i}`, type: "c", major: 195, minor: i }],
  }));
  const envName = `${id.toUpperCase()}_VISIBLE_DEVICES`;
  return {
    id, cdiVendor: `${id}.com`, requestMarkers: [envName],
    parseRequests(input: RequestInput) {
      const env = envMap(input.env);
      const value = env.get(envName);
      if (value === undefined) return { requests: [], errors: [] };
      if (!/^(all|\d+(,\d+)*)$/.test(value)) return { requests: [], errors: [`${envName}: "${value}" is not a device list`] };
      const request: DeviceRequest = {
        vendor: id, source: "env", devices: value.split(","), capabilities: (env.get("CAPS") ?? "").split(",").filter(Boolean),
        requirements: env.has("FAKE_REQUIRE") ? [env.get("FAKE_REQUIRE") as string] : [], migConfigDevices: null,
        migMonitorDevices: null, options: [], explanation: [],
      };
      return { requests: [request], errors: [] };
    },
    discover(): Discovery {
      calls.discover++;
      return { vendor: id, source: "fake", devices, controlNodes: [{ path: `/dev/${id}ctl`, type: "c", major: 195, minor: 255 }], notes: [] };
    },
    select(request, discovery) {
      if (request.devices[0] === "all") return discovery.devices;
      return request.devices.map((d) => {
        const found = discovery.devices.find((x) => x.index === d);
        if (!found) throw new ActkError(`unknown device ${d}; devices are 0-${count - 1}`, { place: envName });
        return found;
      });
    },
    checkRequirements(request) {
      if (request.requirements.includes("fail")) throw new ActkError("requirement fail is not met", { place: "FAKE_REQUIRE" });
    },
    deviceEdits(device) {
      return { deviceNodes: device.deviceNodes, env: [`${id.toUpperCase()}_DEVICE_${device.index}=1`] };
    },
    commonEdits(discovery, request, opts) {
      return {
        deviceNodes: discovery.controlNodes,
        env: [`${id.toUpperCase()}_CAPS=${request.capabilities.join(",")}`],
        hooks: [{ hookName: "createContainer", path: opts.hookPath, args: ["actk-hook", "update-ldcache"] }],
      };
    },
    cdiDeviceNames: () => [],
  };
}

const input = (env: string[]): RequestInput => ({ env, mounts: [], annotations: {}, privileged: false });

test("resolve merges common edits once per vendor and device edits once per device, in request order", () => {
  const calls = { discover: 0 };
  const r = resolveContainerEdits(input(["ACME_VISIBLE_DEVICES=1,0,1", "CAPS=compute"]), [fakeVendor("acme", 2, calls)], { hookPath: "/usr/bin/actk-hook" });
  assert.deepEqual(r.errors, []);
  assert.equal(calls.discover, 1);
  assert.deepEqual(r.edits.env, ["ACME_CAPS=compute", "ACME_DEVICE_1=1", "ACME_DEVICE_0=1"]);
  assert.deepEqual(r.edits.deviceNodes?.map((n) => n.path), ["/dev/acmectl", "/dev/acme1", "/dev/acme0"]);
  assert.equal(r.edits.hooks?.length, 1);
  assert.deepEqual(r.requests[0]?.devices.map((d) => d.index), ["1", "0", "1"]);
});

test("resolve without any request gives no edits and never discovers", () => {
  const calls = { discover: 0 };
  const r = resolveContainerEdits(input(["PATH=/bin"]), [fakeVendor("acme", 2, calls)], { hookPath: "/h" });
  assert.deepEqual(r, { requests: [], edits: {}, errors: [], discoveries: new Map() });
  assert.equal(calls.discover, 0);
});

test("resolve handles two vendors, each discovered once", () => {
  const r = resolveContainerEdits(input(["ACME_VISIBLE_DEVICES=all", "ZETA_VISIBLE_DEVICES=0"]), [fakeVendor("acme", 2), fakeVendor("zeta", 1)], { hookPath: "/h" });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.edits.deviceNodes?.map((n) => n.path), ["/dev/acmectl", "/dev/acme0", "/dev/acme1", "/dev/zetactl", "/dev/zeta0"]);
  assert.deepEqual([...r.discoveries.keys()], ["acme", "zeta"]);
});

const errorCases: { name: string; env: string[]; place: string | undefined; text: RegExp }[] = [
  { name: "a malformed device list names the variable", env: ["ACME_VISIBLE_DEVICES=zero"], place: "ACME_VISIBLE_DEVICES", text: /"zero" is not a device list/ },
  { name: "an unknown device names the variable and the devices that exist", env: ["ACME_VISIBLE_DEVICES=7"], place: "ACME_VISIBLE_DEVICES", text: /unknown device 7; devices are 0-1/ },
  { name: "an unmet requirement names its variable", env: ["ACME_VISIBLE_DEVICES=0", "FAKE_REQUIRE=fail"], place: "FAKE_REQUIRE", text: /requirement fail is not met/ },
];
for (const c of errorCases) {
  test(`resolve error: ${c.name} and ends with the doctor hint`, () => {
    const r = resolveContainerEdits(input(c.env), [fakeVendor("acme", 2)], { hookPath: "/h" });
    assert.equal(r.errors.length, 1);
    const e = r.errors[0] as ActkError;
    assert.match(e.format(), c.text);
    if (c.place) assert.match(e.format(), new RegExp(c.place));
    assert.ok(e.message.endsWith(doctorHint), e.message);
    assert.throws(() => requireResolved(r), (x: unknown) => x === e);
  });
}

test("requireResolved reports how many more problems there were and still ends with the hint", () => {
  const r = resolveContainerEdits(input(["ACME_VISIBLE_DEVICES=9", "ZETA_VISIBLE_DEVICES=x"]), [fakeVendor("acme", 1), fakeVendor("zeta", 1)], { hookPath: "/h" });
  assert.equal(r.errors.length, 2);
  assert.throws(() => requireResolved(r), (e: unknown) => e instanceof ActkError && /\(and 1 more problem\); run `actk doctor`/.test(e.message));
});

test("an extra request for a vendor that is not available is an error", () => {
  const extra: DeviceRequest = { vendor: "nope", source: "cdi", devices: ["0"], capabilities: [], requirements: [], migConfigDevices: null, migMonitorDevices: null, options: [], explanation: [] };
  const r = resolveContainerEdits(input([]), [fakeVendor("acme", 1)], { hookPath: "/h", extraRequests: [extra] });
  assert.match(r.errors[0]?.message ?? "", /no nope vendor plugin/);
});

test("requests naming CDI devices (annotations) go to the CDI injector, the others to their vendor", () => {
  const seen: string[][] = [];
  const r = resolveContainerEdits(
    { env: ["ZETA_VISIBLE_DEVICES=0"], mounts: [], annotations: { "cdi.k8s.io/test": "acme.com/dev=1" }, privileged: false },
    [fakeVendor("acme", 2), fakeVendor("zeta", 1)],
    { hookPath: "/h", cdi: (names) => { seen.push([...names]); return { env: ["FROM_CDI=1"] }; } },
  );
  assert.deepEqual(r.errors, []);
  assert.deepEqual(seen, [["acme.com/dev=1"]]);
  assert.ok(r.edits.env?.includes("FROM_CDI=1"));
  assert.deepEqual(r.edits.deviceNodes?.map((n) => n.path), ["/dev/zetactl", "/dev/zeta0"]);
});
