import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { ActkError } from "../../core/errors.js";
import { HostRoot } from "../../host/host-root.js";
import { SimTree } from "../../sim/tree.js";
import { checkListName, loadMountList, parseMountList } from "./mount-list.js";

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
function tempTree(): SimTree {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "actk-ascend-list-"));
  dirs.push(d);
  return new SimTree(d, { realDeviceNodes: false });
}

describe("parseMountList", () => {
  test("reads absolute paths and skips blank lines and comments", () => {
    const text = "# installed by ascend-docker-runtime\n/usr/local/Ascend/driver/lib64\n\n  /usr/local/dcmi  \r\n/usr/local/bin/npu-smi";
    assert.deepEqual(parseMountList(text, "base.list"), [
      { path: "/usr/local/Ascend/driver/lib64", line: 2 },
      { path: "/usr/local/dcmi", line: 4 },
      { path: "/usr/local/bin/npu-smi", line: 5 },
    ]);
  });

  const rejected: [string, string, number, RegExp][] = [
    ["a relative entry", "/usr/local/dcmi\nusr/lib64/libdcmi.so\n", 2, /not an absolute path/],
    ["an entry with ..", "/usr/local/Ascend/../../etc/shadow\n", 1, /contains "\.\."/],
    ["a trailing ..", "# x\n\n/usr/local/..\n", 3, /contains "\.\."/],
    ["a glob in a directory component", "/usr/lib*/libdcmi.so\n", 1, /directory component/],
  ];
  for (const [what, text, line, message] of rejected) {
    test(`rejects ${what}, naming the file and line`, () => {
      assert.throws(() => parseMountList(text, "/etc/ascend-docker-runtime.d/x.list"), (e: unknown) => {
        assert.ok(e instanceof ActkError);
        assert.equal(e.file, "/etc/ascend-docker-runtime.d/x.list");
        assert.equal(e.line, line);
        assert.match(e.message, message);
        assert.ok(e.fix);
        return true;
      });
    });
  }

  test("rejects more than 128 entries", () => {
    const text = Array.from({ length: 129 }, (_, i) => `/opt/f${i}`).join("\n");
    assert.throws(() => parseMountList(text, "big.list"), /more than 128 entries/);
  });
});

describe("checkListName", () => {
  for (const name of ["base", "ub_driver", "A200-IA2", "extra.v2"]) {
    test(`accepts ${name}`, () => assert.doesNotThrow(() => checkListName(name)));
  }
  for (const name of ["../../etc/passwd", "a/b", "", ".hidden", "x..y"]) {
    test(`rejects ${JSON.stringify(name)} so ASCEND_RUNTIME_MOUNTS cannot name files outside the list directory`, () => {
      assert.throws(() => checkListName(name), (e: unknown) => e instanceof ActkError && e.place === "ASCEND_RUNTIME_MOUNTS");
    });
  }
});

describe("loadMountList on a host tree", () => {
  test("resolves entries inside the root, re-rooting absolute symlinks", () => {
    const tree = tempTree();
    tree.mkdir("/usr/local/Ascend/driver/lib64");
    tree.symlink("/usr/local/Ascend/driver/tools/npu-smi", "/usr/local/bin/npu-smi");
    tree.writeFile("/usr/local/Ascend/driver/tools/npu-smi", "#!/bin/sh\n", 0o755);
    tree.writeFile("/etc/ascend-docker-runtime.d/base.list", "/usr/local/Ascend/driver/lib64\n/usr/local/bin/npu-smi\n/var/queue_schedule\n");
    const host = new HostRoot(tree.root);
    const entries = loadMountList(host, "/etc/ascend-docker-runtime.d/base.list");
    assert.deepEqual(entries.map((e) => [e.path, e.resolved, e.exists, e.isDirectory]), [
      ["/usr/local/Ascend/driver/lib64", "/usr/local/Ascend/driver/lib64", true, true],
      ["/usr/local/bin/npu-smi", "/usr/local/Ascend/driver/tools/npu-smi", true, false],
      ["/var/queue_schedule", "/var/queue_schedule", false, false],
    ]);
    assert.equal(entries[1]?.hostPath, path.join(tree.root, "/usr/local/Ascend/driver/tools/npu-smi"));
  });

  test("rejects an entry whose relative symlink climbs out of the host root", () => {
    const tree = tempTree();
    tree.symlink("../../../../../../../../etc/shadow", "/usr/local/dcmi");
    tree.writeFile("/etc/ascend-docker-runtime.d/base.list", "# x\n/usr/local/dcmi\n");
    const host = new HostRoot(tree.root);
    assert.throws(() => loadMountList(host, "/etc/ascend-docker-runtime.d/base.list"), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.equal(e.line, 2);
      assert.equal(e.file, path.join(tree.root, "/etc/ascend-docker-runtime.d/base.list"));
      assert.match(e.message, /outside the host root/);
      return true;
    });
  });

  test("expands a last-component glob and keeps matches sorted", () => {
    const tree = tempTree();
    for (const f of ["libummu.so", "libummu.so.1", "liburma.so"]) tree.writeFile(`/usr/lib64/${f}`, "x");
    tree.writeFile("/etc/ascend-docker-runtime.d/ub_driver.list", "/usr/lib64/libummu*\n/usr/lib64/libnl*\n");
    const entries = loadMountList(new HostRoot(tree.root), "/etc/ascend-docker-runtime.d/ub_driver.list");
    assert.deepEqual(entries.map((e) => e.path), ["/usr/lib64/libummu.so", "/usr/lib64/libummu.so.1"]);
  });

  test("rejects a glob match that is a symlink out of the pattern's directory", () => {
    const tree = tempTree();
    tree.writeFile("/etc/shadow", "secret");
    tree.symlink("/etc/shadow", "/usr/lib64/libummu.so");
    tree.writeFile("/etc/ascend-docker-runtime.d/ub.list", "/usr/lib64/libummu*\n");
    assert.throws(() => loadMountList(new HostRoot(tree.root), "/etc/ascend-docker-runtime.d/ub.list"), /outside \/usr\/lib64/);
  });
});
