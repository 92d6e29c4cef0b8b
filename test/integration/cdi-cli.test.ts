// `actk cdi …` as users run it: the built dist/bin/actk on a simulated host.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";

const actk = path.resolve("dist/bin/actk");

function run(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(actk, args, { encoding: "utf8", input });
}

function simHost(t: TestContext, profile = "dgx-h100"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-cdi-cli-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, "host");
  const r = run(["sim", "create", "--profile", profile, root]);
  assert.equal(r.status, 0, r.stderr);
  return root;
}

test("generate --output DIR writes <vendor>-<class>.yaml (0644) that list and validate read from the host root's /etc/cdi", (t) => {
  const root = simHost(t, "mixed");
  const g = run(["--host-root", root, "cdi", "generate", "--output", path.join(root, "etc/cdi"), "--json"]);
  assert.equal(g.status, 0, g.stderr);
  const files = (JSON.parse(g.stdout) as { specs: { file: string; cdiVersion: string }[] }).specs;
  assert.deepEqual(files.map((f) => path.basename(f.file)).sort(), ["ascend-npu.yaml", "nvidia-gpu.yaml"]);
  for (const f of files) assert.equal(fs.statSync(f.file).mode & 0o777, 0o644);
  const l = run(["--host-root", root, "cdi", "list"]);
  assert.equal(l.status, 0, l.stderr);
  assert.match(l.stdout, /^nvidia\.com\/gpu=0$/m);
  assert.match(l.stdout, /^ascend\.com\/npu=1$/m);
  const v = run(["--host-root", root, "cdi", "validate", "--json"]);
  assert.equal(v.status, 0, v.stdout);
  assert.equal((JSON.parse(v.stdout) as { valid: boolean }).valid, true);
});

test("validate exits 1 and names the file, line and fix for an invalid spec; 3 is never used for findings", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-cdi-cli-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "bad.yaml");
  fs.writeFileSync(file, "cdiVersion: 0.4.0\nkind: example.com/gpu\ndevices:\n  - name: \"0\"\n    containerEdits:\n      deviceNodes:\n        - path: dev/x\n");
  const r = run(["cdi", "validate", file]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /cannot express a device name starting with a digit/);
  assert.match(r.stdout, /not an absolute path/);
  assert.match(r.stdout, new RegExp(`${file}:4`));
  fs.writeFileSync(file, "cdiVersion: 0.5.0\nkind: example.com/gpu\ndevices:\n  - name: x\n    containerEdit: {}\n");
  const u = run(["cdi", "validate", file, "--json"]);
  assert.equal(u.status, 1);
  assert.match(u.stdout, /unknown field \\"containerEdit\\"/);
});

test("generate refuses a --cdi-version the content cannot be written in, and a .yml output", (t) => {
  const root = simHost(t);
  const r = run(["--host-root", root, "cdi", "generate", "--vendor", "nvidia", "--cdi-version", "0.4.0"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--cdi-version: cdiVersion 0\.4\.0 cannot express .* which needs 0\.5\.0/);
  const y = run(["--host-root", root, "cdi", "generate", "--vendor", "nvidia", "--output", path.join(root, "x.yml")]);
  assert.equal(y.status, 2);
  assert.match(y.stderr, /\.yml, which CDI libraries ignore/);
  assert.equal(fs.existsSync(path.join(root, "x.yml")), false);
});

test("transform root moves host paths and leaves a malformed input file untouched", (t) => {
  const root = simHost(t);
  const out = path.join(root, "spec.json");
  assert.equal(run(["--host-root", root, "cdi", "generate", "--vendor", "nvidia", "--output", out]).status, 0);
  const moved = run(["cdi", "transform", "root", "--from", root, "--to", "/", "--input", out]);
  assert.equal(moved.status, 0, moved.stderr);
  assert.equal(moved.stdout.includes(root), false);
  assert.match(moved.stdout, /"hostPath": "\/dev\/nvidia0"/);
  fs.writeFileSync(out, "{ not json");
  const bad = run(["cdi", "transform", "root", "--from", root, "--to", "/", "--input", out, "--output", out]);
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, new RegExp(`${out}: line 1, column \\d+: not valid JSON or YAML`));
  assert.equal(fs.readFileSync(out, "utf8"), "{ not json");
});

test("cdi validate --json lists every file it checked, those that do not parse too", (t) => {
  const host = simHost(t);
  const dir = path.join(host, "specs");
  assert.equal(run(["--host-root", host, "cdi", "generate", "--vendor", "nvidia", "--output", dir]).status, 0);
  fs.writeFileSync(path.join(dir, "broken.yaml"), 'cdiVersion: "0.5.0"\nkind: [\n');
  const r = run(["cdi", "validate", dir, "--json"]);
  assert.equal(r.status, 1, r.stderr);
  const data = JSON.parse(r.stdout) as { valid: boolean; files: string[] };
  assert.equal(data.valid, false);
  assert.deepEqual(data.files.map((f) => path.basename(f)), ["broken.yaml", "nvidia-gpu.yaml", "nvidia-mig.yaml"]);
  assert.match(run(["cdi", "validate", dir]).stdout, /3 spec file\(s\)/);
});
