import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { ActkError, ExitCode } from "../../core/errors.js";
import { HostRoot } from "../../host/host-root.js";
import type { DeviceRequest } from "../../request/types.js";
import { SimTree } from "../../sim/tree.js";
import { discoverAscend } from "./discover.js";
import {
  ascendCdiDeviceNames, ascendCommonEdits, ascendDeviceEdits, ascendOptions, checkAscendRequirements, selectAscend,
} from "./edits.js";
import { parseAscendRequests } from "./request.js";
import { simulateAscend } from "./simulate.js";

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
function simulated(options: Record<string, unknown>): { tree: SimTree; host: HostRoot } {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-ascend-edits-"));
  dirs.push(d);
  const tree = new SimTree(d, { realDeviceNodes: false });
  simulateAscend(tree, options);
  return { tree, host: new HostRoot(d) };
}
function request(devices: string[], options: string[] = []): DeviceRequest {
  return {
    vendor: "ascend", source: "env", devices, capabilities: [], requirements: [],
    migConfigDevices: null, migMonitorDevices: null, options, explanation: [],
  };
}

describe("ascendOptions", () => {
  const cases: [string[], { noDriver: boolean; virtual: boolean; mounts: string[] }][] = [
    [[], { noDriver: false, virtual: false, mounts: ["base"] }],
    [["NODRV"], { noDriver: true, virtual: false, mounts: ["base"] }],
    [["VIRTUAL", "mounts=base,extra"], { noDriver: false, virtual: true, mounts: ["base", "extra"] }],
    [["mounts=extra", "mounts=base", "mounts=extra"], { noDriver: false, virtual: false, mounts: ["extra", "base"] }],
  ];
  for (const [opts, want] of cases) test(`${JSON.stringify(opts)} → ${JSON.stringify(want)}`, () => assert.deepEqual(ascendOptions(opts), want));
});

describe("selectAscend", () => {
  const { host } = simulated({ count: 4, vnpus: [100, 101] });
  const disc = discoverAscend(host);
  const cases: [string, DeviceRequest, string[]][] = [
    ["indices in request order", request(["2", "0"]), ["2", "0"]],
    ["duplicates once", request(["1", "1"]), ["1"]],
    ["named forms the request parser may pass through", request(["Ascend910-3", "npu-1"]), ["3", "1"]],
    ["all physical NPUs for all", request(["all"]), ["0", "1", "2", "3"]],
    ["nothing for an empty list", request([]), []],
    ["vNPUs with VIRTUAL", request(["101"], ["VIRTUAL"]), ["101"]],
  ];
  for (const [what, req, want] of cases) {
    test(`selects ${what}`, () => assert.deepEqual(selectAscend(req, disc).map((d) => d.index), want));
  }

  test("an unknown NPU is an error listing the NPUs that exist", () => {
    assert.throws(() => selectAscend(request(["0", "9"]), disc), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.equal(e.exitCode, ExitCode.host, "the host lacks it, as for NVIDIA");
      assert.match(e.message, /unknown Ascend NPU 9; this host has NPUs: 0, 1, 2, 3/);
      return true;
    });
  });

  test("a vNPU id without VIRTUAL is unknown", () => {
    assert.throws(() => selectAscend(request(["100"]), disc), /unknown Ascend NPU 100/);
  });
});

