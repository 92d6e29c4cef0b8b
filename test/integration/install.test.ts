/**
 * `actk install` / `actk uninstall` through the built dist/bin/actk on a
 * simulated dgx-h100 host that also has containerd and docker configs. No
 * engine is started; the real / is never touched (everything is --host-root).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { distBin, nativeLauncherBuilt, repoRoot, tempDir } from "../e2e/harness/requirements.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function actk(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(distBin("actk"), args, { encoding: "utf8", env: { PATH: process.env.PATH } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const containerdConfig = fs.readFileSync(path.join(repo, "src/engines/testdata/containerd-1.6-default.toml"), "utf8");
const daemonJson = '{\n  "log-level": "info",\n  "data-root": "/var/lib/docker"\n}\n';

/** A dgx-h100 host with containerd's config.toml and docker's daemon.json (mode 0600) in place. */
function simHost(t: TestContext): string {
  const root = path.join(tempDir(t, "actk-install-it-"), "host");
  const c = actk(["sim", "create", "--profile", "dgx-h100", root]);
  assert.equal(c.status, 0, c.stderr);
  fs.mkdirSync(path.join(root, "etc/containerd"), { recursive: true });
  fs.writeFileSync(path.join(root, "etc/containerd/config.toml"), containerdConfig);
  fs.mkdirSync(path.join(root, "etc/docker"), { recursive: true });
  fs.writeFileSync(path.join(root, "etc/docker/daemon.json"), daemonJson, { mode: 0o600 });
  return root;
}

/** Every entry of a tree: path, type, mode, link target, content hash (not times). */
function treeHash(root: string): string {
  const h = createHash("sha256");
  const walk = (rel: string): void => {
    const abs = path.join(root, rel);
    const st = fs.lstatSync(abs);
    h.update(`${rel}\0${st.mode}\0`);
    if (st.isSymbolicLink()) h.update(fs.readlinkSync(abs));
    else if (st.isFile()) h.update(fs.readFileSync(abs));
    else if (st.isDirectory()) for (const n of fs.readdirSync(abs).sort()) walk(path.join(rel, n));
    h.update("\n");
  };
  walk(".");
  return h.digest("hex");
}

interface InstallJson {
  dryRun: boolean;
  steps: { id: string; status: string; detail: string }[];
  restartNeeded: boolean;
  restartCommands: string[];
}

const fullInstall = (root: string, ...extra: string[]): string[] =>
  ["install", "--host-root", root, "--runtime", "containerd", "--runtime", "docker", ...extra];

