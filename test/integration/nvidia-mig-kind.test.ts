// `actk cdi generate` on a MIG host: nvidia-gpu.yaml (nvidia-ctk's names) plus nvidia-mig.yaml, as users run it.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";

const actk = path.resolve("dist/bin/actk");

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(actk, args, { encoding: "utf8" });
}

function simHost(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-nv-mig-kind-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, "host");
  const r = run(["sim", "create", "--profile", "dgx-h100", root]);
  assert.equal(r.status, 0, r.stderr);
  return root;
}

test("--output DIR writes nvidia-gpu.yaml and nvidia-mig.yaml; list shows both kinds and validate accepts the pair", (t) => {
  const root = simHost(t);
  const g = run(["--host-root", root, "cdi", "generate", "--vendor", "nvidia", "--output", path.join(root, "etc/cdi"), "--json"]);
  assert.equal(g.status, 0, g.stderr);
  const specs = (JSON.parse(g.stdout) as { specs: { kind: string; file: string; devices: string[] }[] }).specs;
  assert.deepEqual(specs.map((s) => [s.kind, path.basename(s.file)]), [["nvidia.com/gpu", "nvidia-gpu.yaml"], ["nvidia.com/mig", "nvidia-mig.yaml"]]);
  assert.deepEqual(specs[1]?.devices, ["0:0", "0:1", "0:2", "1:0", "1:1", "1:2", "all"]);
  assert.match(g.stderr, /MIG devices have no UUID here/);
  const l = run(["--host-root", root, "cdi", "list"]);
  assert.equal(l.status, 0, l.stderr);
  assert.match(l.stdout, /^nvidia\.com\/gpu=0:1$/m);
  assert.match(l.stdout, /^nvidia\.com\/mig=0:1$/m);
  const v = run(["--host-root", root, "cdi", "validate", "--json"]);
  assert.equal(v.status, 0, v.stdout);
});

test("one output file or stdout gets the nvidia.com/gpu spec only (MIG devices in it as G:I)", (t) => {
  const root = simHost(t);
  const file = path.join(root, "nvidia.yaml");
  const g = run(["--host-root", root, "cdi", "generate", "--vendor", "nvidia", "--output", file]);
  assert.equal(g.status, 0, g.stderr);
  const text = fs.readFileSync(file, "utf8");
  assert.match(text, /^kind: nvidia\.com\/gpu$/m);
  assert.match(text, /name: "1:2"/);
  const s = run(["--host-root", root, "cdi", "generate", "--vendor", "nvidia"]);
  assert.equal(s.status, 0, s.stderr);
  assert.equal((s.stdout.match(/^kind: /gm) ?? []).length, 1);
});
