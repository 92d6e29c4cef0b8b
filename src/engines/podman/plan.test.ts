import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseToml } from "smol-toml";
import { assertGolden, options, type Loose } from "../testdata/golden.js";
import { revertTomlChanges } from "../toml-edit.js";
import { planPodman } from "./plan.js";

const main = "/etc/containers/containers.conf";
const dropIn = "/etc/containers/containers.conf.d/99-actk.conf";

test("podman: a containers.conf drop-in with [engine.runtimes] and the default runtime; no restart (golden)", () => {
  const plan = planPodman(options({ configPath: main, dropInPath: dropIn, setAsDefault: true }), new Map([[dropIn, undefined]]));
  const p = parseToml(plan.files[0]!.after!) as Loose;
  assert.deepEqual([...p.engine.runtimes.actk], ["/usr/local/bin/actk-runtime"]);
  assert.equal(p.engine.runtime, "actk");
  assert.equal(plan.restartNeeded, false);
  assertGolden("podman.drop-in.conf", plan.files[0]!.after!);
});

test("podman in place keeps an existing containers.conf's comments and restores it byte for byte", () => {
  const before = '# my settings\n[engine]\n# keep\nevents_logger = "file"\n\n[engine.runtimes]\ncrun = ["/usr/bin/crun"]\n';
  const f = planPodman(options({ configPath: main, dropInPath: "", setAsDefault: true }), new Map([[main, before]])).files[0]!;
  assert.match(f.after!, /# keep/);
  assert.equal(revertTomlChanges(f.after!, main, f.changes, f.appended).text, before);
});