test("install sets up programs, config, containerd, docker, CDI specs and systemd units under the host root", (t) => {
  const root = simHost(t);
  const r = actk([...fullInstall(root), "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as InstallJson;
  assert.deepEqual(out.steps.map((s) => [s.id, s.status]), [
    ["programs", "changed"], ["config", "changed"], ["containerd", "changed"], ["docker", "changed"],
    ["cdi", "changed"], ["systemd", "changed"], ["compat", "skipped"],
  ]);
  assert.equal(out.restartNeeded, true);
  assert.deepEqual(out.restartCommands, ["systemctl restart containerd", "systemctl restart docker"]);

  const p = (x: string): string => path.join(root, x);
  for (const prog of ["actk", "actk-hook", "actk-runtime"]) {
    assert.equal(fs.readlinkSync(p(`usr/local/bin/${prog}`)), `../lib/actk/bin/${prog}`);
    assert.equal(fs.statSync(p(`usr/local/lib/actk/bin/${prog}`)).mode & 0o111, 0o111, `${prog} is executable`);
  }
  // The launcher finds its Node part at ../lib/actk-runtime.mjs, as in dist/, and the native launcher (when
  // the build has one) the sh launcher at ../lib/actk-runtime.sh; the step says which one engines run.
  assert.ok(fs.existsSync(p("usr/local/lib/actk/lib/actk-runtime.mjs")));
  assert.ok(fs.existsSync(p("usr/local/lib/actk/lib/actk-runtime.sh")));
  assert.match(out.steps[0]?.detail ?? "", nativeLauncherBuilt() ? /; native actk-runtime launcher\)/ : /; sh actk-runtime launcher\)/);
  assert.deepEqual(fs.readFileSync(p("usr/local/lib/actk/bin/actk-runtime")), fs.readFileSync(distBin("actk-runtime")));
  const installed = spawnSync(p("usr/local/bin/actk"), ["--version"], { encoding: "utf8", env: { PATH: process.env.PATH } });
  assert.match(installed.stdout, /^actk \d/);

  const config = fs.readFileSync(p("etc/actk/config.toml"), "utf8");
  assert.match(config, /^path = "\/usr\/local\/bin\/actk-hook"$/m);
  assert.match(config, /^# /m, "the default config keeps its comments");

  assert.match(fs.readFileSync(p("etc/containerd/config.toml"), "utf8"), /BinaryName = "\/usr\/local\/bin\/actk-runtime"/);
  const daemon = JSON.parse(fs.readFileSync(p("etc/docker/daemon.json"), "utf8")) as { runtimes: Record<string, { path: string }> };
  assert.equal(daemon.runtimes.actk?.path, "/usr/local/bin/actk-runtime");
  assert.equal(fs.statSync(p("etc/docker/daemon.json")).mode & 0o777, 0o600, "daemon.json keeps its mode");

  const spec = fs.readFileSync(p("etc/cdi/nvidia-gpu.yaml"), "utf8");
  assert.match(spec, /^kind: nvidia\.com\/gpu$/m);
  assert.ok(!spec.includes(root), "host paths in the spec are as the node sees them, not under --host-root");
  assert.match(spec, /regenerate with: actk cdi generate --vendor all .*--output \/etc\/cdi$/m);

  for (const u of ["actk-cdi-refresh.service", "actk-cdi-watch.service"]) {
    assert.match(fs.readFileSync(p(`etc/systemd/system/${u}`), "utf8"), /^ExecStart=\/usr\/local\/bin\/actk cdi refresh/m);
  }
  assert.match(fs.readFileSync(p("etc/systemd/system/actk-cdi-refresh.path"), "utf8"), /^Unit=actk-cdi-refresh\.service$/m);
  assert.match(fs.readFileSync(p("etc/systemd/system/actk-runtime-helper.service"), "utf8"), /^ExecStart=\/usr\/local\/bin\/actk runtime helper$/m);
  for (const u of ["actk-cdi-refresh.service", "actk-cdi-refresh.path", "actk-runtime-helper.service"]) {
    assert.equal(fs.readlinkSync(p(`etc/systemd/system/multi-user.target.wants/${u}`)), `/etc/systemd/system/${u}`);
  }
  assert.ok(!fs.existsSync(p("etc/systemd/system/multi-user.target.wants/actk-cdi-watch.service")), "the watch service is not enabled");

  const journal = JSON.parse(fs.readFileSync(p("var/lib/actk/install.json"), "utf8")) as { prefix: string; records: { kind: string; runtime?: string }[] };
  assert.equal(journal.prefix, "/usr/local");
  assert.deepEqual(journal.records.filter((x) => x.kind === "engine").map((x) => x.runtime), ["containerd", "docker"]);
});

test("a second install changes nothing and says restart needed: no", (t) => {
  const root = simHost(t);
  assert.equal(actk(fullInstall(root, "--compat", "nvidia")).status, 0);
  const before = treeHash(root);
  const r = actk(fullInstall(root, "--compat", "nvidia"));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\[1\/7\] programs .*: up to date$/m);
  assert.match(r.stdout, /^\[3\/7\] containerd: already configured \(restart needed: no\)$/m);
  assert.match(r.stdout, /already installed; nothing changed; restart needed: no$/m);
  assert.equal(treeHash(root), before);
  const j = JSON.parse(actk([...fullInstall(root, "--compat", "nvidia"), "--json"]).stdout) as InstallJson;
  assert.deepEqual(new Set(j.steps.map((s) => s.status)), new Set(["unchanged"]));
  assert.equal(j.restartNeeded, false);
});

