// refresh with the real vendor plugins on simulated hosts: what it rewrites, what it leaves alone, and the reasons it gives.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PluginType } from "../core/registry.js";
import { HostRoot } from "../host/host-root.js";
import { createRegistry } from "../plugins.js";
import { createSimHost } from "../sim/create.js";
import type { Vendor } from "../vendors/vendor.js";
import { contentHash, generateSpecs } from "./generate.js";
import { parseSpecText } from "./load.js";
import { describeChange, parseRecordedCommand, readGenerationRecord, refreshSpecs, splitCommandLine, type RefreshOptions } from "./refresh.js";
import type { CdiSpec } from "./spec.js";
import { transformRoot } from "./transform.js";
import { serializeSpec } from "./write.js";

function simHost(t: TestContext): HostRoot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-refresh-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, "host");
  createSimHost({ profile: "dgx-h100", dir: root });
  return new HostRoot(root);
}

const vendorsFor = (root: HostRoot, ids: readonly string[] | undefined): Vendor[] =>
  createRegistry(root).init().all<Vendor>(PluginType.vendor).filter((v) => !ids || ids.includes(v.id));

/** Generate the NVIDIA spec into <root>/etc/cdi the way `actk cdi generate --output` does. */
function generateInto(host: HostRoot, format: "yaml" | "json" = "yaml", annotations: "auto" | "always" = "auto"): string {
  const dir = host.hostPath("/etc/cdi");
  const command = `actk cdi generate --host-root ${host.root} --vendor nvidia --annotations ${annotations} --format ${format} --output ${dir}`;
  const g = generateSpecs(vendorsFor(host, ["nvidia"]), {
    strategies: ["index", "uuid"], cdiVersion: "minimum", hookPath: "/usr/local/bin/actk-hook", host, annotations, command, actkVersion: "test",
  }).specs.find((x) => x.kind === "nvidia.com/gpu");
  assert.ok(g);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${g.baseName}.${format}`);
  fs.writeFileSync(file, serializeSpec(g.spec, format, g.header), { mode: 0o640 });
  return file;
}

function options(host: HostRoot, over: Partial<RefreshOptions> = {}): RefreshOptions {
  return { host, paths: [host.hostPath("/etc/cdi")], vendorsFor, hookPath: "/usr/local/bin/actk-hook", actkVersion: "test", ...over };
}

/** Move nvidia-uvm to another major, as a module reload that got a different dynamic major does. */
function renumberUvm(host: HostRoot, from: number, to: number): void {
  const devices = host.hostPath("/proc/devices");
  fs.writeFileSync(devices, fs.readFileSync(devices, "utf8").replace(`${from} nvidia-uvm`, `${to} nvidia-uvm`));
  const node = host.hostPath("/dev/nvidia-uvm");
  const st = fs.statSync(node);
  fs.rmSync(node);
  if (st.isCharacterDevice()) {
    assert.equal(spawnSync("mknod", ["-m", "666", node, "c", String(to), "0"]).status, 0);
  } else {
    fs.writeFileSync(node, `actk-sim placeholder char device ${to}:0\n`, { mode: 0o666 });
  }
}

function setDriverVersion(host: HostRoot, from: string, to: string): void {
  const f = host.hostPath("/proc/driver/nvidia/version");
  fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(from, to));
}

const specOf = (file: string): CdiSpec => parseSpecText(fs.readFileSync(file, "utf8"), file).spec;
const uvmMajor = (spec: CdiSpec): number | undefined =>
  [spec.containerEdits, ...spec.devices.map((d) => d.containerEdits)].flatMap((e) => e?.deviceNodes ?? []).find((n) => n.path === "/dev/nvidia-uvm")?.major;

test("a spec generated for the host as it is stays byte-for-byte the same", (t) => {
  const host = simHost(t);
  const file = generateInto(host);
  const before = fs.readFileSync(file, "utf8");
  const [o] = refreshSpecs(options(host));
  assert.deepEqual(o, { file, changed: false, reason: "up to date" });
  assert.equal(fs.readFileSync(file, "utf8"), before);
});

test("a new nvidia-uvm major and driver version are written, with both named in the reason, keeping the file mode", (t) => {
  const host = simHost(t);
  const file = generateInto(host);
  renumberUvm(host, 509, 508);
  setDriverVersion(host, "550.54.15", "550.90.07");
  const [o] = refreshSpecs(options(host));
  assert.equal(o?.changed, true);
  assert.match(o?.reason ?? "", /driver version 550\.54\.15→550\.90\.07/);
  assert.match(o?.reason ?? "", /device node \/dev\/nvidia-uvm 509:0→508:0/);
  assert.equal(uvmMajor(specOf(file)), 508);
  assert.match(fs.readFileSync(file, "utf8"), /actk\.io\/driver-version: 550\.90\.07/);
  assert.equal(fs.statSync(file).mode & 0o777, 0o640);
  assert.deepEqual(refreshSpecs(options(host)).map((x) => x.reason), ["up to date"], "a second pass changes nothing");
});

test("a dry run reports the change and writes nothing", (t) => {
  const host = simHost(t);
  const file = generateInto(host);
  const before = fs.readFileSync(file, "utf8");
  renumberUvm(host, 509, 507);
  const [o] = refreshSpecs(options(host, { dryRun: true }));
  assert.equal(o?.changed, true);
  assert.equal(fs.readFileSync(file, "utf8"), before);
});

test("a JSON spec with its record in annotations is refreshed as JSON", (t) => {
  const host = simHost(t);
  const file = generateInto(host, "json", "always");
  renumberUvm(host, 509, 508);
  const [o] = refreshSpecs(options(host));
  assert.equal(o?.changed, true);
  assert.ok(fs.readFileSync(file, "utf8").startsWith("{"));
  assert.equal(uvmMajor(specOf(file)), 508);
});

test("a spec actk did not generate is never touched", (t) => {
  const host = simHost(t);
  const file = generateInto(host);
  const foreign = path.join(path.dirname(file), "vendor-other.yaml");
  const text = `cdiVersion: "0.5.0"\nkind: example.com/gpu\ndevices:\n  - name: "0"\n    containerEdits:\n      deviceNodes:\n        - path: /dev/nvidia-uvm\n          major: 1\n          minor: 1\n`;
  fs.writeFileSync(foreign, text);
  renumberUvm(host, 509, 508);
  const outcomes = refreshSpecs(options(host));
  const o = outcomes.find((x) => x.file === foreign);
  assert.equal(o?.skipped, true);
  assert.match(o?.reason ?? "", /not generated by actk/);
  assert.equal(fs.readFileSync(foreign, "utf8"), text);
});

test("a spec edited by hand since generation is left alone unless forced", (t) => {
  const host = simHost(t);
  const file = generateInto(host);
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("permissions: rwm", "permissions: rw"));
  const edited = fs.readFileSync(file, "utf8");
  renumberUvm(host, 509, 508);
  const [o] = refreshSpecs(options(host));
  assert.equal(o?.skipped, true);
  assert.match(o?.reason ?? "", /edited by hand/);
  assert.equal(fs.readFileSync(file, "utf8"), edited);
  const [forced] = refreshSpecs(options(host, { force: true }));
  assert.equal(forced?.changed, true);
});

test("MIG instances and devices that come and go are named in the reason", () => {
  const edits = { deviceNodes: [{ path: "/dev/nvidia0", major: 195, minor: 0 }] };
  const spec = (names: string[]): CdiSpec => ({ cdiVersion: "0.5.0", kind: "nvidia.com/gpu", devices: names.map((name) => ({ name, containerEdits: edits })) });
  assert.equal(describeChange(spec(["0", "0:0", "0:1"]), spec(["0", "0:0", "0:2", "1"])), "MIG instances added: 0:2; removed: 0:1; devices added: 1");
});

test("the generation record is read from annotations and from the YAML header", () => {
  const cmd = "actk cdi generate --vendor nvidia --output /etc/cdi";
  const spec: CdiSpec = { cdiVersion: "0.6.0", kind: "nvidia.com/gpu", devices: [], annotations: { "actk.io/generate-command": cmd, "actk.io/driver-version": "1.2.3" } };
  assert.deepEqual(readGenerationRecord("", spec), { command: cmd, driverVersion: "1.2.3" });
  const header = `---\n# Generated by actk 0.1.0; regenerate with: ${cmd}\n# actk.io/driver-version: 550.54.15\ncdiVersion: "0.5.0"\n`;
  assert.deepEqual(readGenerationRecord(header, { cdiVersion: "0.5.0", kind: "nvidia.com/gpu", devices: [] }), { command: cmd, driverVersion: "550.54.15", generatedBy: "actk 0.1.0" });
  assert.equal(readGenerationRecord("cdiVersion: 0.5.0\n", { cdiVersion: "0.5.0", kind: "x.com/y", devices: [] }), undefined);
});

