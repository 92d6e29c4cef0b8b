/**
 * `actk config` driven through the built dist/bin/actk: the Done-when of the
 * config issue (default → --set --in-place changes exactly one line) and an
 * NVIDIA config.toml accepted and reported by `actk config show`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { distBin, repoRoot, tempDir } from "../e2e/harness/requirements.js";

const nvidiaFile = path.join(repoRoot, "src/config/testdata/nvidia-config.toml");

function actk(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  // A clean environment: no ACTK_CONFIG_FILE / XDG_CONFIG_HOME / ACTK_HOST_ROOT from the caller.
  const r = spawnSync(distBin("actk"), args, { cwd, encoding: "utf8", env: { PATH: process.env.PATH, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("config default then --set runtime.mode=cdi --in-place changes exactly that line", (t) => {
  const dir = tempDir(t, "actk-config-");
  const def = actk(["config", "default"], dir);
  assert.equal(def.status, 0, def.stderr);
  const file = path.join(dir, "c.toml");
  fs.writeFileSync(file, def.stdout, { mode: 0o600 });
  const r = actk(["config", "--config-file", "c.toml", "--set", "runtime.mode=cdi", "--in-place"], dir);
  assert.equal(r.status, 0, r.stderr);
  const before = def.stdout.split("\n");
  const after = fs.readFileSync(file, "utf8").split("\n");
  assert.equal(after.length, before.length);
  const changed = before.map((l, i) => [l, after[i]]).filter(([a, b]) => a !== b);
  assert.deepEqual(changed, [['mode = "auto"', 'mode = "cdi"']]);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const show = actk(["config", "show", "--json", "--config-file", "c.toml"], dir);
  assert.equal(show.status, 0, show.stderr);
  const data = JSON.parse(show.stdout) as { source: string; format: string; config: { runtime: { mode: string } } };
  assert.equal(data.format, "actk");
  assert.equal(data.config.runtime.mode, "cdi");
});

test("config errors leave the file untouched and exit non-zero", (t) => {
  const dir = tempDir(t, "actk-config-");
  const file = path.join(dir, "c.toml");
  const text = "# keep me\n[runtime]\nmode = \"auto\"\n";
  fs.writeFileSync(file, text);
  const cases: Array<[string[], number, RegExp]> = [
    [["--set", "runtime.mod=cdi", "--in-place"], 2, /did you mean runtime\.mode\?/],
    [["--set", "runtime.mode=fast", "--in-place"], 2, /must be one of/],
    [["--set", "runtime.mode=cdi", "--in-place", "--output", "x.toml"], 2, /cannot be used together/],
  ];
  for (const [args, code, message] of cases) {
    const r = actk(["config", "--config-file", "c.toml", ...args], dir);
    assert.equal(r.status, code, args.join(" "));
    assert.match(r.stderr, message);
    assert.equal(fs.readFileSync(file, "utf8"), text);
  }
  fs.writeFileSync(file, "[runtime]\nmode = \n");
  const bad = actk(["config", "validate", "c.toml"], dir);
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /c\.toml: line 2, column \d+: not valid TOML/);
  const missing = actk(["config", "show", "--config-file", "nope.toml"], dir);
  assert.equal(missing.status, 4);
});

test("--set without --in-place prints the result and --output writes a copy", (t) => {
  const dir = tempDir(t, "actk-config-");
  fs.writeFileSync(path.join(dir, "c.toml"), "[cdi]\nspec-dirs = []\n");
  const r = actk(["config", "--config-file", "c.toml", "--set", "cdi.spec-dirs=/a,/b"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '[cdi]\nspec-dirs = ["/a", "/b"]\n');
  const o = actk(["config", "--config-file", "c.toml", "--set", "cdi.spec-dirs=/c", "--output", "out/d.toml"], dir);
  assert.equal(o.status, 0, o.stderr);
  assert.equal(fs.readFileSync(path.join(dir, "out/d.toml"), "utf8"), '[cdi]\nspec-dirs = ["/c"]\n');
  assert.equal(fs.readFileSync(path.join(dir, "c.toml"), "utf8"), "[cdi]\nspec-dirs = []\n");
});

test("an NVIDIA config.toml is accepted and reported by config show", (t) => {
  const dir = tempDir(t, "actk-config-");
  const nv = path.join(dir, "etc/nvidia-container-runtime/config.toml");
  fs.mkdirSync(path.dirname(nv), { recursive: true });
  fs.writeFileSync(nv, fs.readFileSync(nvidiaFile, "utf8").replace('mode = "auto"', 'mode = "jit-cdi"') + "\n[nvidia-container-runtime.modes.made-up]\nx = 1\n");
  const r = actk(["config", "show", "--json", "--host-root", dir], dir);
  assert.equal(r.status, 0, r.stderr);
  const data = JSON.parse(r.stdout) as {
    source: string; format: string; config: { runtime: { mode: string } };
    nvidiaKeys: Array<{ key: string; status: string; actkKey?: string }>; warnings: string[];
  };
  assert.equal(data.source, nv);
  assert.equal(data.format, "nvidia");
  assert.equal(data.config.runtime.mode, "jit");
  assert.deepEqual(data.nvidiaKeys.find((k) => k.key === "nvidia-container-runtime.mode"), {
    key: "nvidia-container-runtime.mode", value: "jit-cdi", status: "mapped", actkKey: "runtime.mode",
  });
  assert.equal(data.nvidiaKeys.find((k) => k.key === "nvidia-ctk.path")?.status, "ignored");
  assert.equal(data.nvidiaKeys.find((k) => k.key === "nvidia-container-runtime.modes.made-up")?.status, "unknown");
  assert.match(r.stderr, /warning: .*made-up/);
  const human = actk(["config", "show", "--host-root", dir], dir);
  assert.match(human.stdout, /^format: nvidia$/m);
  assert.match(human.stdout, /nvidia-container-runtime\.mode\s+mapped\s+runtime\.mode/);
  const valid = actk(["config", "validate", nv], dir);
  assert.equal(valid.status, 0, valid.stderr);
  assert.match(valid.stdout, /valid \(nvidia format\)/);
});

test("--set --in-place on an NVIDIA file uses NVIDIA's keys and changes only those lines", (t) => {
  const dir = tempDir(t, "actk-config-");
  const file = path.join(dir, "config.toml");
  const text = fs.readFileSync(nvidiaFile, "utf8");
  fs.writeFileSync(file, text);
  const r = actk(["config", "--config-file", file, "--set", "nvidia-container-runtime.mode=cdi", "--set", "accept-nvidia-visible-devices-as-volume-mounts", "-i"], dir);
  assert.equal(r.status, 0, r.stderr);
  const want = text
    .replace('[nvidia-container-runtime]\n#debug = "/var/log/nvidia-container-runtime.log"\nlog-level = "info"\nmode = "auto"',
      '[nvidia-container-runtime]\n#debug = "/var/log/nvidia-container-runtime.log"\nlog-level = "info"\nmode = "cdi"')
    .replace("#accept-nvidia-visible-devices-as-volume-mounts = false", "accept-nvidia-visible-devices-as-volume-mounts = true");
  assert.equal(fs.readFileSync(file, "utf8"), want);
});

test("a new actk file made with --set starts from the host's NVIDIA config.toml settings", (t) => {
  const dir = tempDir(t, "actk-config-");
  const nv = path.join(dir, "etc/nvidia-container-runtime/config.toml");
  fs.mkdirSync(path.dirname(nv), { recursive: true });
  fs.writeFileSync(nv, '[nvidia-container-runtime]\nmode = "legacy"\nruntimes = ["crun"]\n');
  const r = actk(["config", "--host-root", dir, "--set", "runtime.log-level=debug", "--in-place"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /starting from the settings of/);
  const show = actk(["config", "show", "--json", "--host-root", dir], dir);
  const data = JSON.parse(show.stdout) as { source: string; format: string; config: { runtime: { mode: string; runtimes: string[]; logLevel: string } } };
  assert.equal(data.source, path.join(dir, "etc/actk/config.toml"));
  assert.equal(data.format, "actk");
  assert.deepEqual(data.config.runtime, { ...data.config.runtime, mode: "legacy", runtimes: ["crun"], logLevel: "debug" });
});

test("config validate and --set refuse plugin settings the plugin refuses (exit 3, the file unchanged)", (t) => {
  const dir = tempDir(t, "actk-config-it-");
  const file = path.join(dir, "c.toml");
  for (const text of ['[plugins."actk.vendor.v1".nvidia]\nnvml = "bogus"\n', '[plugins."actk.vendor.v1".nvidia]\nsupported-driver-capabilities = ["bogus"]\n']) {
    fs.writeFileSync(file, text);
    const r = actk(["config", "validate", file], dir);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /c\.toml: the nvidia vendor plugin refuses its settings: .*bogus/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  }
  const d = actk(["config", "default"], dir);
  fs.writeFileSync(file, d.stdout);
  const set = actk(["config", "--config-file", file, "--set", "plugins.nvidia.nvml=bogus", "--in-place"], dir);
  assert.equal(set.status, 3, set.stderr);
  assert.equal(fs.readFileSync(file, "utf8"), d.stdout);
});

test("--in-place through a symlinked config writes the link's target and keeps the link", (t) => {
  const dir = tempDir(t, "actk-config-it-");
  const real = path.join(dir, "real.toml");
  fs.writeFileSync(real, actk(["config", "default"], dir).stdout, { mode: 0o600 });
  fs.chmodSync(real, 0o600);
  fs.symlinkSync("real.toml", path.join(dir, "link.toml"));
  const r = actk(["config", "--config-file", path.join(dir, "link.toml"), "--set", "runtime.mode=cdi", "-i"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.lstatSync(path.join(dir, "link.toml")).isSymbolicLink());
  assert.match(fs.readFileSync(real, "utf8"), /^mode = "cdi"$/m);
  assert.equal(fs.statSync(real).mode & 0o777, 0o600);
});

test("--in-place as a user other than root refuses a file that user cannot write or does not own, and leaves it as it was", (t) => {
  if (process.getuid?.() !== 0 || spawnSync("setpriv", ["--help"]).status !== 0) {
    t.skip("needs root and setpriv to run actk as another user");
    return;
  }
  if (spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", distBin("actk"), "--version"]).status !== 0) {
    t.skip("uid 65534 cannot run this checkout's dist/bin/actk (a directory above it is closed to others)");
    return;
  }
  const dir = tempDir(t, "actk-config-it-");
  fs.chmodSync(dir, 0o1777); // a directory the other user can write: the rename itself would work
  const text = actk(["config", "default"], dir).stdout;
  const asNobody = (file: string): { status: number | null; stderr: string } => {
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", distBin("actk"), "config", "--config-file", file, "--set", "runtime.mode=cdi", "-i"], { encoding: "utf8", env: { PATH: process.env.PATH } });
    return { status: r.status, stderr: r.stderr };
  };
  const readOnly = path.join(dir, "ro.toml");
  fs.writeFileSync(readOnly, text);
  fs.chmodSync(readOnly, 0o444);
  const ro = asNobody(readOnly);
  assert.equal(ro.status, 4, ro.stderr);
  assert.match(ro.stderr, /ro\.toml: the file is read-only for this user/);
  const rootOwned = path.join(dir, "rw.toml");
  fs.writeFileSync(rootOwned, text);
  fs.chmodSync(rootOwned, 0o666);
  const rw = asNobody(rootOwned);
  assert.equal(rw.status, 4, rw.stderr);
  assert.match(rw.stderr, /rw\.toml: the file belongs to uid 0, and writing it would make it this user's \(65534\)/);
  for (const f of [readOnly, rootOwned]) {
    assert.equal(fs.readFileSync(f, "utf8"), text);
    assert.equal(fs.statSync(f).uid, 0);
  }
});
