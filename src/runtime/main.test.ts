import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { ActkError } from "../core/errors.js";
import { errorLine, runtimeMain, setupRuntime } from "./main.js";

function setup(t: TestContext, env: string[]): { dir: string; bundle: string; spec: string; runtime: string; baseEnv: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(path.join(tmpdir(), "actk-runtime-main-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, "bundle");
  mkdirSync(bundle);
  const spec = JSON.stringify({ ociVersion: "1.0.2", process: { env: ["PATH=/bin", ...env], args: ["true"] } });
  writeFileSync(path.join(bundle, "config.json"), spec);
  const runtime = path.join(dir, "fake-runc");
  writeFileSync(runtime, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\nexit 5\n`);
  chmodSync(runtime, 0o755);
  const config = path.join(dir, "config.toml");
  writeFileSync(config, `[runtime]\nruntimes = [${JSON.stringify(runtime)}]\nlog-file = ${JSON.stringify(path.join(dir, "actk.log"))}\n`);
  const host = path.join(dir, "host");
  mkdirSync(host);
  return { dir, bundle, spec, runtime, baseEnv: { PATH: "/usr/bin:/bin", ACTK_CONFIG_FILE: config, ACTK_HOST_ROOT: host } };
}

test("runtime main: a request that cannot be met fails create, writes runc's JSON log line and leaves config.json", async (t) => {
  const s = setup(t, ["ASCEND_VISIBLE_DEVICES=0"]);
  const log = path.join(s.dir, "log.json");
  const code = await runtimeMain({
    argv: ["--root", "/run/x", "--log", log, "--log-format", "json", "create", "--bundle", s.bundle, "c1"],
    env: { ...s.baseEnv, ACTK_RUNTIME_STAGE: "prepare" }, self: "/usr/bin/actk-runtime",
  });
  assert.notEqual(code, 0);
  assert.equal(readFileSync(path.join(s.bundle, "config.json"), "utf8"), s.spec);
  const rec = JSON.parse(readFileSync(log, "utf8").trim()) as { level: string; msg: string };
  assert.equal(rec.level, "error");
  assert.match(rec.msg, /^actk-runtime: .*ASCEND_VISIBLE_DEVICES.*run `actk doctor` for a full diagnosis$/);
  assert.match(readFileSync(path.join(s.dir, "actk.log"), "utf8"), /"level":"error"/);
});

test("runtime main started directly hands over to the low-level runtime with the same arguments and returns its code", async (t) => {
  const s = setup(t, ["HOME=/root"]);
  const argv = ["--root", "/run/x", "create", "--bundle", s.bundle, "c1"];
  const code = await runtimeMain({ argv, env: s.baseEnv, self: "/usr/bin/actk-runtime" });
  assert.equal(code, 5);
  assert.deepEqual(readFileSync(path.join(s.dir, "argv"), "utf8").trimEnd().split("\n"), argv);
  assert.equal(readFileSync(path.join(s.bundle, "config.json"), "utf8"), s.spec);
});

test("the error line is one line and always ends with the doctor hint", () => {
  const line = errorLine(new ActkError("no runtime\nfound", { place: "runtime.runtimes", fix: "install runc" }));
  assert.equal(line, "actk-runtime: runtime.runtimes: no runtime found. Fix: install runc; run `actk doctor` for a full diagnosis");
});

test("the runtime reads the system config, never $XDG_CONFIG_HOME's (the launcher does not either)", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "actk-runtime-xdg-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const host = path.join(dir, "host");
  mkdirSync(path.join(host, "etc/actk"), { recursive: true });
  writeFileSync(path.join(host, "etc/actk/config.toml"), '[runtime]\nmode = "cdi"\nlog-file = ""\n');
  mkdirSync(path.join(dir, "xdg/actk"), { recursive: true });
  writeFileSync(path.join(dir, "xdg/actk/config.toml"), '[runtime]\nmode = "legacy"\nlog-file = ""\n');
  const s = setupRuntime({ PATH: "/usr/bin:/bin", ACTK_HOST_ROOT: host, XDG_CONFIG_HOME: path.join(dir, "xdg") }, false);
  assert.equal(s.config.runtime.mode, "cdi");
  assert.equal(s.configSource, path.join(host, "etc/actk/config.toml"));
});
