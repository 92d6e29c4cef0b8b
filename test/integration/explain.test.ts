/**
 * `actk explain` driven through the built dist/bin/actk: the JSON contract
 * (keys and order per request), exit codes, bundles (good and malformed) and
 * the human sentences. Cases that need a vendor plugin skip, saying so, while
 * that plugin does not initialise (`actk plugins`).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { distBin, tempDir } from "../e2e/harness/requirements.js";

interface Run { status: number | null; stdout: string; stderr: string }

function actk(args: string[], cwd: string): Run {
  // A clean environment: no ACTK_CONFIG_FILE / XDG_CONFIG_HOME / ACTK_HOST_ROOT from the caller.
  // The request model alone; explain's check against the host has its own tests below.
  if (args[0] === "explain" && !args.includes("--host-root")) args = ["explain", "--no-host", ...args.slice(1)];
  const r = spawnSync(distBin("actk"), args, { cwd, encoding: "utf8", env: { PATH: process.env.PATH, XDG_CONFIG_HOME: path.join(cwd, "xdg") } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let vendorStatus: Map<string, string> | undefined;
/** True when the vendor plugin initialises; otherwise the test is skipped with the plugin's error. */
function vendorReady(t: TestContext, id: string, cwd: string): boolean {
  if (!vendorStatus) {
    const r = actk(["plugins", "--json"], cwd);
    const data = JSON.parse(r.stdout) as { plugins: { type: string; id: string; status: string; error: string | null }[] };
    vendorStatus = new Map(data.plugins.filter((p) => p.type === "actk.vendor.v1").map((p) => [p.id, p.status === "ok" ? "ok" : p.error ?? p.status]));
  }
  const s = vendorStatus.get(id);
  if (s === "ok") return true;
  t.skip(`vendor plugin ${id} does not initialise yet: ${s ?? "not registered"}`);
  return false;
}

const requestKeys = ["vendor", "source", "devices", "capabilities", "requirements", "migConfigDevices", "migMonitorDevices", "options"];

test("explain --json gives exactly the documented NVIDIA request", (t) => {
  const dir = tempDir(t, "actk-explain-");
  if (!vendorReady(t, "nvidia", dir)) return;
  const r = actk(["explain", "--json", "--env", "NVIDIA_VISIBLE_DEVICES=0,1", "--env", "NVIDIA_REQUIRE_CUDA=cuda>=11.0"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    requests: [{ vendor: "nvidia", source: "env", devices: ["0", "1"], capabilities: ["compute", "utility"], requirements: ["cuda>=11.0"], migConfigDevices: null, migMonitorDevices: null, options: [] }],
    errors: [],
    checkedOnHost: false,
  });
  assert.deepEqual(Object.keys((JSON.parse(r.stdout) as { requests: object[] }).requests[0] as object), requestKeys);
});

test("explain --json: NVIDIA none gives [] devices with capabilities, void gives no entry", (t) => {
  const dir = tempDir(t, "actk-explain-");
  if (!vendorReady(t, "nvidia", dir)) return;
  const none = JSON.parse(actk(["explain", "--json", "--env", "NVIDIA_VISIBLE_DEVICES=none", "--env", "NVIDIA_DRIVER_CAPABILITIES=utility"], dir).stdout) as { requests: { devices: string[]; capabilities: string[] }[] };
  assert.deepEqual(none.requests.map((q) => [q.devices, q.capabilities]), [[[], ["utility"]]]);
  const voided = actk(["explain", "--json", "--env", "NVIDIA_VISIBLE_DEVICES=void"], dir);
  assert.equal(voided.status, 0);
  assert.deepEqual(JSON.parse(voided.stdout), { requests: [], errors: [], checkedOnHost: false });
});

test("explain: an invalid NVIDIA capability is an error and exits 1", (t) => {
  const dir = tempDir(t, "actk-explain-");
  if (!vendorReady(t, "nvidia", dir)) return;
  const r = actk(["explain", "--json", "--env", "NVIDIA_VISIBLE_DEVICES=all", "--env", "NVIDIA_DRIVER_CAPABILITIES=compute,gaming"], dir);
  assert.equal(r.status, 1);
  const data = JSON.parse(r.stdout) as { requests: unknown[]; errors: string[] };
  assert.deepEqual(data.requests, []);
  assert.match(data.errors.join("\n"), /unknown driver capability "gaming"/);
});