test("recorded commands are split and parsed back into generate options, quoted values included", () => {
  assert.deepEqual(splitCommandLine('actk cdi generate --host-root "/tmp/a b" --vendor all'), ["actk", "cdi", "generate", "--host-root", "/tmp/a b", "--vendor", "all"]);
  const r = parseRecordedCommand("actk cdi generate --vendor nvidia --device-name-strategy uuid --no-all-device --cdi-version 0.6.0 --output /etc/cdi");
  assert.deepEqual([r.vendor, r.strategies, r.allDevice, r.cdiVersion, r.output], ["nvidia", ["uuid"], false, "0.6.0", "/etc/cdi"]);
  assert.throws(() => parseRecordedCommand("actk cdi generate --bogus 1", "/etc/cdi/x.yaml"), /cannot be repeated/);
});

test("a spec written as the host itself sees it (install under --host-root) stays that way when refreshed under the root", (t) => {
  const host = simHost(t);
  const dir = host.hostPath("/etc/cdi");
  const command = "actk cdi generate --vendor all --cdi-version minimum --annotations auto --output /etc/cdi";
  const g = generateSpecs(vendorsFor(host, ["nvidia"]), {
    strategies: ["index", "uuid"], cdiVersion: "minimum", hookPath: "/usr/local/bin/actk-hook", host, annotations: "auto", command, actkVersion: "test",
  }).specs.find((x) => x.kind === "nvidia.com/gpu");
  assert.ok(g);
  // What `actk install --host-root` writes: host paths moved to "/", no host-root in the record, hash to match.
  const moved = transformRoot(g.spec, host.root, "/");
  const header = g.header.filter((h) => !h.startsWith("actk.io/host-root:")).map((h) => (h.startsWith("actk.io/content-hash:") ? `actk.io/content-hash: ${contentHash(moved)}` : h));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "nvidia-gpu.yaml");
  fs.writeFileSync(file, serializeSpec(moved, "yaml", header));
  assert.deepEqual(refreshSpecs(options(host)).map((o) => o.reason), ["up to date"]);
  renumberUvm(host, 509, 508);
  const [o] = refreshSpecs(options(host));
  assert.equal(o?.changed, true, o?.reason);
  const text = fs.readFileSync(file, "utf8");
  assert.ok(!text.includes(host.root), "no host path under the root");
  assert.equal(uvmMajor(specOf(file)), 508);
});

test("a MIG instance destroyed on the host is dropped from the spec with its capability nodes", (t) => {
  const host = simHost(t);
  const file = generateInto(host);
  fs.rmSync(host.hostPath("/proc/driver/nvidia/capabilities/gpu1/mig/gi9"), { recursive: true });
  const [o] = refreshSpecs(options(host));
  assert.equal(o?.changed, true);
  assert.match(o?.reason ?? "", /MIG instances removed: 1:2/);
  assert.ok(!specOf(file).devices.some((d) => d.name === "1:2"));
});
