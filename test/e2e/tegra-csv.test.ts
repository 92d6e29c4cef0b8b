// actk-runtime on a simulated Jetson (jetson-orin): the csv mode, where the NVIDIA plugin reads the
// L4T CSV mount lists, run by real runc.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { TestContext } from "node:test";
import { needs, tempDir } from "./harness/requirements.js";
import { findBusybox } from "./harness/rootfs.js";
import { createBundle } from "./harness/bundle.js";
import { runLifecycle } from "./harness/runc.js";
import { createSimHost } from "./harness/sim.js";
import { actkRuntime } from "./harness/actk-runtime.js";

const prerequisites = (t: TestContext): boolean => {
  if (!needs(t, { root: true, programs: ["runc"] })) return false;
  if (!findBusybox()) return needs(t, { programs: ["/bin/busybox (busybox-static)"] });
  return true;
};

for (const mode of ["auto", "csv"]) {
  test(`runtime.mode=${mode} on a Jetson gives the CSV device nodes, libraries and folders`, (t) => {
    if (!prerequisites(t)) return;
    const dir = tempDir(t);
    const hostRoot = createSimHost(t, "jetson-orin");
    const rt = actkRuntime(t, { hostRoot, mode });
    const bundle = path.join(dir, "bundle");
    createBundle(bundle, {
      args: ["/bin/sh", "-c", "ls /dev; echo ---; ls /usr/lib/aarch64-linux-gnu/tegra /usr/share/nvidia"],
      env: ["NVIDIA_VISIBLE_DEVICES=0"],
    });
    const r = runLifecycle({ runtime: rt.runtime, root: path.join(dir, "state"), bundle, id: `actk-e2e-tegra-${process.pid}-${mode}`, env: rt.env });
    t.diagnostic(`actk-runtime log:\n${rt.log()}`);
    assert.equal(r.create.status, 0, r.create.stderr);
    const [devs = "", files = ""] = r.output.split("---\n");
    const dev = devs.split("\n");
    for (const n of ["nvhost-ctrl", "nvhost-ctrl-gpu", "nvhost-gpu", "nvmap"]) assert.ok(dev.includes(n), `${n} missing: ${devs}`);
    assert.match(files, /^libcuda\.so\.1$/m);
    assert.match(files, /^libcuda\.so\.1\.1$/m);
    assert.match(files, /^nvoptix\.bin$/m);
  });
}
