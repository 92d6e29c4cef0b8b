import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parse as parseToml } from "smol-toml";
import { ActkError, ExitCode } from "../../core/errors.js";
import { assertGolden, fixture, options, type Loose } from "../testdata/golden.js";
import { revertTomlChanges } from "../toml-edit.js";
import { getAt } from "../value-change.js";
import { planContainerd } from "./plan.js";

const main = "/etc/containerd/config.toml";
const dropIn = "/etc/containerd/conf.d/99-actk.toml";
const files = (text: string | undefined, drop?: string): Map<string, string | undefined> => new Map([[main, text], [dropIn, drop]]);

const cases = [
  { name: "containerd-1.6-default", fixture: "containerd-1.6-default.toml", plugin: ["plugins", "io.containerd.grpc.v1.cri"], systemd: false },
  { name: "containerd-v1", fixture: "containerd-v1.toml", plugin: ["plugins", "cri"], systemd: true },
];

for (const c of cases) {
  test(`${c.name}: the runtime copies runc's options, sets BinaryName, and only the changed lines differ (golden)`, () => {
    const before = fixture(c.fixture);
    const plan = planContainerd(options({ configPath: main, dropInPath: dropIn, setAsDefault: true, cdiEnabled: true }), files(before));
    assert.equal(plan.files.length, 1);
    const f = plan.files[0]!;
    assert.equal(f.path, main);
    const parsed = parseToml(f.after!);
    const rt = getAt(parsed, [...c.plugin, "containerd", "runtimes", "actk"]) as Record<string, Loose>;
    assert.equal(rt.options.BinaryName, "/usr/local/bin/actk-runtime");
    assert.equal(rt.options.SystemdCgroup, c.systemd);
    assert.equal(rt.runtime_type, "io.containerd.runc.v2");
    assert.equal(getAt(parsed, [...c.plugin, "containerd", "default_runtime_name"]), "actk");
    assert.equal(getAt(parsed, [...c.plugin, "enable_cdi"]), true);
    assertGolden(`${c.name}.configured.toml`, f.after!);
  });

  test(`${c.name}: unconfigure from the journal gives back the original bytes`, () => {
    const before = fixture(c.fixture);
    const f = planContainerd(options({ configPath: main, dropInPath: dropIn, setAsDefault: true, cdiEnabled: true, cdiSpecDirs: ["/etc/cdi"] }), files(before)).files[0]!;
    assert.equal(revertTomlChanges(f.after!, main, f.changes, f.appended).text, before);
  });
}