test("install --dry-run lists every step that would change and writes nothing", (t) => {
  const root = simHost(t);
  const before = treeHash(root);
  const r = actk([...fullInstall(root, "--dry-run", "--compat", "nvidia"), "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as InstallJson;
  assert.equal(out.dryRun, true);
  assert.deepEqual(out.steps.map((s) => s.status), Array(7).fill("would-change"));
  assert.equal(treeHash(root), before);
});

test("uninstall after install leaves the host byte-identical; a second uninstall says it is not installed", (t) => {
  const root = simHost(t);
  const before = treeHash(root);
  const i = actk(fullInstall(root, "--compat", "nvidia", "--cdi.enabled"));
  assert.equal(i.status, 0, i.stderr);
  assert.notEqual(treeHash(root), before);
  const u = actk(["uninstall", "--host-root", root]);
  assert.equal(u.status, 0, u.stderr);
  assert.match(u.stdout, /containerd: restored \/etc\/containerd\/config\.toml/);
  assert.match(u.stdout, /uninstalled; restart needed: yes/);
  assert.equal(treeHash(root), before);
  const again = actk(["uninstall", "--host-root", root]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout.trim(), "actk is not installed");
});

test("--compat nvidia links the NVIDIA names and keeps a real program of the same name for uninstall", (t) => {
  const root = simHost(t);
  const bin = path.join(root, "usr/local/bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, "nvidia-ctk"), "#!/bin/sh\necho real nvidia-ctk\n", { mode: 0o755 });
  const before = treeHash(root);
  const r = actk(["install", "--host-root", root, "--compat", "nvidia", "--no-cdi", "--no-systemd"]);
  assert.equal(r.status, 0, r.stderr);
  const links = Object.fromEntries(["nvidia-container-runtime", "nvidia-container-runtime-hook", "nvidia-ctk", "nvidia-cdi-hook"]
    .map((n) => [n, fs.readlinkSync(path.join(bin, n))]));
  assert.deepEqual(links, {
    "nvidia-container-runtime": "actk-runtime", "nvidia-container-runtime-hook": "actk-hook", "nvidia-ctk": "actk", "nvidia-cdi-hook": "actk-hook",
  });
  // The hook behaves by the name it is called by.
  const hook = spawnSync(path.join(bin, "nvidia-cdi-hook"), ["--version"], { encoding: "utf8", env: { PATH: process.env.PATH } });
  assert.match(hook.stdout, /^nvidia-cdi-hook \(actk\)/);
  assert.equal(actk(["uninstall", "--host-root", root]).status, 0);
  assert.equal(fs.readFileSync(path.join(bin, "nvidia-ctk"), "utf8"), "#!/bin/sh\necho real nvidia-ctk\n");
  assert.equal(treeHash(root), before);
});

test("--with-node copies node and makes actk and actk-hook sh wrappers that use it", (t) => {
  const root = simHost(t);
  const r = actk(["install", "--host-root", root, "--with-node", "--compat", "nvidia", "--prefix", "/opt/actk", "--no-cdi", "--no-systemd"]);
  assert.equal(r.status, 0, r.stderr);
  const lib = path.join(root, "opt/actk/lib/actk");
  assert.equal(fs.statSync(path.join(lib, "node")).size, fs.statSync(process.execPath).size);
  // The bun the launcher prefers for its JS part goes along when the checkout has one (optional dependency).
  const bun = path.join(repoRoot, "node_modules/@oven/bun-linux-x64/bin/bun");
  if (fs.existsSync(bun)) {
    assert.equal(fs.statSync(path.join(lib, "lib/bun")).size, fs.statSync(bun).size);
    assert.equal(fs.statSync(path.join(lib, "lib/bun")).mode & 0o777, 0o755);
  }
  // The CLI's lazily loaded chunks are installed beside its runtime part.
  assert.ok(fs.existsSync(path.join(lib, "lib/actk-cli-yaml.cjs")));
  const wrapper = fs.readFileSync(path.join(root, "opt/actk/bin/actk"), "utf8");
  assert.match(wrapper, /^#!\/bin\/sh\n/);
  assert.match(wrapper, /exec "\$lib\/node" "\$lib\/bin\/actk" "\$@"/);
  // actk-runtime is a link even so: its launcher finds <lib>/node itself, so no wrapper's shell runs per call.
  assert.equal(fs.readlinkSync(path.join(root, "opt/actk/bin/actk-runtime")), "../lib/actk/bin/actk-runtime");
  // The hook wrapper runs lib/bin/<name it was called by>, so those names exist there.
  assert.equal(fs.readlinkSync(path.join(lib, "bin/nvidia-cdi-hook")), "actk-hook");
  assert.equal(fs.readFileSync(path.join(root, "etc/actk/config.toml"), "utf8").includes('path = "/opt/actk/bin/actk-hook"'), true);
});

test("bad input stops install before any write; an edited config survives uninstall", (t) => {
  const root = simHost(t);
  fs.writeFileSync(path.join(root, "etc/docker/daemon.json"), '{ "log-level": ');
  const before = treeHash(root);
  const bad = actk(fullInstall(root));
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /daemon\.json: line 1, column \d+: .*nothing was changed/);
  assert.equal(treeHash(root), before);

  const unknown = actk(["install", "--host-root", root, "--runtime", "dockerd"]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown runtime "dockerd"/);
  assert.equal(treeHash(root), before);

  assert.equal(actk(["install", "--host-root", root, "--runtime", "containerd"]).status, 0);
  const cfg = path.join(root, "etc/actk/config.toml");
  fs.appendFileSync(cfg, "# my change\n");
  const u = actk(["uninstall", "--host-root", root]);
  assert.equal(u.status, 0, u.stderr);
  assert.match(u.stdout, /kept \/etc\/actk\/config\.toml \(changed since actk installed it\)/);
  assert.match(fs.readFileSync(cfg, "utf8"), /# my change\n$/);
});

test("a host with NVIDIA's config.toml gets an actk config with its settings and actk's hook", (t) => {
  const root = simHost(t);
  fs.mkdirSync(path.join(root, "etc/nvidia-container-runtime"));
  fs.writeFileSync(path.join(root, "etc/nvidia-container-runtime/config.toml"), '[nvidia-container-runtime]\nmode = "cdi"\nruntimes = ["crun"]\n');
  const r = actk(["install", "--host-root", root, "--no-cdi", "--no-systemd"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /config \/etc\/actk\/config\.toml \(from the settings of \/etc\/nvidia-container-runtime\/config\.toml\)/);
  const config = fs.readFileSync(path.join(root, "etc/actk/config.toml"), "utf8");
  assert.match(config, /^mode = "cdi"$/m);
  assert.match(config, /^runtimes = \["crun"\]$/m);
  assert.match(config, /^path = "\/usr\/local\/bin\/actk-hook"$/m);
});

test("an upgrade (install from a newer build) updates the programs and uninstall still restores the host", (t) => {
  const root = simHost(t);
  const before = treeHash(root);
  // Two private builds (so a rebuild of dist/ meanwhile cannot change the count): the newer
  // one differs in actk-hook only.
  const builds = tempDir(t, "actk-install-dist-");
  const older = path.join(builds, "older");
  const newer = path.join(builds, "newer");
  fs.cpSync(path.join(repo, "dist"), older, { recursive: true });
  fs.cpSync(older, newer, { recursive: true });
  fs.appendFileSync(path.join(newer, "bin/actk-hook"), "// newer\n");
  assert.equal(actk(fullInstall(root, "--source", older)).status, 0);
  const up = actk([...fullInstall(root, "--source", newer), "--json"]);
  assert.equal(up.status, 0, up.stderr);
  const steps = (JSON.parse(up.stdout) as InstallJson).steps;
  const programs = steps.find((s) => s.id === "programs");
  assert.equal(programs?.status, "changed");
  assert.match(programs?.detail ?? "", /^programs in \/usr\/local\/bin \(files in \/usr\/local\/lib\/actk; (native|sh) actk-runtime launcher\): 1 updated$/);
  assert.match(fs.readFileSync(path.join(root, "usr/local/lib/actk/bin/actk-hook"), "utf8"), /\/\/ newer\n$/);
  assert.equal(actk(["uninstall", "--host-root", root]).status, 0);
  assert.equal(treeHash(root), before);
});

test("uninstall --dry-run lists what it would undo, changes nothing and says the restart the real uninstall says; --json gives the steps", (t) => {
  const root = simHost(t);
  assert.equal(actk(fullInstall(root)).status, 0);
  const installed = treeHash(root);
  const r = actk(["uninstall", "--host-root", root, "--dry-run", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  type UninstallJson = { installed: boolean; dryRun: boolean; steps: { kind?: string; detail: string }[]; restartNeeded: boolean; restartCommands: string[] };
  const out = JSON.parse(r.stdout) as UninstallJson;
  assert.deepEqual([out.installed, out.dryRun], [true, true]);
  assert.ok(out.steps.some((s) => s.kind === "engine"
    && s.detail === "containerd: would restore /etc/containerd/config.toml (restart needed: yes — systemctl restart containerd)"));
  assert.ok(out.steps.some((s) => s.detail === "would remove /etc/actk/config.toml"));
  assert.equal(treeHash(root), installed);
  const real = JSON.parse(actk(["uninstall", "--host-root", root, "--json"]).stdout) as UninstallJson;
  assert.deepEqual([out.restartNeeded, out.restartCommands], [real.restartNeeded, real.restartCommands], "the dry run's restart is the real one's");
  assert.deepEqual(real.restartCommands, ["systemctl restart docker", "systemctl restart containerd"]);
  const none = actk(["uninstall", "--host-root", simHost(t), "--json"]);
  assert.deepEqual(JSON.parse(none.stdout), { installed: false, dryRun: false, steps: [], restartNeeded: false, restartCommands: [] });
});

test("runtime unconfigure takes the configure line's --config: the file the journal records restores it, another changes nothing", (t) => {
  const root = simHost(t);
  const daemon = path.join(root, "etc/docker/daemon.json");
  const c = actk(["--host-root", root, "runtime", "configure", "--runtime", "docker", "--config", "/etc/docker/daemon.json", "--no-verify"]);
  assert.equal(c.status, 0, c.stderr);
  const configured = fs.readFileSync(daemon, "utf8");
  assert.notEqual(configured, daemonJson);

  const wrong = actk(["--host-root", root, "runtime", "unconfigure", "--runtime", "docker", "--config", "/etc/docker/other.json"]);
  assert.equal(wrong.status, 2, wrong.stderr);
  assert.match(wrong.stderr, /--config.*actk did not configure \/etc\/docker\/other\.json for docker.*records \/etc\/docker\/daemon\.json/s);
  assert.equal(fs.readFileSync(daemon, "utf8"), configured, "nothing changed");

  const u = actk(["--host-root", root, "runtime", "unconfigure", "--runtime", "docker", "--config", "/etc/docker/daemon.json"]);
  assert.equal(u.status, 0, u.stderr);
  assert.equal(fs.readFileSync(daemon, "utf8"), daemonJson);
});

test("with --with-node and a bun to ship, the runtime helper's unit runs the actk bundle on that bun, never steered by bunfig or .env", (t) => {
  const root = simHost(t);
  const r = actk(["install", "--host-root", root, "--with-node", "--prefix", "/opt/actk", "--no-cdi", "--runtime", "docker", "--no-verify"]);
  assert.equal(r.status, 0, r.stderr);
  const unit = fs.readFileSync(path.join(root, "etc/systemd/system/actk-runtime-helper.service"), "utf8");
  const bun = path.join(repoRoot, "node_modules/@oven/bun-linux-x64/bin/bun");
  assert.match(unit, fs.existsSync(bun)
    ? /^ExecStart=\/opt\/actk\/lib\/actk\/lib\/bun --config=\/dev\/null --no-env-file \/opt\/actk\/lib\/actk\/bin\/actk runtime helper$/m
    : /^ExecStart=\/opt\/actk\/bin\/actk runtime helper$/m);
  const u = actk(["uninstall", "--host-root", root]);
  assert.equal(u.status, 0, u.stderr);
  assert.ok(!fs.existsSync(path.join(root, "etc/systemd/system/actk-runtime-helper.service")));
});