test("explain --json gives the Ascend request with its options", (t) => {
  const dir = tempDir(t, "actk-explain-");
  if (!vendorReady(t, "ascend", dir)) return;
  const r = actk(["explain", "--json", "--env", "ASCEND_VISIBLE_DEVICES=3,0-1", "--env", "ASCEND_RUNTIME_OPTIONS=NODRV"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    requests: [{ vendor: "ascend", source: "env", devices: ["0", "1", "3"], capabilities: [], requirements: [], migConfigDevices: null, migMonitorDevices: null, options: ["NODRV", "mounts=base"] }],
    errors: [],
    checkedOnHost: false,
  });
});

test("explain: a bad Ascend range is reported under errors and exits 1", (t) => {
  const dir = tempDir(t, "actk-explain-");
  if (!vendorReady(t, "ascend", dir)) return;
  const r = actk(["explain", "--json", "--env", "ASCEND_VISIBLE_DEVICES=3-1"], dir);
  assert.equal(r.status, 1);
  assert.match((JSON.parse(r.stdout) as { errors: string[] }).errors.join(), /range "3-1" starts after it ends/);
  const human = actk(["explain", "--env", "ASCEND_VISIBLE_DEVICES=3-1"], dir);
  assert.equal(human.status, 1);
  assert.match(human.stdout, /Errors:/);
});

test("explain --json gives the AMD request", (t) => {
  const dir = tempDir(t, "actk-explain-");
  if (!vendorReady(t, "amd", dir)) return;
  const r = actk(["explain", "--json", "--env", "AMD_VISIBLE_DEVICES=0-1"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    requests: [{ vendor: "amd", source: "env", devices: ["0", "1"], capabilities: [], requirements: [], migConfigDevices: null, migMonitorDevices: null, options: [] }],
    errors: [],
    checkedOnHost: false,
  });
});

test("explain: a container that asks for nothing has no entry and exits 0", (t) => {
  const dir = tempDir(t, "actk-explain-");
  const r = actk(["explain", "--json", "--env", "PATH=/bin"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { requests: [], errors: [], checkedOnHost: false });
  const human = actk(["explain", "--env", "PATH=/bin"], dir);
  assert.match(human.stdout, /asks for no accelerator/);
});

test("explain: CDI annotations become requests with cdiDevices; a bad name exits 1", (t) => {
  const dir = tempDir(t, "actk-explain-");
  const r = actk(["explain", "--json", "--annotation", "cdi.k8s.io/fpga=example.com/fpga=0,example.com/fpga=1"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as { requests: unknown[] }).requests, [{
    vendor: "example.com", source: "annotations", devices: ["example.com/fpga=0", "example.com/fpga=1"], capabilities: [], requirements: [],
    migConfigDevices: null, migMonitorDevices: null, options: [], cdiDevices: ["example.com/fpga=0", "example.com/fpga=1"],
  }]);
  const bad = actk(["explain", "--json", "--annotation", "cdi.k8s.io/gpu=gpu0"], dir);
  assert.equal(bad.status, 1);
  assert.match((JSON.parse(bad.stdout) as { errors: string[] }).errors.join(), /annotation cdi\.k8s\.io\/gpu: "gpu0" is not a fully qualified CDI device name/);
});

test("explain --bundle reads config.json: env, annotations and privilege", (t) => {
  const dir = tempDir(t, "actk-explain-");
  if (!vendorReady(t, "ascend", dir)) return;
  const bundle = path.join(dir, "bundle");
  fs.mkdirSync(bundle);
  fs.writeFileSync(path.join(bundle, "config.json"), JSON.stringify({
    ociVersion: "1.0.2",
    process: { env: ["PATH=/bin", "ASCEND_VISIBLE_DEVICES=2"], capabilities: { bounding: ["CAP_SYS_ADMIN"] } },
    root: { path: "rootfs" },
    annotations: { "cdi.k8s.io/x": "example.com/fpga=0" },
  }, null, 2));
  const r = actk(["explain", "--json", "--bundle", bundle], dir);
  assert.equal(r.status, 0, r.stderr);
  const data = JSON.parse(r.stdout) as { requests: { vendor: string; devices: string[] }[] };
  assert.deepEqual(data.requests.map((q) => [q.vendor, q.devices]), [["ascend", ["2"]], ["example.com", ["example.com/fpga=0"]]]);
  const human = actk(["explain", "--bundle", bundle], dir);
  assert.match(human.stdout, /ASCEND_VISIBLE_DEVICES=2, so NPU 2 .* is injected\./);
});

test("explain --bundle with a malformed config.json names file, line and column and exits 3", (t) => {
  const dir = tempDir(t, "actk-explain-");
  fs.writeFileSync(path.join(dir, "config.json"), '{\n  "ociVersion": "1.0.2",\n  "process": { "env": ["A=1" "B=2"] }\n}\n');
  const r = actk(["explain", "--bundle", dir], dir);
  assert.equal(r.status, 3);
  assert.match(r.stderr, new RegExp(`^actk: ${path.join(dir, "config.json").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: line 3, column 30: malformed JSON`));
});

test("explain --bundle without config.json is a host error (exit 4)", (t) => {
  const dir = tempDir(t, "actk-explain-");
  const r = actk(["explain", "--bundle", path.join(dir, "nope")], dir);
  assert.equal(r.status, 4);
  assert.match(r.stderr, /config\.json: no such file or directory/);
});

test("explain without inputs or with a bad --env is a usage error (exit 2)", (t) => {
  const dir = tempDir(t, "actk-explain-");
  const none = actk(["explain"], dir);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /nothing to explain/);
  const bad = actk(["explain", "--env", "NVIDIA_VISIBLE_DEVICES"], dir);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /is not KEY=VALUE/);
  const help = actk(["explain", "--help"], dir);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--bundle DIR/);
});