test("containerd 1.6 default with SystemdCgroup = true: the new runtime inherits it", () => {
  const before = fixture("containerd-1.6-default.toml").replace("SystemdCgroup = false", "SystemdCgroup = true");
  const f = planContainerd(options({ configPath: main, dropInPath: dropIn }), files(before)).files[0]!;
  assert.equal(getAt(parseToml(f.after!), ["plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "actk", "options", "SystemdCgroup"]), true);
});

test("config version 3 (containerd 2.x): a drop-in with the runtime, and the main file imports it (golden)", () => {
  const before = fixture("containerd-2.0-v3.toml");
  const plan = planContainerd(options({ configPath: main, dropInPath: dropIn, setAsDefault: true }), files(before));
  const drop = plan.files.find((f) => f.path === dropIn)!;
  const top = plan.files.find((f) => f.path === main)!;
  assert.equal(drop.before, undefined);
  const d = parseToml(drop.after!);
  assert.equal(d.version, 3);
  const rt = getAt(d, ["plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes", "actk"]) as Record<string, Loose>;
  assert.equal(rt.options.SystemdCgroup, true);
  assert.equal(rt.options.BinaryName, "/usr/local/bin/actk-runtime");
  assert.deepEqual(parseToml(top.after!).imports, ["/etc/containerd/conf.d/*.toml"]);
  assertGolden("containerd-2.0-v3.drop-in.toml", drop.after!);
  assertGolden("containerd-2.0-v3.configured.toml", top.after!);
  assert.equal(revertTomlChanges(top.after!, main, top.changes, top.appended).text, before);
  // The import serves every runtime whose drop-in it covers: unconfigure hands it on (journal-handover.ts).
  assert.deepEqual(top.changes.map((c) => [c.path, c.shared]), [[["imports"], true]]);
  assert.equal(drop.importedBy, main);
  assert.ok(drop.changes.every((c) => !c.shared));
});

test("config version 3 whose imports already cover the drop-in dir: the main file is not touched", () => {
  const before = fixture("containerd-2.0-v3.toml").replace("imports = []", "imports = ['/etc/containerd/conf.d/*.toml']");
  const plan = planContainerd(options({ configPath: main, dropInPath: dropIn }), files(before));
  assert.deepEqual(plan.files.map((f) => f.path), [dropIn]);
});

test("no config file and containerd 2.x: a v3 main file with the import, and the drop-in", () => {
  const plan = planContainerd(options({ configPath: main, dropInPath: dropIn, engineMajor: 2 }), files(undefined));
  const top = plan.files.find((f) => f.path === main)!;
  assert.deepEqual({ ...parseToml(top.after!) }, { version: 3, imports: ["/etc/containerd/conf.d/*.toml"] });
  assert.deepEqual(top.changes.map((c) => [c.path, c.shared]), [[["version"], true], [["imports"], true]]);
});

test("no config file and containerd 1.x: a v2 file with the runtime and default runc options", () => {
  const plan = planContainerd(options({ configPath: main, dropInPath: dropIn, engineMajor: 1 }), files(undefined));
  assert.equal(plan.files.length, 1);
  const p = parseToml(plan.files[0]!.after!);
  assert.equal(p.version, 2);
  assert.equal(getAt(p, ["plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "actk", "runtime_type"]), "io.containerd.runc.v2");
});

test("configuring twice changes nothing the second time", () => {
  for (const fx of ["containerd-1.6-default.toml", "containerd-v1.toml", "containerd-2.0-v3.toml"]) {
    const o = options({ configPath: main, dropInPath: dropIn, setAsDefault: true, cdiEnabled: true });
    const first = planContainerd(o, files(fixture(fx)));
    const after = new Map([[main, fixture(fx)], [dropIn, undefined as string | undefined]]);
    for (const f of first.files) after.set(f.path, f.after);
    const second = planContainerd(o, after);
    assert.deepEqual(second.files, [], fx);
    assert.equal(second.restartNeeded, false);
  }
});

const badInputs = [
  { name: "malformed TOML names line and column", text: 'version = 2\n[plugins\nx = 1\n', line: 2 },
  { name: "unknown config version", text: 'root = "/x"\nversion = 7\n', line: 2 },
  { name: "version as a string", text: 'version = "2"\n', line: 1 },
];
for (const b of badInputs) {
  test(`bad input: ${b.name}`, () => {
    assert.throws(() => planContainerd(options({ configPath: main, dropInPath: dropIn }), files(b.text)), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.equal(e.exitCode, ExitCode.badInput);
      assert.equal(e.file, main);
      assert.equal(e.line, b.line);
      assert.match(e.format(), /nothing was changed/);
      return true;
    });
  });
}

test("property: configure then unconfigure is byte-identical for any runtime name and option set", () => {
  const fixtures = ["containerd-1.6-default.toml", "containerd-v1.toml", "containerd-2.0-v3.toml"].map(fixture);
  fc.assert(fc.property(
    fc.constantFrom(...fixtures), fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/), fc.boolean(), fc.boolean(),
    fc.array(fc.constantFrom("/etc/cdi", "/var/run/cdi", "/opt/cdi"), { maxLength: 2 }),
    (before, name, setAsDefault, cdiEnabled, cdiSpecDirs) => {
      const plan = planContainerd(options({ configPath: main, dropInPath: dropIn, runtimeName: name, setAsDefault, cdiEnabled, cdiSpecDirs }), files(before));
      for (const f of plan.files) {
        parseToml(f.after!);
        if (f.before !== undefined) assert.equal(revertTomlChanges(f.after!, f.path, f.changes, f.appended).text, f.before);
      }
    },
  ), { numRuns: 60 });
});
