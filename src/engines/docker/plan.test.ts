import assert from "node:assert/strict";
import { test } from "node:test";
import { ActkError, ExitCode } from "../../core/errors.js";
import { revertJsonChanges } from "../json-edit.js";
import { assertGolden, fixture, options } from "../testdata/golden.js";
import { planDocker } from "./plan.js";

const file = "/etc/docker/daemon.json";
const plan = (text: string | undefined, over = {}) => planDocker(options({ configPath: file, ...over }), new Map([[file, text]]));

test("daemon.json: runtimes, default-runtime and features.cdi are added; every other key and the indentation stay (golden)", () => {
  const before = fixture("daemon-long.json");
  const f = plan(before, { setAsDefault: true, cdiEnabled: true }).files[0]!;
  const after = JSON.parse(f.after!);
  assert.deepEqual(after.runtimes.actk, { path: "/usr/local/bin/actk-runtime" });
  assert.deepEqual(after.runtimes.crun, { path: "/usr/bin/crun", runtimeArgs: ["--systemd-cgroup"] });
  assert.equal(after["default-runtime"], "actk");
  assert.deepEqual(after.features, { buildkit: true, "containerd-snapshotter": false, cdi: true });
  assert.deepEqual(Object.keys(after).slice(0, 5), Object.keys(JSON.parse(before)).slice(0, 5));
  assertGolden("daemon-long.configured.json", f.after!);
});

test("unrelated members keep their bytes: one-line objects stay on their line, new members follow the file's layout", () => {
  const before = '{\n    "runtimes": {\n        "nvidia": {"path": "x"}\n    },\n    "features": {"buildkit": true}\n}\n';
  const f = plan(before, { cdiEnabled: true }).files[0]!;
  assert.equal(f.after, [
    "{",
    '    "runtimes": {',
    '        "nvidia": {"path": "x"},',
    '        "actk": {',
    '            "path": "/usr/local/bin/actk-runtime"',
    "        }",
    "    },",
    '    "features": {"buildkit": true, "cdi": true}',
    "}",
    "",
  ].join("\n"));
  assert.equal(revertJsonChanges(f.after!, file, f.changes).text, before);
});

const table = [
  { name: "runtimeArgs are written only when given", over: { runtimeArgs: ["--debug"] }, want: { path: "/usr/local/bin/actk-runtime", runtimeArgs: ["--debug"] } },
  { name: "no runtimeArgs key without --runtime-arg", over: {}, want: { path: "/usr/local/bin/actk-runtime" } },
];
for (const t of table) {
  test(t.name, () => {
    assert.deepEqual(JSON.parse(plan("{}\n", t.over).files[0]!.after!).runtimes.actk, t.want);
  });
}

test("a missing daemon.json is created with just the runtime", () => {
  const f = plan(undefined).files[0]!;
  assert.equal(f.before, undefined);
  assert.equal(f.after, '{\n  "runtimes": {\n    "actk": {\n      "path": "/usr/local/bin/actk-runtime"\n    }\n  }\n}\n');
});

test("configuring twice: the second plan has no changes", () => {
  const first = plan(fixture("daemon-long.json"), { setAsDefault: true, cdiEnabled: true }).files[0]!;
  const second = plan(first.after, { setAsDefault: true, cdiEnabled: true });
  assert.deepEqual(second.files, []);
  assert.equal(second.restartNeeded, false);
});

test("unconfigure from the recorded changes gives back the original bytes", () => {
  for (const before of [fixture("daemon-long.json"), '{\n\t"debug": true\n}\n']) {
    const f = plan(before, { setAsDefault: true, cdiEnabled: true, cdiSpecDirs: ["/etc/cdi"] }).files[0]!;
    assert.equal(revertJsonChanges(f.after!, file, f.changes).text.trimEnd(), before.trimEnd());
  }
});

test("an existing default-runtime is put back on unconfigure", () => {
  const before = '{\n  "default-runtime": "runc"\n}\n';
  const f = plan(before, { setAsDefault: true }).files[0]!;
  assert.equal(JSON.parse(f.after!)["default-runtime"], "actk");
  assert.equal(revertJsonChanges(f.after!, file, f.changes).text, before);
});

test("unconfigure keeps the user's later edits and a value the user changed", () => {
  const before = fixture("daemon-long.json");
  const f = plan(before, { setAsDefault: true }).files[0]!;
  const edited = f.after!.replace('"live-restore": true', '"live-restore": false').replace('"default-runtime": "actk"', '"default-runtime": "crun"');
  const { text, outcome } = revertJsonChanges(edited, file, f.changes);
  const back = JSON.parse(text);
  assert.equal(back["live-restore"], false);
  assert.equal(back["default-runtime"], "crun");
  assert.equal(back.runtimes.actk, undefined);
  assert.equal(outcome.kept.length, 1);
});

const bad = [
  { name: "a missing comma", text: '{\n  "a": 1\n  "b": 2\n}\n', line: 3, column: 3 },
  { name: "a trailing comma", text: '{\n  "a": 1,\n}\n', line: 3, column: 1 },
  { name: "a comment", text: '{\n  // no\n  "a": 1\n}\n', line: 2, column: 3 },
  { name: "an array at the top", text: "[]\n", line: 1, column: 1 },
];
for (const b of bad) {
  test(`malformed daemon.json (${b.name}) is an error with line and column`, () => {
    assert.throws(() => plan(b.text), (e: unknown) => {
      assert.ok(e instanceof ActkError);
      assert.equal(e.exitCode, ExitCode.badInput);
      assert.deepEqual([e.file, e.line, e.column], [file, b.line, b.column]);
      return true;
    });
  });
}

test('"runtimes" that is not an object is bad input', () => {
  assert.throws(() => plan('{"runtimes": []}'), /"runtimes" is not an object/);
});