test("explain checks the requests against the host: the devices each gets, and an unknown device exits 1 listing the host's", (t) => {
  const dir = tempDir(t, "actk-explain-");
  if (!vendorReady(t, "nvidia", dir)) return;
  const host = path.join(dir, "host");
  assert.equal(actk(["sim", "create", "--profile", "dgx-h100", host], dir).status, 0);
  const ok = actk(["--host-root", host, "explain", "--json", "--env", "NVIDIA_VISIBLE_DEVICES=1"], dir);
  assert.equal(ok.status, 0, ok.stderr);
  const data = JSON.parse(ok.stdout) as { checkedOnHost: boolean; requests: { hostDevices: { kind: string; index: string; uuid: string; deviceNodes: string[] }[] }[] };
  assert.equal(data.checkedOnHost, true);
  assert.deepEqual(data.requests[0]?.hostDevices.map((d) => [d.kind, d.index, d.deviceNodes[0]]), [["nvidia.com/gpu", "1", "/dev/nvidia1"]]);
  assert.match(actk(["--host-root", host, "explain", "--env", "NVIDIA_VISIBLE_DEVICES=1"], dir).stdout, /on this host: nvidia\.com\/gpu=1 \(GPU-[0-9a-f-]+\) \/dev\/nvidia1/);
  for (const id of ["99", "GPU-nope", "0:9"]) {
    const bad = actk(["--host-root", host, "explain", "--json", "--env", `NVIDIA_VISIBLE_DEVICES=${id}`], dir);
    assert.equal(bad.status, 1, `${id}: ${bad.stdout}`);
    const errors = (JSON.parse(bad.stdout) as { errors: string[] }).errors;
    assert.match(errors.join("\n"), new RegExp(`unknown NVIDIA device "${id}".*use one of: 0 \\(GPU-`), id);
  }
  // --no-host: the request alone, as on a machine without the devices.
  const offHost = actk(["--host-root", host, "explain", "--no-host", "--json", "--env", "NVIDIA_VISIBLE_DEVICES=99"], dir);
  assert.equal(offHost.status, 0, offHost.stderr);
  assert.equal((JSON.parse(offHost.stdout) as { checkedOnHost: boolean }).checkedOnHost, false);
});

test("explain stops (exit 4) when a vendor plugin did not initialise, instead of reading its requests as none", (t) => {
  const dir = tempDir(t, "actk-explain-");
  const config = path.join(dir, "config.toml");
  fs.writeFileSync(config, '[plugins."actk.vendor.v1".nvidia]\nnvml = "bogus"\n');
  const r = actk(["--config-file", config, "explain", "--env", "NVIDIA_VISIBLE_DEVICES=0"], dir);
  assert.equal(r.status, 4, r.stdout + r.stderr);
  assert.match(r.stderr, /^actk: the nvidia vendor plugin is not available: .*nvml/);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.equal(r.stdout, "");
});
