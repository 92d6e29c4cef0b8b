/**
 * `actk plugins` through the built CLI: every vendor, engine and doctor plugin
 * is listed, and a plugin whose init fails (here: the NVIDIA plugin given a
 * discovery-mode it does not know) is shown with its error while the others
 * keep working.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { distBin, tempDir } from "../e2e/harness/requirements.js";

function actk(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(distBin("actk"), args, { encoding: "utf8", env: { PATH: process.env.PATH, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A mixed simulated host and a config file giving the NVIDIA plugin `nvidiaSettings`. */
function mixedHostWithNvidiaConfig(t: TestContext, nvidiaSettings: string): { host: string; config: string } {
  const dir = tempDir(t, "actk-plugins-it-");
  const host = path.join(dir, "h");
  assert.equal(actk(["sim", "create", "--profile", "mixed", host]).status, 0);
  const config = path.join(dir, "config.toml");
  fs.writeFileSync(config, `[plugins."actk.vendor.v1".nvidia]\n${nvidiaSettings}\n`);
  return { host, config };
}

interface PluginsJson { plugins: { type: string; id: string; status: string; error: string | null }[] }

test("actk plugins lists the vendor, engine and doctor plugins as ok", () => {
  const r = actk(["plugins", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const { plugins } = JSON.parse(r.stdout) as PluginsJson;
  const ids = (type: string): string[] => plugins.filter((p) => p.type === type).map((p) => p.id);
  assert.deepEqual(ids("actk.vendor.v1"), ["nvidia", "ascend", "amd"]);
  assert.deepEqual(ids("actk.engine.v1"), ["docker", "containerd", "crio", "podman"]);
  assert.ok(ids("actk.doctor.v1").includes("devices"));
  assert.ok(plugins.every((p) => p.status === "ok"), JSON.stringify(plugins));
  const table = actk(["plugins"]);
  assert.match(table.stdout, /^TYPE\s+ID\s+STATUS\s+ERROR$/m);
});

test("a plugin whose init fails is listed with its error and the other vendors still work", (t) => {
  const { host, config } = mixedHostWithNvidiaConfig(t, 'discovery-mode = "nvml"');
  const env = { ACTK_CONFIG_FILE: config };
  const r = actk(["plugins", "--json"], env);
  assert.equal(r.status, 0, r.stderr);
  const nvidia = (JSON.parse(r.stdout) as PluginsJson).plugins.find((p) => p.id === "nvidia");
  assert.equal(nvidia?.status, "error");
  assert.match(nvidia?.error ?? "", /discovery-mode "nvml" is not one of auto, procfs, csv/);
  const info = actk(["--host-root", host, "info", "--json"], env);
  assert.equal(info.status, 0, info.stderr);
  const vendors = (JSON.parse(info.stdout) as { vendors: { vendor: string; devices: unknown[] }[] }).vendors;
  assert.deepEqual(vendors.map((v) => [v.vendor, v.devices.length]), [["ascend", 2], ["amd", 0]]);
});

test("a command that needs a failed vendor names its error and one fix", (t) => {
  const { host, config } = mixedHostWithNvidiaConfig(t, 'nvml = "sometimes"');
  for (const args of [["info", "--vendor", "nvidia"], ["cdi", "generate", "--vendor", "nvidia"]]) {
    const r = actk(["--host-root", host, ...args], { ACTK_CONFIG_FILE: config });
    assert.equal(r.status, 4, args.join(" "));
    assert.match(r.stderr, /^actk: --vendor: vendor nvidia is not available: .*nvml must be "auto" or "off", not "sometimes"\. Fix: set nvml = "auto"/, args.join(" "));
    assert.equal(r.stderr.split("Fix:").length - 1, 1, `${args.join(" ")}: one fix: ${r.stderr}`);
  }
});
