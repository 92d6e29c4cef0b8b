import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test, type TestContext } from "node:test";
import fc from "fast-check";
import { parse as parseToml } from "smol-toml";
import { ActkError } from "../core/errors.js";
import { HostRoot } from "../host/host-root.js";
import { containerdEngine } from "./containerd/index.js";
import { crioEngine } from "./crio/index.js";
import { dockerEngine } from "./docker/index.js";
import type { ConfigureOptions, Engine } from "./engine.js";
import { podmanEngine } from "./podman/index.js";
import { fixture, options } from "./testdata/golden.js";
import { configureEngine, unconfigureEngine } from "./transaction.js";
import { getAt } from "./value-change.js";

function hostTree(t: TestContext, files: Record<string, string>): HostRoot {
  const root = mkdtempSync(path.join(tmpdir(), "actk-engines-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(path.join(root, path.dirname(p)), { recursive: true });
    writeFileSync(path.join(root, p), text);
  }
  return new HostRoot(root);
}

const read = (host: HostRoot, p: string): string | undefined => (existsSync(host.hostPath(p)) ? readFileSync(host.hostPath(p), "utf8") : undefined);
const run = { dryRun: false, verify: false };

interface Case { name: string; engine: Engine; files: Record<string, string>; opts: Partial<ConfigureOptions>; edit?: [string, string, string] }
const cases: Case[] = [
  { name: "docker daemon.json", engine: dockerEngine, files: { "/etc/docker/daemon.json": fixture("daemon-long.json") },
    opts: { configPath: "/etc/docker/daemon.json", setAsDefault: true, cdiEnabled: true }, edit: ["/etc/docker/daemon.json", '"max-file": "3"', '"max-file": "5"'] },
  { name: "containerd 1.6 default (v2, in place)", engine: containerdEngine, files: { "/etc/containerd/config.toml": fixture("containerd-1.6-default.toml") },
    opts: { configPath: "/etc/containerd/config.toml", dropInPath: "/etc/containerd/conf.d/99-actk.toml", setAsDefault: true, cdiEnabled: true },
    edit: ["/etc/containerd/config.toml", 'sandbox_image = "registry.k8s.io/pause:3.6"', 'sandbox_image = "registry.k8s.io/pause:3.9" # pinned'] },
  { name: "containerd v1 (in place)", engine: containerdEngine, files: { "/etc/containerd/config.toml": fixture("containerd-v1.toml") },
    opts: { configPath: "/etc/containerd/config.toml", dropInPath: "/etc/containerd/conf.d/99-actk.toml", setAsDefault: true },
    edit: ["/etc/containerd/config.toml", "oom_score = -999", "oom_score = -500"] },
  { name: "containerd v3 (drop-in + import)", engine: containerdEngine, files: { "/etc/containerd/config.toml": fixture("containerd-2.0-v3.toml") },
    opts: { configPath: "/etc/containerd/config.toml", dropInPath: "/etc/containerd/conf.d/99-actk.toml", setAsDefault: true },
    edit: ["/etc/containerd/config.toml", "max_concurrent_downloads = 3", "max_concurrent_downloads = 8"] },
  { name: "CRI-O drop-in", engine: crioEngine, files: { "/etc/crio/crio.conf": fixture("crio.conf") },
    opts: { configPath: "/etc/crio/crio.conf", dropInPath: "/etc/crio/crio.conf.d/99-actk.conf", setAsDefault: true } },
  { name: "CRI-O in place", engine: crioEngine, files: { "/etc/crio/crio.conf": fixture("crio.conf") },
    opts: { configPath: "/etc/crio/crio.conf", dropInPath: "", setAsDefault: true, cdiSpecDirs: ["/etc/cdi"] },
    edit: ["/etc/crio/crio.conf", 'pause_image = "registry.k8s.io/pause:3.9"', 'pause_image = "registry.k8s.io/pause:3.10"'] },
  { name: "podman drop-in", engine: podmanEngine, files: {},
    opts: { configPath: "/etc/containers/containers.conf", dropInPath: "/etc/containers/containers.conf.d/99-actk.conf" } },
  { name: "podman oci-hook", engine: podmanEngine, files: {}, opts: { configMode: "oci-hook" } },
];

for (const c of cases) {
  test(`${c.name}: configure then unconfigure leaves every file byte-identical and removes the journal`, (t) => {
    const host = hostTree(t, c.files);
    const o = options(c.opts);
    const r = configureEngine(c.engine, o, host, run);
    assert.equal(r.changed, true);
    const again = configureEngine(c.engine, o, host, run);
    assert.equal(again.changed, false, "second configure changes nothing");
    assert.equal(again.restartNeeded, false);
    unconfigureEngine(c.engine, o.runtimeName, host, run);
    for (const f of r.files) {
      assert.equal(read(host, f.path), c.files[f.path], f.path);
      if (c.files[f.path] === undefined) assert.equal(existsSync(path.dirname(host.hostPath(f.path))), false, `${f.path}: the directory actk created is gone`);
    }
    assert.deepEqual(readdirSync(host.hostPath("/var/lib/actk/backups")), []);
  });

  if (c.edit) {
    const [file, from, to] = c.edit;
    test(`${c.name}: a user edit made after configure survives unconfigure, byte for byte`, (t) => {
      const host = hostTree(t, c.files);
      const o = options(c.opts);
      configureEngine(c.engine, o, host, run);
      const now = read(host, file)!;
      assert.ok(now.includes(from));
      writeFileSync(host.hostPath(file), now.replace(from, to));
      unconfigureEngine(c.engine, o.runtimeName, host, run);
      assert.equal(read(host, file), c.files[file]!.replace(from, to));
    });
  }
}

test("a file's mode is kept by configure and unconfigure", (t) => {
  const host = hostTree(t, { "/etc/docker/daemon.json": "{}\n" });
  chmodSync(host.hostPath("/etc/docker/daemon.json"), 0o600);
  const o = options({ configPath: "/etc/docker/daemon.json" });
  configureEngine(dockerEngine, o, host, run);
  assert.equal(statSync(host.hostPath("/etc/docker/daemon.json")).mode & 0o777, 0o600);
  unconfigureEngine(dockerEngine, "actk", host, run);
  assert.equal(statSync(host.hostPath("/etc/docker/daemon.json")).mode & 0o777, 0o600);
});

test("dry run writes nothing and shows a unified diff", (t) => {
  const host = hostTree(t, { "/etc/docker/daemon.json": "{}\n" });
  const r = configureEngine(dockerEngine, options({ configPath: "/etc/docker/daemon.json" }), host, { dryRun: true, verify: false });
  assert.match(r.files[0]!.diff, /^--- \/etc\/docker\/daemon.json\n\+\+\+ \/etc\/docker\/daemon.json\n@@ /);
  assert.equal(read(host, "/etc/docker/daemon.json"), "{}\n");
  assert.equal(existsSync(host.hostPath("/var/lib/actk")), false);
});

test("malformed input: an error naming the file, nothing written, no journal", (t) => {
  const bad = '{\n  "a": 1,\n  "b"\n}\n';
  const host = hostTree(t, { "/etc/docker/daemon.json": bad });
  assert.throws(() => configureEngine(dockerEngine, options({ configPath: "/etc/docker/daemon.json" }), host, run), (e: unknown) => e instanceof ActkError && e.file === "/etc/docker/daemon.json" && e.line === 4);
  assert.equal(read(host, "/etc/docker/daemon.json"), bad);
  assert.equal(existsSync(host.hostPath("/var/lib/actk")), false);
});

test("a failed verification puts the previous bytes back and removes the journal", (t) => {
  const host = hostTree(t, { "/etc/docker/daemon.json": '{"debug": true}\n' });
  const failing: Engine = { ...dockerEngine, verify: () => ({ ok: false, detail: "dockerd exited: unknown key" }) };
  assert.throws(() => configureEngine(failing, options({ configPath: "/etc/docker/daemon.json" }), host, { dryRun: false, verify: true }),
    (e: unknown) => e instanceof ActkError && /rejected the new configuration: dockerd exited/.test(e.message));
  assert.equal(read(host, "/etc/docker/daemon.json"), '{"debug": true}\n');
  assert.deepEqual(readdirSync(host.hostPath("/var/lib/actk/backups")), []);
});

test("a path that cannot be written: an error, and no file changed", (t) => {
  const host = hostTree(t, { "/etc/containerd": "not a directory\n" });
  assert.throws(() => configureEngine(podmanEngine, options({ configPath: "/etc/containerd/x", dropInPath: "/etc/containerd/conf.d/99-actk.conf" }), host, run), ActkError);
  assert.equal(read(host, "/etc/containerd"), "not a directory\n");
});

test("a value the user changed after configure is kept and reported by unconfigure", (t) => {
  const host = hostTree(t, { "/etc/docker/daemon.json": '{\n  "default-runtime": "runc"\n}\n' });
  configureEngine(dockerEngine, options({ configPath: "/etc/docker/daemon.json", setAsDefault: true }), host, run);
  const now = read(host, "/etc/docker/daemon.json")!;
  writeFileSync(host.hostPath("/etc/docker/daemon.json"), now.replace('"default-runtime": "actk"', '"default-runtime": "crun"'));
  const r = unconfigureEngine(dockerEngine, "actk", host, run);
  assert.deepEqual(r.kept.map((k) => k.key), ["default-runtime"]);
  assert.deepEqual(JSON.parse(read(host, "/etc/docker/daemon.json")!), { "default-runtime": "crun" });
});

test("unconfigure without a journal changes nothing and says so", (t) => {
  const host = hostTree(t, {});
  const r = unconfigureEngine(dockerEngine, "actk", host, run);
  assert.equal(r.changed, false);
  assert.match(r.notes[0]!, /no journal/);
});

test("property: docker configure → user edits one unrelated value → unconfigure gives the original plus exactly that edit", (t) => {
  const root = mkdtempSync(path.join(tmpdir(), "actk-engines-prop-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const key = fc.stringMatching(/^[a-z][a-z-]{0,8}$/).filter((k) => !["runtimes", "features", "default-runtime"].includes(k));
  const scalar = fc.oneof(fc.integer(), fc.boolean(), fc.stringMatching(/^[a-z0-9 ./:-]{0,12}$/));
  const doc = fc.dictionary(key, fc.oneof(scalar, fc.dictionary(key, scalar, { maxKeys: 3 })), { minKeys: 1, maxKeys: 6 });
  let n = 0;
  fc.assert(fc.property(doc, fc.constantFrom(2, 4, "\t"), fc.boolean(), fc.boolean(), (d, indent, setAsDefault, cdiEnabled) => {
    const host = new HostRoot(path.join(root, String(n++)));
    const file = "/etc/docker/daemon.json";
    const original = JSON.stringify(d, null, indent) + "\n";
    mkdirSync(path.dirname(host.hostPath(file)), { recursive: true });
    writeFileSync(host.hostPath(file), original);
    const o = options({ configPath: file, setAsDefault, cdiEnabled });
    configureEngine(dockerEngine, o, host, run);
    const firstKey = Object.keys(d)[0]!;
    const configured = read(host, file)!;
    const edited = configured.replace(`"${firstKey}": `, `"${firstKey}-edited": `);
    writeFileSync(host.hostPath(file), edited);
    unconfigureEngine(dockerEngine, "actk", host, run);
    assert.equal(read(host, file), original.replace(`"${firstKey}": `, `"${firstKey}-edited": `));
  }), { numRuns: 40 });
});

test("property: every TOML engine and config version round-trips byte for byte for any runtime name and flags, with a user edit in between", (t) => {
  const root = mkdtempSync(path.join(tmpdir(), "actk-engines-prop-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const tomlCases = cases.filter((c) => c.edit && c.engine !== dockerEngine);
  let n = 0;
  fc.assert(fc.property(
    fc.constantFrom(...tomlCases), fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.boolean(), fc.boolean(),
    fc.array(fc.constantFrom("/etc/cdi", "/var/run/cdi"), { maxLength: 2 }),
    (c, runtimeName, setAsDefault, cdiEnabled, cdiSpecDirs) => {
      const host = new HostRoot(path.join(root, String(n++)));
      for (const [p, text] of Object.entries(c.files)) {
        mkdirSync(path.dirname(host.hostPath(p)), { recursive: true });
        writeFileSync(host.hostPath(p), text);
      }
      const o = options({ ...c.opts, runtimeName, setAsDefault, cdiEnabled, cdiSpecDirs });
      configureEngine(c.engine, o, host, run);
      const [file, from, to] = c.edit!;
      writeFileSync(host.hostPath(file), read(host, file)!.replace(from, to));
      unconfigureEngine(c.engine, runtimeName, host, run);
      for (const [p, text] of Object.entries(c.files)) assert.equal(read(host, p), p === file ? text.replace(from, to) : text, p);
      assert.equal(read(host, "/etc/containerd/conf.d/99-actk.toml"), undefined);
    },
  ), { numRuns: 40 });
});

test("a re-configure that fails verification leaves the first configure's journal intact: unconfigure still restores the original", (t) => {
  const original = '{\n  "debug": true\n}\n';
  const host = hostTree(t, { "/etc/docker/daemon.json": original });
  configureEngine(dockerEngine, options({ configPath: "/etc/docker/daemon.json" }), host, run);
  const configured = read(host, "/etc/docker/daemon.json");
  const failing: Engine = { ...dockerEngine, verify: () => ({ ok: false, detail: "no" }) };
  assert.throws(() => configureEngine(failing, options({ configPath: "/etc/docker/daemon.json", setAsDefault: true }), host, { dryRun: false, verify: true }), ActkError);
  assert.equal(read(host, "/etc/docker/daemon.json"), configured);
  writeFileSync(host.hostPath("/etc/docker/daemon.json"), configured!.replace('"debug": true', '"debug": false'));
  unconfigureEngine(dockerEngine, "actk", host, run);
  assert.equal(read(host, "/etc/docker/daemon.json"), original.replace('"debug": true', '"debug": false'));
});

const daemon = "/etc/docker/daemon.json";
for (const [name, original] of [["{}", "{}\n"], ["the long daemon.json", fixture("daemon-long.json")], ["a tab-indented one", '{\n\t"debug": true\n}\n']] as const) {
  for (const order of [["a1", "a2"], ["a2", "a1"]]) {
    test(`two runtimes in ${name}, unconfigured ${order.join(" then ")}: the original bytes come back`, (t) => {
      const host = hostTree(t, { [daemon]: original });
      configureEngine(dockerEngine, options({ configPath: daemon, runtimeName: "a1" }), host, run);
      configureEngine(dockerEngine, options({ configPath: daemon, runtimeName: "a2", setAsDefault: true, cdiEnabled: true }), host, run);
      unconfigureEngine(dockerEngine, order[0]!, host, run);
      const left = Object.keys(JSON.parse(read(host, daemon)!).runtimes);
      assert.ok(left.includes(order[1]!) && !left.includes(order[0]!), "only the other runtime stays");
      unconfigureEngine(dockerEngine, order[1]!, host, run);
      assert.equal(read(host, daemon), original);
      assert.deepEqual(readdirSync(host.hostPath("/var/lib/actk/backups")), []);
    });
  }
}

test("two runtimes each set as default: undoing the first leaves the second the default, undoing both puts back the original default", (t) => {
  const original = '{\n  "default-runtime": "runc"\n}\n';
  const host = hostTree(t, { [daemon]: original });
  configureEngine(dockerEngine, options({ configPath: daemon, runtimeName: "a1", setAsDefault: true }), host, run);
  configureEngine(dockerEngine, options({ configPath: daemon, runtimeName: "a2", setAsDefault: true }), host, run);
  const r = unconfigureEngine(dockerEngine, "a1", host, run);
  assert.deepEqual(r.kept, [], "a value another runtime's configure set is not the user's change");
  assert.equal(JSON.parse(read(host, daemon)!)["default-runtime"], "a2");
  unconfigureEngine(dockerEngine, "a2", host, run);
  assert.equal(read(host, daemon), original, "not a default-runtime naming the removed a1");
});

test("a runtime re-configured after another was added: its unconfigure keeps the other's entry", (t) => {
  const original = '{\n  "debug": true\n}\n';
  const host = hostTree(t, { [daemon]: original });
  configureEngine(dockerEngine, options({ configPath: daemon, runtimeName: "a1" }), host, run);
  configureEngine(dockerEngine, options({ configPath: daemon, runtimeName: "a2" }), host, run);
  configureEngine(dockerEngine, options({ configPath: daemon, runtimeName: "a1", cdiEnabled: true }), host, run);
  unconfigureEngine(dockerEngine, "a1", host, run);
  assert.deepEqual(JSON.parse(read(host, daemon)!), { debug: true, runtimes: { a2: { path: "/usr/local/bin/actk-runtime" } } });
  unconfigureEngine(dockerEngine, "a2", host, run);
  assert.equal(read(host, daemon), original);
});

test("two runtimes in a containerd v3 drop-in, undone in configure order: the drop-in and its directory go, config.toml is as before", (t) => {
  const main = "/etc/containerd/config.toml";
  const dropIn = "/etc/containerd/conf.d/99-actk.toml";
  const host = hostTree(t, { [main]: fixture("containerd-2.0-v3.toml") });
  const o = { configPath: main, dropInPath: dropIn };
  configureEngine(containerdEngine, options({ ...o, runtimeName: "a1" }), host, run);
  configureEngine(containerdEngine, options({ ...o, runtimeName: "a2", setAsDefault: true }), host, run);
  unconfigureEngine(containerdEngine, "a1", host, run);
  unconfigureEngine(containerdEngine, "a2", host, run);
  assert.equal(read(host, dropIn), undefined);
  assert.equal(existsSync(host.hostPath("/etc/containerd/conf.d")), false);
  assert.equal(read(host, main), fixture("containerd-2.0-v3.toml"));
});

const ctdMain = "/etc/containerd/config.toml";
const ctdGlob = "/etc/containerd/conf.d/*.toml";
const runtimesIn = (host: HostRoot, dropIn: string): string[] =>
  Object.keys((getAt(parseToml(read(host, dropIn) ?? ""), ["plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes"]) ?? {}) as object);
const v3Starts = [
  { name: "a v3 config.toml", files: { [ctdMain]: fixture("containerd-2.0-v3.toml") } },
  { name: "no config.toml (containerd 2.x)", files: {} as Record<string, string> },
];
const dropIns = [
  { name: "one shared drop-in", a1: "/etc/containerd/conf.d/99-actk.toml", a2: "/etc/containerd/conf.d/99-actk.toml" },
  { name: "a drop-in each", a1: "/etc/containerd/conf.d/99-actk.toml", a2: "/etc/containerd/conf.d/50-a2.toml" },
];
for (const start of v3Starts) {
  for (const d of dropIns) {
    for (const order of [["a1", "a2"], ["a2", "a1"]] as const) {
      test(`containerd, ${start.name}, ${d.name}, undone ${order.join(" then ")}: config.toml keeps importing the drop-in of the runtime still configured, and undoing both gives back the original`, (t) => {
        const host = hostTree(t, start.files);
        const o = { configPath: ctdMain, engineMajor: 2 };
        configureEngine(containerdEngine, options({ ...o, runtimeName: "a1", dropInPath: d.a1 }), host, run);
        configureEngine(containerdEngine, options({ ...o, runtimeName: "a2", dropInPath: d.a2, setAsDefault: true }), host, run);
        unconfigureEngine(containerdEngine, order[0], host, run);
        const left = order[1];
        const main = parseToml(read(host, ctdMain)!);
        assert.equal(main.version, 3);
        assert.deepEqual(main.imports, [ctdGlob], `config.toml still imports the drop-in of ${left}`);
        assert.deepEqual(runtimesIn(host, d[left]), [left]);
        unconfigureEngine(containerdEngine, left, host, run);
        for (const p of [ctdMain, d.a1, d.a2]) assert.equal(read(host, p), start.files[p], p);
        assert.equal(existsSync(host.hostPath("/etc/containerd/conf.d")), false, "the conf.d actk created is gone");
        assert.equal(existsSync(host.hostPath("/etc/containerd")), ctdMain in start.files);
        assert.deepEqual(readdirSync(host.hostPath("/var/lib/actk/backups")), []);
      });
    }
  }
}

test("containerd v3: a runtime configured again after another, undone first, keeps the import for the other; a user edit to config.toml survives both", (t) => {
  const original = fixture("containerd-2.0-v3.toml");
  const host = hostTree(t, { [ctdMain]: original });
  const o = { configPath: ctdMain, dropInPath: "/etc/containerd/conf.d/99-actk.toml" };
  configureEngine(containerdEngine, options({ ...o, runtimeName: "a1" }), host, run);
  configureEngine(containerdEngine, options({ ...o, runtimeName: "a2" }), host, run);
  configureEngine(containerdEngine, options({ ...o, runtimeName: "a1", setAsDefault: true }), host, run);
  writeFileSync(host.hostPath(ctdMain), read(host, ctdMain)!.replace("oom_score = 0", "oom_score = -500"));
  const r = unconfigureEngine(containerdEngine, "a1", host, run);
  assert.ok(r.notes.some((n) => /imports kept: runtime "a2" relies on it/.test(n)), r.notes.join("\n"));
  assert.deepEqual(parseToml(read(host, ctdMain)!).imports, [ctdGlob]);
  assert.deepEqual(runtimesIn(host, o.dropInPath), ["a2"]);
  unconfigureEngine(containerdEngine, "a2", host, run);
  assert.equal(read(host, ctdMain), original.replace("oom_score = 0", "oom_score = -500"));
  assert.equal(existsSync(host.hostPath("/etc/containerd/conf.d")), false);
});

test("property: containerd v3, three runtimes with any drop-ins, undone in any order: each one left stays imported, and the end is the original", (t) => {
  const root = mkdtempSync(path.join(tmpdir(), "actk-engines-prop-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const names = ["a1", "a2", "a3"];
  let n = 0;
  fc.assert(fc.property(
    fc.constantFrom(...v3Starts), fc.array(fc.constantFrom("99-actk", "50-a", "60-b"), { minLength: 3, maxLength: 3 }),
    fc.shuffledSubarray(names, { minLength: 3, maxLength: 3 }), fc.boolean(),
    (start, drops, order, twice) => {
      const host = new HostRoot(path.join(root, String(n++)));
      for (const [p, text] of Object.entries(start.files)) {
        mkdirSync(path.dirname(host.hostPath(p)), { recursive: true });
        writeFileSync(host.hostPath(p), text);
      }
      const dropOf = (name: string): string => `/etc/containerd/conf.d/${drops[names.indexOf(name)]}.toml`;
      const configure = (name: string, setAsDefault = false): unknown =>
        configureEngine(containerdEngine, options({ configPath: ctdMain, dropInPath: dropOf(name), engineMajor: 2, runtimeName: name, setAsDefault }), host, run);
      for (const name of names) configure(name);
      if (twice) configure("a1", true);
      const left = new Set(names);
      for (const name of order) {
        unconfigureEngine(containerdEngine, name, host, run);
        left.delete(name);
        if (left.size === 0) break;
        assert.deepEqual(parseToml(read(host, ctdMain)!).imports, [ctdGlob], `after undoing ${name}`);
        for (const l of left) assert.ok(runtimesIn(host, dropOf(l)).includes(l), `${l} is still in ${dropOf(l)}`);
      }
      assert.equal(read(host, ctdMain), start.files[ctdMain]);
      assert.equal(existsSync(host.hostPath("/etc/containerd/conf.d")), false);
      assert.deepEqual(readdirSync(host.hostPath("/var/lib/actk/backups")), []);
    },
  ), { numRuns: 40 });
});
