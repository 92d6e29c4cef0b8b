import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseToml } from "smol-toml";
import { assertGolden, fixture, options, type Loose } from "../testdata/golden.js";
import { revertTomlChanges } from "../toml-edit.js";
import { planCrio } from "./plan.js";

const main = "/etc/crio/crio.conf";
const dropIn = "/etc/crio/crio.conf.d/99-actk.conf";
const opts = (over = {}) => options({ configPath: main, dropInPath: dropIn, ...over });

test("CRI-O: a drop-in with the runtime, monitor_path kept from the default runtime, and default_runtime (golden)", () => {
  const plan = planCrio(opts({ setAsDefault: true }), new Map([[main, fixture("crio.conf")], [dropIn, undefined]]));
  assert.deepEqual(plan.files.map((f) => f.path), [dropIn]);
  const p = parseToml(plan.files[0]!.after!) as Loose;
  assert.deepEqual({ ...p.crio.runtime.runtimes.actk }, { runtime_path: "/usr/local/bin/actk-runtime", runtime_type: "oci", monitor_path: "/usr/libexec/crio/conmon" });
  assert.equal(p.crio.runtime.default_runtime, "actk");
  assert.equal(plan.restartNeeded, true);
  assertGolden("crio.drop-in.conf", plan.files[0]!.after!);
});

test("CRI-O without a main config: no monitor_path, and --cdi.enabled only notes that CDI is always on", () => {
  const plan = planCrio(opts({ cdiEnabled: true }), new Map([[main, undefined], [dropIn, undefined]]));
  const p = parseToml(plan.files[0]!.after!) as Loose;
  assert.equal(p.crio.runtime.runtimes.actk.monitor_path, undefined);
  assert.match(plan.notes.join("\n"), /always has CDI/);
});

test("CRI-O in place (--drop-in-config \"\"): only the new lines are added; reverting the recorded values restores the meaning", () => {
  const before = fixture("crio.conf");
  const f = planCrio(opts({ dropInPath: "", setAsDefault: true, cdiSpecDirs: ["/etc/cdi"] }), new Map([[main, before]])).files[0]!;
  assert.equal(f.path, main);
  const p = parseToml(f.after!) as Loose;
  assert.equal(p.crio.runtime.default_runtime, "actk");
  assert.deepEqual([...p.crio.runtime.cdi_spec_dirs], ["/etc/cdi"]);
  assert.ok(f.after!.startsWith(before.split("default_runtime")[0]!), "text before the first change is untouched");
  // Byte-identical restores come from the journal's copies (transaction.test.ts); the value-level
  // revert alone may drop the comment toml-patch attached to a removed key.
  assert.deepEqual(parseToml(revertTomlChanges(f.after!, main, f.changes, f.appended).text), parseToml(before));
});

test("CRI-O: configuring twice changes nothing", () => {
  const first = planCrio(opts(), new Map([[main, fixture("crio.conf")], [dropIn, undefined]]));
  const second = planCrio(opts(), new Map([[main, fixture("crio.conf")], [dropIn, first.files[0]!.after]]));
  assert.deepEqual(second.files, []);
});

test("CRI-O oci-hook mode writes the hooks.d file instead", () => {
  const plan = planCrio(opts({ configMode: "oci-hook" }), new Map());
  assert.equal(plan.files[0]!.path, "/usr/share/containers/oci/hooks.d/oci-actk-hook.json");
  assert.equal(plan.restartNeeded, false);
});
