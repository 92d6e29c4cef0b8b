import { test } from "node:test";
import assert from "node:assert/strict";
import { childEnv, hostProgram, runHost, scrubOwnEnv } from "./host-exec.js";

test("children get exactly PATH and LC_ALL, never the hook's LD_PRELOAD or LD_LIBRARY_PATH", () => {
  const saved = { ...process.env };
  process.env.LD_LIBRARY_PATH = "/proc/self/cwd";
  process.env.SECRET_FROM_ENGINE = "x";
  try {
    const env = hostProgram("env");
    const r = runHost("print env", env, []);
    assert.deepEqual(r.stdout.trim().split("\n").sort(), ["LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]);
    assert.deepEqual(Object.keys(childEnv()).sort(), ["LC_ALL", "PATH"]);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  }
});

test("the hook drops loader and Node injection variables from its own environment", () => {
  const env: NodeJS.ProcessEnv = { LD_PRELOAD: "/proc/self/cwd/evil.so", LD_LIBRARY_PATH: "/x", NODE_OPTIONS: "--require x", HOME: "/root" };
  assert.deepEqual(scrubOwnEnv(env).sort(), ["LD_LIBRARY_PATH", "LD_PRELOAD", "NODE_OPTIONS"]);
  assert.deepEqual(env, { HOME: "/root" });
});

test("host programs are looked up in the fixed system dirs only and refused inside a rootfs", () => {
  const mount = hostProgram("mount");
  assert.ok(mount.startsWith("/"));
  assert.throws(() => hostProgram("mount", ["/"]), /inside a container root filesystem/);
  assert.throws(() => hostProgram("actk-no-such-program"), /not found/);
});
