/**
 * Docker 20.10's --gpus with actk-hook installed as nvidia-container-runtime-hook:
 * dockerd finds the hook in its PATH at start (that is what enables --gpus),
 * and adds it as a prestart hook with its own environment, which is how the
 * simulated host root and the config reach the hook.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import path from "node:path";
import { docker, dockerImportRootfs, startDockerd, type Daemon } from "./harness/daemons.js";
import { buildBusyboxRootfs } from "./harness/rootfs.js";
import { distBin, needs, tempDir } from "./harness/requirements.js";
import { createSimHost } from "./harness/sim.js";

const image = "actk-busybox:hook-e2e";

async function dockerWithHook(t: TestContext): Promise<{ d: Daemon; log: string }> {
  const dir = tempDir(t, "actk-hook-docker-");
  const host = createSimHost(t, "dgx-h100");
  // The sim writes the persistenced socket as a 0666 regular file; a real one is a socket.
  const sock = path.join(host, "run", "nvidia-persistenced", "socket");
  if (fs.existsSync(sock) && fs.statSync(sock).isFile()) fs.chmodSync(sock, 0o644);
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.symlinkSync(distBin("actk-hook"), path.join(bin, "nvidia-container-runtime-hook"));
  const log = path.join(dir, "hook.log");
  const config = path.join(dir, "config.toml");
  fs.writeFileSync(config, `[hook]\nlog-file = ${JSON.stringify(log)}\n`);
  const d = startDockerd(path.join(dir, "docker"), {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}`, ACTK_HOST_ROOT: host, ACTK_CONFIG_FILE: config },
  });
  try {
    dockerImportRootfs(d, buildBusyboxRootfs(path.join(dir, "rootfs")), image);
  } catch (e) {
    await d.stop();
    throw e;
  }
  return { d, log };
}

const cases: { gpus: string; want: string }[] = [
  { gpus: "all", want: "nvidia0\nnvidia1\nnvidia2\nnvidia3\nnvidia4\nnvidia5\nnvidia6\nnvidia7\n" },
  { gpus: "device=1", want: "nvidia1\n" },
];

test("docker run --gpus with actk-hook as nvidia-container-runtime-hook", async (t) => {
  if (!needs(t, { root: true, programs: ["dockerd", "docker", "nsenter", "mount", "mknod"] })) return;
  const { d, log } = await dockerWithHook(t);
  try {
  for (const c of cases) {
    await t.test(`--gpus ${c.gpus}`, () => {
      const r = docker(d, ["run", "--rm", "--network=none", "--gpus", c.gpus, image, "/bin/sh", "-c", "ls /dev | grep -E '^nvidia[0-9]+$' | sort -V"]);
      const hookLog = fs.existsSync(log) ? fs.readFileSync(log, "utf8").slice(-2000) : "";
      assert.equal(r.status, 0, `${String(r.stderr)}\n${hookLog}`);
      assert.equal(r.stdout, c.want);
    });
  }
  await t.test("no --gpus: the hook is not involved and the container gets no GPU", () => {
    const r = docker(d, ["run", "--rm", "--network=none", image, "/bin/sh", "-c", "ls /dev | grep -c '^nvidia' || true"]);
    assert.equal(r.status, 0, String(r.stderr));
    assert.equal(r.stdout, "0\n");
  });
  } finally {
    await d.stop(); // before the temp dir goes: dockerd holds mounts under its data-root
  }
});
