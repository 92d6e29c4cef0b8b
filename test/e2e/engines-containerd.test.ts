// `actk runtime configure --runtime containerd` against the installed containerd: its own
// `config dump` must parse the result and show the runtime with runc's options.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { distBin, needs, program, tempDir } from "./harness/requirements.js";

const actk = (root: string, args: string[]) =>
  spawnSync(process.execPath, [distBin("actk"), "--host-root", root, ...args], { encoding: "utf8", timeout: 120_000 });

function defaultConfig(): string {
  const r = spawnSync(program("containerd"), ["config", "default"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  // kubeadm's guides switch runc to the systemd cgroup driver; the new runtime must inherit it.
  return r.stdout.replace("SystemdCgroup = false", "SystemdCgroup = true");
}

function hostWith(root: string, text: string): string {
  const file = path.join(root, "etc/containerd/config.toml");
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

test("containerd config dump of the configured file shows the actk runtime with SystemdCgroup, and unconfigure restores the bytes", (t) => {
  if (!needs(t, { root: true, programs: ["containerd"] })) return;
  const root = tempDir(t);
  const original = defaultConfig();
  const file = hostWith(root, original);
  const r = actk(root, ["runtime", "configure", "--runtime", "containerd", "--set-as-default", "--cdi.enabled", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.verification.ok, true, result.verification.detail);
  assert.notEqual(result.verification.skipped, true, result.verification.detail);
  assert.equal(result.restartNeeded, true);

  const dump = spawnSync(program("containerd"), ["--config", file, "config", "dump"], { encoding: "utf8" });
  assert.equal(dump.status, 0, dump.stderr);
  const cri = (parseToml(dump.stdout) as Record<string, any>).plugins["io.containerd.grpc.v1.cri"]; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(cri.containerd.default_runtime_name, "actk");
  assert.equal(cri.containerd.runtimes.actk.options.BinaryName, "/usr/local/bin/actk-runtime");
  assert.equal(cri.containerd.runtimes.actk.options.SystemdCgroup, true);
  // enable_cdi exists from containerd 1.7 on; older ones drop the key from the dump (and say so in the detail).
  const version = /\b(\d+)\.(\d+)\.\d+/.exec(spawnSync(program("containerd"), ["--version"], { encoding: "utf8" }).stdout)!;
  if (Number(version[1]) > 1 || Number(version[2]) >= 7) assert.equal(cri.enable_cdi, true);
  else assert.match(result.verification.detail, /does not know enable_cdi/);

  const again = actk(root, ["runtime", "configure", "--runtime", "containerd", "--set-as-default", "--cdi.enabled"]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /no changes; restart needed: no/);

  const u = actk(root, ["runtime", "unconfigure", "--runtime", "containerd"]);
  assert.equal(u.status, 0, u.stderr);
  assert.equal(readFileSync(file, "utf8"), original);
});

test("a malformed containerd config: exit 3, one line naming file, line and column, file untouched", (t) => {
  if (!existsSync(distBin("actk"))) return void t.skip("dist/bin/actk is not built (npm run build)");
  const root = tempDir(t);
  const bad = 'version = 2\n[plugins."io.containerd.grpc.v1.cri"\n';
  const file = hostWith(root, bad);
  const r = actk(root, ["runtime", "configure", "--runtime", "containerd", "--no-verify"]);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /^actk: \/etc\/containerd\/config\.toml: line 2, column \d+: invalid TOML: .* — nothing was changed\. Fix: /);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.equal(readFileSync(file, "utf8"), bad);
  assert.equal(existsSync(path.join(root, "var/lib/actk")), false);
});

test("an unknown containerd config version is refused with its line", (t) => {
  if (!existsSync(distBin("actk"))) return void t.skip("dist/bin/actk is not built (npm run build)");
  const root = tempDir(t);
  hostWith(root, "# comment\nversion = 9\n");
  const r = actk(root, ["runtime", "configure", "--runtime", "containerd", "--no-verify"]);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /config\.toml: line 2, column 1: version: unknown containerd config version 9/);
});

test("--dry-run prints a unified diff and writes nothing", (t) => {
  if (!existsSync(distBin("actk"))) return void t.skip("dist/bin/actk is not built (npm run build)");
  const root = tempDir(t);
  const text = 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n';
  const file = hostWith(root, text);
  const r = actk(root, ["runtime", "configure", "--runtime", "containerd", "--dry-run"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^--- \/etc\/containerd\/config\.toml\n\+\+\+ \/etc\/containerd\/config\.toml\n@@ /);
  assert.match(r.stdout, /\+\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.actk\]/);
  assert.equal(readFileSync(file, "utf8"), text);
});
