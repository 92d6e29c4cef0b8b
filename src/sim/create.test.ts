import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { parseLdCache } from "../host/ldcache.js";
import { parseProcDevices } from "../host/proc-devices.js";
import { simCommand } from "../cli/commands/sim.js";
import { createSimHost, parseVendorOptions, SIM_MARKER, vendorsFor } from "./create.js";
import { simProfiles } from "./profiles.js";

function tempDir(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-simc-"));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test("the profile table has every profile, each naming its vendors", () => {
  assert.deepEqual(simProfiles.map((p) => [p.name, p.vendors.map((v) => v.id)]), [
    ["dgx-h100", ["nvidia"]], ["ascend-910b", ["ascend"]], ["amd-mi300", ["amd"]], ["mixed", ["nvidia", "ascend"]], ["jetson-orin", ["nvidia"]], ["empty", []],
  ]);
});

test("the empty profile writes the common parts: /proc/devices with common majors, ld.so.conf and an empty cache", (t) => {
  const root = path.join(tempDir(t), "h");
  const r = createSimHost({ profile: "empty", dir: root, realDeviceNodes: false });
  assert.deepEqual(r.vendors, []);
  const devs = parseProcDevices(fs.readFileSync(path.join(root, "proc/devices"), "utf8"));
  assert.equal(devs.char.get("mem"), 1);
  assert.equal(devs.char.get("/dev/vc/0"), 4);
  assert.equal(devs.char.get("drm"), 226);
  assert.equal(devs.block.get("sd"), 8);
  assert.match(fs.readFileSync(path.join(root, "etc/ld.so.conf"), "utf8"), /include \/etc\/ld\.so\.conf\.d\/\*\.conf/);
  assert.deepEqual(parseLdCache(fs.readFileSync(path.join(root, "etc/ld.so.cache"))).entries, []);
  assert.ok(fs.existsSync(path.join(root, SIM_MARKER)));
});

test("the dgx-h100 cache indexes every driver library in ld.so.conf directories under its SONAME", (t) => {
  const root = path.join(tempDir(t), "h");
  const r = createSimHost({ profile: "dgx-h100", dir: root, realDeviceNodes: false });
  const cache = parseLdCache(fs.readFileSync(path.join(root, "etc/ld.so.cache")));
  const keys = cache.entries.map((e) => e.key);
  assert.ok(keys.includes("libcuda.so.1") && keys.includes("libnvidia-glcore.so.550.54.15"));
  assert.ok(!keys.includes("libvdpau_nvidia.so.1"), "vdpau/ is not an ld.so.conf directory");
  assert.equal(cache.entries.length, r.libraries.length - 1);
  for (const e of cache.entries) assert.ok(fs.existsSync(path.join(root, e.value)), e.value);
});

test("creating into a non-empty directory is refused and changes nothing", (t) => {
  const root = tempDir(t);
  fs.writeFileSync(path.join(root, "keep"), "x");
  assert.throws(() => createSimHost({ profile: "empty", dir: root }), (e: unknown) =>
    e instanceof ActkError && e.exitCode === ExitCode.usage && /not empty/.test(e.message) && /--force/.test(e.fix ?? ""));
  assert.throws(() => createSimHost({ profile: "empty", dir: root, force: true }), /not made by `actk sim create`/);
  assert.deepEqual(fs.readdirSync(root), ["keep"]);
});

test("--force replaces a tree made by sim create", (t) => {
  const root = path.join(tempDir(t), "h");
  createSimHost({ profile: "dgx-h100", dir: root, realDeviceNodes: false });
  createSimHost({ profile: "empty", dir: root, force: true, realDeviceNodes: false });
  assert.equal(fs.existsSync(path.join(root, "proc/driver/nvidia")), false);
});

test("an unknown profile is a usage error listing the profiles", (t) => {
  const root = path.join(tempDir(t), "h");
  assert.throws(() => createSimHost({ profile: "dgx-b200", dir: root }), (e: unknown) =>
    e instanceof ActkError && e.exitCode === ExitCode.usage && /dgx-h100, ascend-910b/.test(e.fix ?? ""));
  assert.equal(fs.existsSync(root), false);
});

test("a profile naming a vendor that is not registered fails with an error naming the vendor", (t) => {
  const root = tempDir(t);
  assert.throws(() => vendorsFor({ name: "future", summary: "", vendors: [{ id: "intel", options: {} }] }, root), (e: unknown) =>
    e instanceof ActkError && e.exitCode === ExitCode.host && /needs vendor intel, which is not registered/.test(e.message));
});