describe("Ascend edits", () => {
  test("a device's edits are its own davinci node", () => {
    const { host } = simulated({ count: 2 });
    const disc = discoverAscend(host);
    const edits = ascendDeviceEdits(disc.devices[1]!);
    assert.deepEqual(edits.deviceNodes?.map((n) => [n.path, n.type, n.minor, n.fileMode]), [["/dev/davinci1", "c", 1, 0o660]]);
  });

  test("common edits: control nodes and base.list as read-only bind mounts", () => {
    const { host } = simulated({ count: 1 });
    const edits = ascendCommonEdits(discoverAscend(host), { options: [] });
    assert.deepEqual(edits.deviceNodes?.map((n) => n.path), ["/dev/davinci_manager", "/dev/devmm_svm", "/dev/hisi_hdc", "/dev/dvpp_cmdlist"]);
    assert.deepEqual(edits.mounts?.map((m) => m.containerPath), [
      "/usr/local/Ascend/driver/lib64", "/usr/local/Ascend/driver/include", "/usr/local/dcmi",
      "/usr/local/bin/npu-smi", "/var/queue_schedule", "/usr/local/Ascend/driver/topo",
    ]);
    for (const m of edits.mounts ?? []) {
      assert.deepEqual(m.options, ["ro", "nosuid", "nodev", "rbind", "rprivate"]);
      assert.equal(m.hostPath, path.join(host.root, m.containerPath));
    }
  });

  test("NODRV keeps the control nodes and drops every driver mount", () => {
    const { host } = simulated({ count: 1 });
    const edits = ascendCommonEdits(discoverAscend(host), { options: ["NODRV"] });
    assert.equal(edits.deviceNodes?.length, 4);
    assert.equal(edits.mounts, undefined);
  });

  test("a second list adds its entries once; missing entries are skipped", () => {
    const { tree, host } = simulated({ count: 1 });
    tree.writeFile("/etc/ascend-docker-runtime.d/extra.list", "/usr/local/dcmi\n/etc/hdcBasic.cfg\n/opt/not-installed\n");
    const edits = ascendCommonEdits(discoverAscend(host), { options: ["mounts=base,extra"] });
    const paths = edits.mounts?.map((m) => m.containerPath) ?? [];
    assert.equal(paths.filter((p) => p === "/usr/local/dcmi").length, 1);
    assert.ok(paths.includes("/etc/hdcBasic.cfg"));
    assert.ok(!paths.includes("/opt/not-installed"));
  });

  test("a symlinked entry mounts the resolved file at the listed path", () => {
    const { tree, host } = simulated({ count: 1 });
    tree.writeFile("/usr/local/Ascend/driver/tools/npu-smi", "#!/bin/sh\n", 0o755);
    tree.symlink("/usr/local/Ascend/driver/tools/npu-smi", "/usr/local/bin/npu-smi");
    const m = ascendCommonEdits(discoverAscend(host), { options: [] }).mounts?.find((x) => x.containerPath === "/usr/local/bin/npu-smi");
    assert.equal(m?.hostPath, path.join(host.root, "/usr/local/Ascend/driver/tools/npu-smi"));
  });

  const listErrors: [string, string[], (tree: SimTree) => void, RegExp, number][] = [
    ["a list that does not exist", ["mounts=nope"], () => undefined, /mount list "nope" does not exist/, ExitCode.host],
    ["a list name that escapes the directory", ["mounts=../../etc/passwd"], () => undefined, /not a mount list name/, ExitCode.badInput],
    ["a list with a hostile entry", ["mounts=evil"],
      (t) => { t.symlink("../../../../../../root", "/opt/x"); t.writeFile("/etc/ascend-docker-runtime.d/evil.list", "/opt/x\n"); },
      /outside the host root/, ExitCode.badInput],
  ];
  for (const [what, options, prepare, message, code] of listErrors) {
    test(`${what} is an ActkError`, () => {
      const { tree, host } = simulated({ count: 1 });
      prepare(tree);
      const disc = discoverAscend(host);
      assert.throws(() => ascendCommonEdits(disc, { options }), (e: unknown) => {
        assert.ok(e instanceof ActkError);
        assert.match(e.message, message);
        assert.equal(e.exitCode, code);
        return true;
      });
    });
  }

  // Names of Object.prototype's keys must not find them (a TypeError, "list.entries is not iterable", before).
  const prototypeKeys: [string, RegExp, number][] = [
    ["constructor", /mount list "constructor" does not exist/, ExitCode.host],
    ["toString", /mount list "toString" does not exist/, ExitCode.host],
    ["hasOwnProperty", /mount list "hasOwnProperty" does not exist/, ExitCode.host],
    ["__proto__", /"__proto__" is not a mount list name/, ExitCode.badInput],
  ];
  for (const [name, message, code] of prototypeKeys) {
    test(`mount list ${name} is the usual one-line ActkError, not Object.prototype's ${name}`, () => {
      const { host } = simulated({ count: 1 });
      const disc = discoverAscend(host);
      assert.throws(() => ascendCommonEdits(disc, { options: [`mounts=${name}`] }), (e: unknown) => {
        assert.ok(e instanceof ActkError, String(e));
        assert.match(e.message, message);
        assert.equal(e.exitCode, code);
        return true;
      });
    });
  }

  test("ASCEND_RUNTIME_MOUNTS=constructor from the container reaches the edits as an unknown list", () => {
    const { host } = simulated({ count: 1 });
    const parsed = parseAscendRequests({ env: ["ASCEND_VISIBLE_DEVICES=0", "ASCEND_RUNTIME_MOUNTS=constructor"], mounts: [], annotations: {}, privileged: false });
    const req = parsed.requests[0];
    assert.ok(req, JSON.stringify(parsed));
    assert.throws(() => ascendCommonEdits(discoverAscend(host), req), (e: unknown) =>
      e instanceof ActkError && /mount list "constructor" does not exist/.test(e.message));
  });

  test("a host list file named __proto__.list is an own list, not the lists' prototype", () => {
    const { tree, host } = simulated({ count: 1 });
    tree.writeFile("/etc/ascend-docker-runtime.d/__proto__.list", "/usr/local/dcmi\n");
    const lists = discoverAscend(host).mountLists;
    assert.ok(Object.hasOwn(lists, "__proto__"));
    assert.ok(Object.hasOwn(lists, "base"));
  });

  test("CDI names: index always, chip-index for type-index", () => {
    const { host } = simulated({ count: 1 });
    const dev = discoverAscend(host).devices[0]!;
    assert.deepEqual(ascendCdiDeviceNames(dev, "index"), ["0"]);
    assert.deepEqual(ascendCdiDeviceNames(dev, "type-index"), ["Ascend910B-0"]);
    assert.deepEqual(ascendCdiDeviceNames(dev, "uuid"), []);
  });
});

describe("checkAscendRequirements", () => {
  const { host } = simulated({ count: 1, chip: "Ascend910B" });
  const disc = discoverAscend(host);
  const ok: string[][] = [[], ["mounts=base"], ["deviceType=Ascend910"], ["allowLink=True"]];
  for (const options of ok) {
    test(`${JSON.stringify(options)} is met by a 910B host`, () => assert.doesNotThrow(() => checkAscendRequirements({ options }, disc)));
  }
  const bad: [string[], RegExp, number][] = [
    [["deviceType=Ascend310P"], /names Ascend310P devices but this host's NPUs are Ascend910B/, ExitCode.failed],
    [["vnpu=vir04"], /needs Huawei's DCMI/, ExitCode.host],
  ];
  for (const [options, message, code] of bad) {
    test(`${JSON.stringify(options)} is refused with a fix`, () => {
      assert.throws(() => checkAscendRequirements({ options }, disc), (e: unknown) =>
        e instanceof ActkError && message.test(e.message) && e.exitCode === code && e.fix !== undefined);
    });
  }
});
