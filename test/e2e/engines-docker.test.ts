// `actk runtime configure --runtime docker`: the configured daemon.json starts a real dockerd
// that lists the runtime in `docker info`; verification and unconfigure round-trip the bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { distBin, needs, tempDir } from "./harness/requirements.js";
import { docker, startDockerd } from "./harness/daemons.js";

const actk = (root: string, args: string[]) =>
  spawnSync(process.execPath, [distBin("actk"), "--host-root", root, ...args], { encoding: "utf8", timeout: 300_000 });

const original = `{
    "log-driver": "json-file",
    "log-opts": {
        "max-size": "10m"
    },
    "features": {
        "buildkit": true
    }
}
`;

function hostWith(root: string, text: string): string {
  const file = path.join(root, "etc/docker/daemon.json");
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

test("dockerd started with the configured daemon.json lists the actk runtime; unconfigure restores the bytes", async (t) => {
  if (!needs(t, { root: true, programs: ["dockerd", "docker"] })) return;
  const root = tempDir(t);
  const file = hostWith(root, original);
  const r = actk(root, ["runtime", "configure", "--runtime", "docker", "--runtime-arg=--debug", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.verification.ok, true, result.verification.detail);
  assert.notEqual(result.verification.skipped, true, result.verification.detail);

  const configured = JSON.parse(readFileSync(file, "utf8"));
  assert.deepEqual(configured.runtimes.actk, { path: "/usr/local/bin/actk-runtime", runtimeArgs: ["--debug"] });
  const d = startDockerd(path.join(root, "dockerd"), { daemonJson: configured });
  t.after(() => d.stop());
  const info = docker(d, ["info", "--format", "{{json .Runtimes}}"]);
  assert.equal(info.status, 0, String(info.stderr));
  const runtimes = JSON.parse(String(info.stdout));
  assert.equal(runtimes.actk.path, "/usr/local/bin/actk-runtime");
  await d.stop();

  const u = actk(root, ["runtime", "unconfigure", "--runtime", "docker"]);
  assert.equal(u.status, 0, u.stderr);
  assert.equal(readFileSync(file, "utf8"), original);
});

test("a daemon.json dockerd refuses: verification fails, the previous bytes are put back, exit 5", (t) => {
  if (!needs(t, { root: true, programs: ["dockerd", "docker"] })) return;
  const root = tempDir(t);
  // Valid JSON that dockerd rejects at start: an unknown log driver option value type.
  const text = '{\n  "log-level": "not-a-level"\n}\n';
  const file = hostWith(root, text);
  const r = actk(root, ["runtime", "configure", "--runtime", "docker"]);
  assert.equal(r.status, 5, r.stdout + r.stderr);
  assert.match(r.stderr, /docker rejected the new configuration/);
  assert.equal(readFileSync(file, "utf8"), text);
});

test("malformed daemon.json: exit 3, one line with line and column, file untouched", (t) => {
  if (!existsSync(distBin("actk"))) return void t.skip("dist/bin/actk is not built (npm run build)");
  const root = tempDir(t);
  const bad = '{\n  "debug": true\n  "log-level": "info"\n}\n';
  const file = hostWith(root, bad);
  const r = actk(root, ["runtime", "configure", "--runtime", "docker"]);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /^actk: \/etc\/docker\/daemon\.json: line 3, column 3: invalid JSON: expected ',' or '}' — nothing was changed\. Fix: /);
  assert.equal(readFileSync(file, "utf8"), bad);
});

test("podman and CRI-O oci-hook mode write the hooks.d file, and unconfigure removes it", (t) => {
  if (!existsSync(distBin("actk"))) return void t.skip("dist/bin/actk is not built (npm run build)");
  const root = tempDir(t);
  for (const engine of ["podman", "crio"]) {
    const r = actk(root, ["runtime", "configure", "--runtime", engine, "--config-mode", "oci-hook"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /restart needed: no/);
    const hook = JSON.parse(readFileSync(path.join(root, "usr/share/containers/oci/hooks.d/oci-actk-hook.json"), "utf8"));
    assert.deepEqual(hook.stages, ["prestart"]);
    const u = actk(root, ["runtime", "unconfigure", "--runtime", engine]);
    assert.equal(u.status, 0, u.stderr);
    assert.equal(existsSync(path.join(root, "usr/share/containers/oci/hooks.d/oci-actk-hook.json")), false);
  }
});
