import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { ActkError, ExitCode } from "../../core/errors.js";
import { HostRoot } from "../../host/host-root.js";
import { SimTree } from "../../sim/tree.js";
import { csvEdits, csvFiles, csvMountSpecDir, parseCsvMountList } from "./csv.js";

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
const lib = "/usr/lib/aarch64-linux-gnu/tegra";

/** A small Jetson (L4T r36) host: nvhost nodes, tegra libraries and the BSP's CSV files. */
function jetson(): { tree: SimTree; host: HostRoot } {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-csv-"));
  dirs.push(d);
  const tree = new SimTree(d, { realDeviceNodes: false });
  tree.charDevice({ path: "/dev/nvhost-ctrl", major: 508, minor: 0, mode: 0o666 });
  tree.charDevice({ path: "/dev/nvmap", major: 10, minor: 123, mode: 0o666 });
  tree.sharedLibrary(`${lib}/libcuda.so.1.1`, "libcuda.so.1", { devLink: "libcuda.so" });
  tree.mkdir("/usr/lib/aarch64-linux-gnu/tegra-egl");
  tree.writeFile(`${csvMountSpecDir}/devices.csv`, "# devices\ndev, /dev/nvhost-ctrl\ndev, /dev/nvmap\ndev, /dev/nvhost-nvdla0\n");
  tree.writeFile(`${csvMountSpecDir}/drivers.csv`,
    `lib, ${lib}/libcuda.so.1.1\nsym, ${lib}/libcuda.so\n\ndir, /usr/lib/aarch64-linux-gnu/tegra-egl\n`);
  tree.writeFile(`${csvMountSpecDir}/l4t.csv`, `sym, ${lib}/libcuda.so.1\n`);
  tree.writeFile(`${csvMountSpecDir}/extra.csv`, "lib, /opt/extra.so\n");
  return { tree, host: new HostRoot(d) };
}

