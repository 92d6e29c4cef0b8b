// Proves the e2e harness: a busybox container built by the test and run by bare runc.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { needs, program, tempDir } from "./harness/requirements.js";
import { findBusybox } from "./harness/rootfs.js";
import { createBundle } from "./harness/bundle.js";
import { runForeground, runLifecycle } from "./harness/runc.js";

const prerequisites = (t: import("node:test").TestContext): boolean => {
  if (!needs(t, { root: true, programs: ["runc"] })) return false;
  if (!findBusybox()) return needs(t, { programs: ["/bin/busybox (busybox-static)"] });
  return true;
};

test("runc runs a busybox container from a bundle the test built and returns its output", (t) => {
  if (!prerequisites(t)) return;
  const dir = tempDir(t);
  const bundle = path.join(dir, "bundle");
  createBundle(bundle, { args: ["/bin/sh", "-c", "echo hello from $HOSTNAME; cat /etc/passwd | head -1"] });
  const r = runForeground({ runtime: program("runc"), root: path.join(dir, "state"), bundle, id: `actk-e2e-${process.pid}` });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^hello from runc\nroot:x:0:0:root:\/root:\/bin\/sh\n$/);
});

test("create, start and delete a busybox container with its output captured through an fd", (t) => {
  if (!prerequisites(t)) return;
  const dir = tempDir(t);
  const bundle = path.join(dir, "bundle");
  createBundle(bundle, { args: ["/bin/sh", "-c", "echo $GREETING; ls /dev/null"], env: ["GREETING=lifecycle works"] });
  const r = runLifecycle({ runtime: program("runc"), root: path.join(dir, "state"), bundle, id: `actk-e2e-lc-${process.pid}` });
  assert.equal(r.create.status, 0, r.create.stderr);
  assert.equal(r.output, "lifecycle works\n/dev/null\n");
});
