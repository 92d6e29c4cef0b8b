import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compareNumericNames, HostRoot } from "./host-root.js";

test("directory entries sort with numbers compared as numbers", () => {
  const names = ["nvidia10", "nvidia2", "nvidia-uvm", "nvidia1", "card0", "renderD128", "nvidiactl", "nvidia02", "a"];
  assert.deepEqual([...names].sort(compareNumericNames), ["a", "card0", "nvidia1", "nvidia2", "nvidia02", "nvidia10", "nvidia-uvm", "nvidiactl", "renderD128"]);
});

test("readdir under a host root lists entries in that order and [] for a missing directory", (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "actk-hostroot-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, "dev"));
  for (const n of ["nvidia10", "nvidia2", "nvidiactl"]) fs.writeFileSync(path.join(root, "dev", n), "");
  const host = new HostRoot(root);
  assert.deepEqual(host.readdir("/dev").map((e) => e.name), ["nvidia2", "nvidia10", "nvidiactl"]);
  assert.deepEqual(host.readdir("/nope"), []);
});