test("--option overrides a vendor option of the profile (count, driver version, MIG layout)", (t) => {
  const root = path.join(tempDir(t), "h");
  const vendorOptions = parseVendorOptions(["nvidia.count=2", "nvidia.driverVersion=535.161.07", "nvidia.mig={}"]);
  assert.deepEqual(vendorOptions, { nvidia: { count: 2, driverVersion: "535.161.07", mig: {} } });
  createSimHost({ profile: "dgx-h100", dir: root, realDeviceNodes: false, vendorOptions });
  assert.deepEqual(fs.readdirSync(path.join(root, "proc/driver/nvidia/gpus")), ["0000:18:00.0", "0000:2a:00.0"]);
  assert.ok(fs.existsSync(path.join(root, "usr/lib/x86_64-linux-gnu/libcuda.so.535.161.07")));
  assert.deepEqual(fs.readdirSync(path.join(root, "proc/driver/nvidia/capabilities/gpu0/mig")), []);
});

test("a bad vendor option fails before DIR exists and leaves no staging directory behind", (t) => {
  const parent = tempDir(t);
  const root = path.join(parent, "h");
  for (const [items, pattern] of [
    [["nvidia.count=1"], /MIG layout names GPU 1/],
    [["nvidia.count=99"], /count must be an integer from 0 to 8/],
    [["ascend.count=1"], /profile dgx-h100 does not have/],
    [["nvidia.bogus=1"], /unknown option \(nvidia takes count, model, driverVersion, mig, /],
    [["count=1"], /bad option/],
  ] as const) {
    assert.throws(() => createSimHost({ profile: "dgx-h100", dir: root, realDeviceNodes: false, vendorOptions: parseVendorOptions(items) }), pattern);
    assert.deepEqual(fs.readdirSync(parent), [], items.join(" "));
  }
});

test("--option with a key the vendor does not take is a usage error naming the key and that vendor's keys, and creates nothing", (t) => {
  const parent = tempDir(t);
  const root = path.join(parent, "h");
  const cases: [string, string, string][] = [
    ["dgx-h100", "nvidia.bogus=1", "--option nvidia.bogus: unknown option (nvidia takes count, model, driverVersion, mig, imexChannels, extras, compat32, tegra)"],
    ["mixed", "ascend.model=x", "--option ascend.model: unknown option (ascend takes count, chip, vnpus, driverVersion)"],
    ["amd-mi300", "amd.driverVersion=6.10.5", "--option amd.driverVersion: unknown option (amd takes count)"],
    // Keys of Object.prototype are keys like any other.
    ["dgx-h100", "nvidia.constructor=1", "--option nvidia.constructor: unknown option (nvidia takes "],
    ["dgx-h100", 'nvidia.__proto__={"count":2}', "--option nvidia.__proto__: unknown option (nvidia takes "],
  ];
  for (const [profile, item, start] of cases) {
    assert.throws(() => createSimHost({ profile, dir: root, realDeviceNodes: false, vendorOptions: parseVendorOptions([item]) }), (e: unknown) => {
      assert.ok(e instanceof ActkError, String(e));
      assert.equal(e.exitCode, ExitCode.usage);
      assert.ok(e.format().startsWith(start), e.format());
      assert.doesNotMatch(e.format(), /\n/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(parent), [], item);
  }
});

test("--option constructor.KEY is an own vendor name (refused as a vendor the profile lacks), and Object is left alone", (t) => {
  const vendorOptions = parseVendorOptions(["constructor.count=1", "nvidia.__proto__={\"count\":2}"]);
  assert.ok(Object.hasOwn(vendorOptions, "constructor"));
  assert.ok(Object.hasOwn(vendorOptions.nvidia ?? {}, "__proto__"));
  assert.equal((vendorOptions.nvidia as { count?: unknown }).count, undefined, "no inherited count");
  assert.equal((Object as unknown as Record<string, unknown>).count, undefined);
  assert.throws(() => createSimHost({ profile: "dgx-h100", dir: path.join(tempDir(t), "h"), realDeviceNodes: false, vendorOptions }),
    /names vendor constructor, which profile dgx-h100 does not have/);
});

test("every profile's vendor options are keys its vendor takes, and the --option help lists them all", (t) => {
  const help = simCommand.subcommands?.find((c) => c.name === "create")?.options?.option?.description ?? "";
  for (const profile of simProfiles) {
    for (const { vendor, options } of vendorsFor(profile, tempDir(t))) {
      const known = vendor.simulateOptions ?? [];
      assert.ok(known.length > 0, `${vendor.id} declares its options`);
      for (const key of Object.keys(options)) assert.ok(known.includes(key), `${profile.name}: ${vendor.id}.${key}`);
      assert.ok(help.includes(`${vendor.id}: ${known.join(", ")}`), `help lists ${vendor.id}'s keys: ${help}`);
    }
  }
});
