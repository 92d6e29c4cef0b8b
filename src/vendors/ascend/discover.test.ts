import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { HostRoot } from "../../host/host-root.js";
import { SimTree } from "../../sim/tree.js";
import { discoverAscend, parseVersionInfo } from "./discover.js";
import { simMajors, simulateAscend } from "./simulate.js";

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
function simulated(options: Record<string, unknown>): { tree: SimTree; host: HostRoot } {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-ascend-disc-"));
  dirs.push(d);
  const tree = new SimTree(d, { realDeviceNodes: false });
  simulateAscend(tree, options);
  return { tree, host: new HostRoot(d) };
}

describe("discoverAscend on simulated hosts", () => {
  const chipsSeen: [string, Record<string, unknown>, string | undefined, number][] = [
    ["an 8-NPU Atlas 800T A2 (910B)", { count: 8, chip: "Ascend910B" }, "Ascend910B", 8],
    ["a 4-NPU 310P card host", { count: 4, chip: "Ascend310P" }, "Ascend310P", 4],
    ["a 310B SoC (no PCI ids: chip unknown)", { count: 1, chip: "Ascend310B" }, undefined, 1],
  ];
  for (const [what, options, chip, count] of chipsSeen) {
    test(`finds every NPU of ${what}`, () => {
      const { host } = simulated(options);
      const d = discoverAscend(host);
      assert.equal(d.devices.length, count);
      assert.deepEqual(d.devices.map((x) => x.index), Array.from({ length: count }, (_, i) => String(i)));
      assert.equal(d.chip, chip);
      assert.equal(d.driverVersion, "24.1.rc2");
      const n0 = d.devices[0]?.deviceNodes[0];
      assert.equal(n0?.path, "/dev/davinci0");
      assert.equal(n0?.major, simMajors.davinci);
      assert.equal(n0?.minor, 0);
      assert.equal(n0?.type, "c");
      assert.equal(n0?.hostPath, path.join(host.root, "/dev/davinci0"));
    });
  }

  test("reports the control nodes a 910B container needs", () => {
    const d = discoverAscend(simulated({ count: 2 }).host);
    assert.deepEqual(d.controlNodes.map((n) => n.path), ["/dev/davinci_manager", "/dev/devmm_svm", "/dev/hisi_hdc", "/dev/dvpp_cmdlist"]);
  });

  test("orders NPUs numerically, not as strings", () => {
    const d = discoverAscend(simulated({ count: 12 }).host);
    assert.deepEqual(d.devices.map((x) => x.index).slice(0, 3), ["0", "1", "2"]);
    assert.equal(d.devices.at(-1)?.index, "11");
  });

  test("vNPUs are devices of their own, mapped to /dev/davinci<N> in the container", () => {
    const d = discoverAscend(simulated({ count: 1, vnpus: [100] }).host);
    const v = d.devices.find((x) => x.details?.virtual === true);
    assert.equal(v?.index, "100");
    assert.equal(v?.deviceNodes[0]?.path, "/dev/davinci100");
    assert.equal(v?.deviceNodes[0]?.major, simMajors.vdavinci);
  });

  test("reads the installed mount lists", () => {
    const d = discoverAscend(simulated({ count: 1 }).host);
    const base = d.mountLists.base;
    assert.ok(base && "entries" in base);
    assert.deepEqual(base.entries.map((e) => [e.path, e.exists]), [
      ["/usr/local/Ascend/driver/lib64", true],
      ["/usr/local/Ascend/driver/include", true],
      ["/usr/local/dcmi", true],
      ["/usr/local/bin/npu-smi", true],
      ["/var/queue_schedule", true],
    ]);
    assert.deepEqual(d.optionalMounts.map((e) => e.path), ["/usr/local/Ascend/driver/topo"]);
  });

  test("keeps a broken list's error instead of failing discovery", () => {
    const { tree, host } = simulated({ count: 1 });
    tree.writeFile("/etc/ascend-docker-runtime.d/bad.list", "relative/path\n");
    const d = discoverAscend(host);
    const bad = d.mountLists.bad;
    assert.ok(bad && "error" in bad);
    assert.equal(bad.error.line, 1);
    assert.match(d.notes.join(" "), /mount list bad cannot be used.*line 1/);
  });

  test("a host without Ascend gives no devices and a note, never an error", () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-ascend-none-"));
    dirs.push(d);
    const disc = discoverAscend(new HostRoot(d));
    assert.deepEqual(disc.devices, []);
    assert.deepEqual(disc.controlNodes, []);
    assert.match(disc.notes.join(" "), /no \/dev\/davinci/);
  });

  test("ignores a davinci path that is not a device node, with a note", () => {
    const { tree, host } = simulated({ count: 1 });
    tree.mkdir("/dev/davinci7");
    const d = discoverAscend(host);
    assert.deepEqual(d.devices.map((x) => x.index), ["0"]);
    assert.match(d.notes.join(" "), /davinci7 is a directory/);
  });
});

describe("parseVersionInfo", () => {
  const cases: [string, string | undefined][] = [
    ["Version=24.1.rc2\nascendhal_version=7.35.19\n", "24.1.rc2"],
    ["version=25.2.3\n", "25.2.3"],
    ["ascendhal_version=7.35.19\n", undefined],
    ["", undefined],
  ];
  for (const [text, want] of cases) test(`${JSON.stringify(text)} → ${want}`, () => assert.equal(parseVersionInfo(text), want));
});
