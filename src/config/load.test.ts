import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { loadConfig, locateConfig, ParsedConfigCache } from "./load.js";
import { testPluginDefaults } from "./testdata/plugin-defaults.js";

function withTemp(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-config-"));
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

test("config location precedence: flag, ACTK_CONFIG_FILE, XDG_CONFIG_HOME, /etc under the host root", () => {
  const cases: Array<[string, Parameters<typeof locateConfig>[0], string, boolean]> = [
    ["flag wins", { file: "/f.toml", env: { ACTK_CONFIG_FILE: "/e.toml", XDG_CONFIG_HOME: "/x" } }, "/f.toml", true],
    ["env next", { env: { ACTK_CONFIG_FILE: "/e.toml", XDG_CONFIG_HOME: "/x" } }, "/e.toml", true],
    ["empty env is unset", { env: { ACTK_CONFIG_FILE: "", XDG_CONFIG_HOME: "/x" } }, "/x/actk/config.toml", false],
    ["xdg next", { env: { XDG_CONFIG_HOME: "/x" } }, "/x/actk/config.toml", false],
    ["/etc last", { env: {} }, "/etc/actk/config.toml", false],
    ["/etc under the host root", { env: {}, hostRoot: "/sim" }, "/sim/etc/actk/config.toml", false],
    ["host root / is the real /etc", { env: {}, hostRoot: "/" }, "/etc/actk/config.toml", false],
  ];
  for (const [name, opts, want, explicit] of cases) {
    const loc = locateConfig(opts);
    assert.equal(loc.path, want, name);
    assert.equal(loc.explicit, explicit, name);
  }
});

test("a missing file at a default location means defaults", () => {
  withTemp((dir) => {
    const r = loadConfig({ env: {}, hostRoot: dir, pluginDefaults: testPluginDefaults });
    assert.equal(r.source, "defaults");
    assert.equal(r.format, "defaults");
    assert.deepEqual(r.config.plugins["vendor.nvidia"], testPluginDefaults["vendor.nvidia"]);
  });
});

test("a missing file named by --config-file or ACTK_CONFIG_FILE is a host error", () => {
  withTemp((dir) => {
    for (const opts of [{ file: path.join(dir, "nope.toml"), env: {} }, { env: { ACTK_CONFIG_FILE: path.join(dir, "nope.toml") } }]) {
      assert.throws(() => loadConfig(opts), (e: unknown) => e instanceof ActkError && e.exitCode === ExitCode.host && /does not exist/.test(e.message));
    }
  });
});

test("the actk file found first is loaded; XDG beats /etc", () => {
  withTemp((dir) => {
    write(path.join(dir, "root/etc/actk/config.toml"), '[runtime]\nmode = "legacy"\n');
    const xdg = write(path.join(dir, "xdg/actk/config.toml"), '[runtime]\nmode = "cdi"\n');
    const r = loadConfig({ env: { XDG_CONFIG_HOME: path.join(dir, "xdg") }, hostRoot: path.join(dir, "root") });
    assert.equal(r.source, xdg);
    assert.equal(r.format, "actk");
    assert.equal(r.config.runtime.mode, "cdi");
    assert.equal(loadConfig({ env: {}, hostRoot: path.join(dir, "root") }).config.runtime.mode, "legacy");
  });
});

test("without an actk file, NVIDIA's config.toml under the host root is used", () => {
  withTemp((dir) => {
    const nv = write(path.join(dir, "etc/nvidia-container-runtime/config.toml"), '[nvidia-container-runtime]\nmode = "jit-cdi"\n');
    const r = loadConfig({ env: {}, hostRoot: dir, pluginDefaults: testPluginDefaults });
    assert.equal(r.source, nv);
    assert.equal(r.format, "nvidia");
    assert.equal(r.config.runtime.mode, "jit");
    write(path.join(dir, "etc/actk/config.toml"), "");
    assert.equal(loadConfig({ env: {}, hostRoot: dir }).format, "actk");
  });
});

test("malformed TOML is reported with file, line and column", () => {
  withTemp((dir) => {
    const f = write(path.join(dir, "c.toml"), '[runtime]\nmode = "cdi"\nruntimes = [\n');
    assert.throws(() => loadConfig({ file: f, env: {} }), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.equal(e.file, f);
      assert.equal(e.exitCode, ExitCode.badInput);
      assert.equal(typeof e.line, "number");
      assert.equal(typeof e.column, "number");
      assert.match(e.format(), /line \d+, column \d+: not valid TOML/);
      return true;
    });
  });
});

test("a directory given as the config file is bad input", () => {
  withTemp((dir) => {
    assert.throws(() => loadConfig({ file: dir, env: {} }), (e: unknown) => e instanceof ActkError && e.exitCode === ExitCode.badInput);
  });
});

test("a ParsedConfigCache parses the same bytes once and gives each caller its own copy; new bytes are parsed", () => {
  const cache = new ParsedConfigCache();
  const a = cache.load('[runtime]\nmode = "cdi"\n', "/etc/actk/config.toml", undefined, false);
  a.config.runtime.mode = "legacy";
  const b = cache.load('[runtime]\nmode = "cdi"\n', "/etc/actk/config.toml", undefined, false);
  assert.equal(b.config.runtime.mode, "cdi", "a caller's change never reaches the next one");
  assert.equal(cache.load('[runtime]\nmode = "jit"\n', "/etc/actk/config.toml", undefined, false).config.runtime.mode, "jit");
  assert.throws(() => cache.load('[runtime]\nmode = "fast"\n', "/etc/actk/config.toml", undefined, false), /got "fast"/);
});