describe("parseCsvMountList", () => {
  test("reads every entry type, trimming spaces and skipping comments", () => {
    const text = "# Jetson\ndev, /dev/nvhost-ctrl\n LIB ,/usr/lib/libnvrm.so\n\nsym, /usr/lib/libcuda.so\ndir, /usr/share/nvidia\n";
    assert.deepEqual(parseCsvMountList(text, "l4t.csv"), [
      { type: "dev", path: "/dev/nvhost-ctrl", line: 2 },
      { type: "lib", path: "/usr/lib/libnvrm.so", line: 3 },
      { type: "sym", path: "/usr/lib/libcuda.so", line: 5 },
      { type: "dir", path: "/usr/share/nvidia", line: 6 },
    ]);
  });
  const bad: [string, string, number, RegExp][] = [
    ["a line without a comma", "dev /dev/nvmap\n", 1, /is not "<type>, <path>"/],
    ["an unknown type", "lib, /a\nfile, /usr/lib/x\n", 2, /unknown entry type "file"/],
    ["a relative path", "lib, usr/lib/x.so\n", 1, /not an absolute path/],
    ["a .. component", "dir, /usr/lib/../../etc\n", 1, /contains "\.\."/],
    ["two paths", "lib, /a, /b\n", 1, /more than one comma/],
    ["a glob in a directory", "lib, /usr/*/x.so\n", 1, /directory component/],
  ];
  for (const [what, text, line, message] of bad) {
    test(`rejects ${what} with file and line`, () => {
      assert.throws(() => parseCsvMountList(text, "drivers.csv"), (e: unknown) => {
        assert.ok(e instanceof ActkError);
        assert.equal(e.file, "drivers.csv");
        assert.equal(e.line, line);
        assert.equal(e.exitCode, ExitCode.badInput);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});

describe("csvEdits on a simulated Jetson", () => {
  test("dev entries become device nodes with the host's numbers; missing ones are noted", () => {
    const { host } = jetson();
    const notes: string[] = [];
    const e = csvEdits(host, [`${csvMountSpecDir}/devices.csv`], notes);
    assert.deepEqual(e.deviceNodes?.map((n) => [n.path, n.type, n.major, n.minor]), [
      ["/dev/nvhost-ctrl", "c", 508, 0], ["/dev/nvmap", "c", 10, 123],
    ]);
    assert.equal(e.deviceNodes?.[0]?.hostPath, path.join(host.root, "/dev/nvhost-ctrl"));
    assert.match(notes.join(" "), /nvhost-nvdla0.*line 4.*does not exist/);
  });

  test("lib and dir are read-only bind mounts; sym mounts the link's resolved target at the link path", () => {
    const { host } = jetson();
    const e = csvEdits(host, csvFiles(host, false));
    const byPath = new Map(e.mounts?.map((m) => [m.containerPath, m]));
    assert.equal(byPath.get(`${lib}/libcuda.so.1.1`)?.hostPath, path.join(host.root, `${lib}/libcuda.so.1.1`));
    assert.equal(byPath.get(`${lib}/libcuda.so`)?.hostPath, path.join(host.root, `${lib}/libcuda.so.1.1`));
    assert.equal(byPath.get(`${lib}/libcuda.so.1`)?.hostPath, path.join(host.root, `${lib}/libcuda.so.1.1`));
    assert.ok(byPath.has("/usr/lib/aarch64-linux-gnu/tegra-egl"));
    for (const m of e.mounts ?? []) assert.deepEqual(m.options, ["ro", "nosuid", "nodev", "rbind", "rprivate"]);
  });

  test("the default files are devices, drivers and l4t; all adds the rest", () => {
    const { host } = jetson();
    assert.deepEqual(csvFiles(host, false).map((f) => path.basename(f)), ["devices.csv", "drivers.csv", "l4t.csv"]);
    assert.deepEqual(csvFiles(host, true).map((f) => path.basename(f)), ["devices.csv", "drivers.csv", "extra.csv", "l4t.csv"]);
  });

  test("a sym entry whose relative link climbs out of the host root is an error with the line", () => {
    const { tree, host } = jetson();
    tree.symlink("../../../../../../../../../etc/shadow", `${lib}/libevil.so`);
    tree.writeFile(`${csvMountSpecDir}/evil.csv`, `lib, ${lib}/libcuda.so.1.1\nsym, ${lib}/libevil.so\n`);
    assert.throws(() => csvEdits(host, [`${csvMountSpecDir}/evil.csv`]), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.equal(e.line, 2);
      assert.match(e.message, /outside the host root/);
      return true;
    });
  });

  test("an absolute symlink is followed inside the host root, never on the machine itself", () => {
    const { tree, host } = jetson();
    tree.symlink("/etc/hostname-in-tree", "/usr/lib/abs-link");
    tree.writeFile("/etc/hostname-in-tree", "jetson\n");
    tree.writeFile(`${csvMountSpecDir}/abs.csv`, "sym, /usr/lib/abs-link\n");
    const e = csvEdits(host, [`${csvMountSpecDir}/abs.csv`]);
    assert.equal(e.mounts?.[0]?.hostPath, path.join(host.root, "/etc/hostname-in-tree"));
  });

  test("a last-component glob expands to the matching files", () => {
    const { tree, host } = jetson();
    tree.writeFile(`${lib}/libnvos.so`, "x");
    tree.writeFile(`${lib}/libnvrm_gpu.so`, "x");
    tree.writeFile(`${csvMountSpecDir}/glob.csv`, `lib, ${lib}/libnv*.so\n`);
    assert.deepEqual(csvEdits(host, [`${csvMountSpecDir}/glob.csv`]).mounts?.map((m) => path.basename(m.containerPath)), ["libnvos.so", "libnvrm_gpu.so"]);
  });

  test("a missing CSV file is a host error naming it", () => {
    const { host } = jetson();
    assert.throws(() => csvEdits(host, [`${csvMountSpecDir}/nope.csv`]), (e: unknown) =>
      e instanceof ActkError && e.exitCode === ExitCode.host && (e.file ?? "").endsWith("nope.csv"));
  });
});
