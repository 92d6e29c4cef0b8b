// A real CDI consumer reads actk's specs: podman 4.3 (CDI library 0.5.x, which accepts cdiVersion ≤ 0.5.0)
// runs busybox with `--device nvidia.com/gpu=0` / `ascend.com/npu=0` from specs generated for simulated hosts.
// That the spec loads at all proves the minimum-version logic: with annotations it would say 0.6.0 and be refused.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { distBin, needs, program, tempDir } from "./harness/requirements.js";
import { podmanRunLimits } from "./harness/podman.js";
import { buildBusyboxRootfs, findBusybox } from "./harness/rootfs.js";
import { createSimHost } from "./harness/sim.js";

const prerequisites = (t: TestContext): boolean => {
  if (!needs(t, { root: true, programs: ["podman", "runc"] })) return false;
  if (!findBusybox()) return needs(t, { programs: ["/bin/busybox (busybox-static)"] });
  return true;
};


interface Case {
  profile: string;
  vendor: string;
  device: string;
  /** Shell checks inside the container; each prints a line the test expects. */
  script: string;
  expect: RegExp[];
}

const cases: Case[] = [
  {
    profile: "dgx-h100", vendor: "nvidia", device: "nvidia.com/gpu=0",
    script: "ls -l /dev/nvidia0 /dev/nvidiactl; ls /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15 /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1; test -e /dev/nvidia1 || echo no-nvidia1",
    expect: [/^c.* 195,\s+0 .*\/dev\/nvidia0$/m, /^c.* 195,\s+255 .*\/dev\/nvidiactl$/m, /libcuda\.so\.550\.54\.15$/m, /libnvidia-ml\.so\.1$/m, /^no-nvidia1$/m],
  },
  {
    profile: "ascend-910b", vendor: "ascend", device: "ascend.com/npu=0",
    script: "ls -l /dev/davinci0 /dev/davinci_manager; ls -d /usr/local/Ascend/driver/lib64; test -e /dev/davinci1 || echo no-davinci1",
    expect: [/^c.* 236,\s+0 .*\/dev\/davinci0$/m, /\/dev\/davinci_manager$/m, /^\/usr\/local\/Ascend\/driver\/lib64$/m, /^no-davinci1$/m],
  },
];

for (const c of cases) {
  test(`podman runs busybox with ${c.device} from a spec actk generated for the ${c.profile} simulated host`, (t) => {
    if (!prerequisites(t)) return;
    const dir = tempDir(t, "actk-e2e-podman-cdi-");
    const host = createSimHost(t, c.profile);
    const rootfs = buildBusyboxRootfs(path.join(dir, "rootfs"));
    const config = path.join(dir, "config.toml");
    writeFileSync(config, `[hook]\npath = "${distBin("actk-hook")}"\n`);
    const specFile = `/etc/cdi/actk-e2e-${c.vendor}-${process.pid}-${Date.now().toString(36)}.yaml`;
    t.after(() => rmSync(specFile, { force: true }));

    const gen = spawnSync(distBin("actk"), ["--host-root", host, "--config-file", config, "cdi", "generate", "--vendor", c.vendor, "--output", specFile], { encoding: "utf8" });
    assert.equal(gen.status, 0, gen.stderr);
    const text = readFileSync(specFile, "utf8");
    assert.match(text, /^cdiVersion: "?0\.5\.0"?$/m, "index names and hostPaths need 0.5.0, and nothing more");
    assert.doesNotMatch(text, /^annotations:/m);

    const run = spawnSync(program("podman"), [
      "--runtime", program("runc"), "run", "--rm", ...podmanRunLimits, "--network", "none", "--device", c.device,
      "--rootfs", rootfs, "/bin/sh", "-c", c.script,
    ], { encoding: "utf8", timeout: 120_000 });
    assert.equal(run.status, 0, `podman failed: ${run.stderr}\n${run.stdout}`);
    for (const re of c.expect) assert.match(run.stdout, re, run.stdout);
  });
}

test("podman refuses a spec whose cdiVersion is newer than its CDI library accepts (why actk writes the minimum)", (t) => {
  if (!prerequisites(t)) return;
  const version = spawnSync(program("podman"), ["--version"], { encoding: "utf8" }).stdout;
  const m = /(\d+)\.(\d+)/.exec(version);
  if (!m || Number(m[1]) > 4 || (Number(m[1]) === 4 && Number(m[2]) >= 7)) {
    t.skip(`podman ${version.trim()} accepts cdiVersion 0.6.0; this test pins podman < 4.7`);
    return;
  }
  const dir = tempDir(t, "actk-e2e-podman-cdi-");
  const host = createSimHost(t, "dgx-h100");
  const rootfs = buildBusyboxRootfs(path.join(dir, "rootfs"));
  const specFile = `/etc/cdi/actk-e2e-annotated-${process.pid}-${Date.now().toString(36)}.yaml`;
  t.after(() => rmSync(specFile, { force: true }));
  const gen = spawnSync(distBin("actk"), ["--host-root", host, "cdi", "generate", "--vendor", "nvidia", "--vendor-kind", "actk-e2e.example", "--annotations", "always", "--output", specFile], { encoding: "utf8" });
  assert.equal(gen.status, 0, gen.stderr);
  assert.match(readFileSync(specFile, "utf8"), /^cdiVersion: "?0\.6\.0"?$/m);
  const run = spawnSync(program("podman"), ["--runtime", program("runc"), "run", "--rm", ...podmanRunLimits, "--network", "none", "--device", "actk-e2e.example/gpu=0", "--rootfs", rootfs, "/bin/true"], { encoding: "utf8", timeout: 120_000 });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /unresolvable CDI devices actk-e2e\.example\/gpu=0/, run.stderr);
});
