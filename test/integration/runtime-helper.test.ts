/**
 * The runtime helper (`actk runtime helper`) with the built actk-runtime launcher, on a simulated
 * dgx-h100, with a recording low-level runtime: the helper edits bundles byte for byte as the
 * launcher's own JS part does, and every doubt (an error, no helper, a silent one, a FIFO someone
 * else owns) ends in the launcher doing the work itself.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { distBin, distShLauncher, nativeLauncherBuilt, repoRoot, tempDir } from "../e2e/harness/requirements.js";
import { formatHelperRequest, parseHelperRequest } from "../../src/runtime/helper-protocol.js";
import { nativeLauncher } from "../fixtures/native-launcher.js";

interface World {
  dir: string;
  host: string;
  bundle: string;
  pristine: string;
  env: NodeJS.ProcessEnv;
  log: string;
  helperDir: string;
}

function world(t: TestContext, containerEnv = ["NVIDIA_VISIBLE_DEVICES=0"]): World {
  const dir = tempDir(t, "actk-helper-it-");
  const host = path.join(dir, "host");
  const c = spawnSync(distBin("actk"), ["sim", "create", "--profile", "dgx-h100", host], { encoding: "utf8" });
  assert.equal(c.status, 0, c.stderr);
  const runtime = path.join(dir, "fake-runc");
  fs.writeFileSync(runtime, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/runtime-argv"\n`);
  fs.chmodSync(runtime, 0o755);
  const log = path.join(dir, "runtime.log");
  const config = path.join(dir, "config.toml");
  fs.writeFileSync(config, `[runtime]\nruntimes = [${JSON.stringify(runtime)}]\nlog-file = ${JSON.stringify(log)}\n`);
  const bundle = path.join(dir, "bundle");
  fs.mkdirSync(path.join(bundle, "rootfs"), { recursive: true });
  const pristine = JSON.stringify({ ociVersion: "1.0.2", process: { env: ["PATH=/bin", ...containerEnv], args: ["true"] }, root: { path: "rootfs" } });
  fs.writeFileSync(path.join(bundle, "config.json"), pristine);
  const helperDir = path.join(dir, "helper");
  return { dir, host, bundle, pristine, log, helperDir, env: { PATH: process.env.PATH, ACTK_HOST_ROOT: host, ACTK_CONFIG_FILE: config, ACTK_RUNTIME_HELPER: helperDir } };
}

/** The bun `actk install` ships beside actk (and runs the helper on), from this checkout's node_modules. */
const bun = path.join(repoRoot, "node_modules/@oven/bun-linux-x64/bin/bun");

async function startHelper(t: TestContext, w: World, extra: string[] = [], on: "node" | "bun" = "node"): Promise<ChildProcess> {
  const [program, args] = on === "bun"
    ? [bun, ["--config=/dev/null", "--no-env-file", distBin("actk"), "runtime", "helper", "--dir", w.helperDir, ...extra]]
    : [distBin("actk"), ["runtime", "helper", "--dir", w.helperDir, ...extra]];
  const child = spawn(program, args, { stdio: ["ignore", "ignore", "pipe"], env: { PATH: process.env.PATH } });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  t.after(() => {
    child.kill("SIGTERM");
  });
  for (let i = 0; i < 100 && !fs.existsSync(path.join(w.helperDir, "pid")); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(fs.existsSync(path.join(w.helperDir, "pid")), `the helper did not start: ${stderr}`);
  return child;
}

function create(w: World, env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(distBin("actk-runtime"), ["create", "--bundle", w.bundle, "c1"], { encoding: "utf8", env: { ...w.env, ...env } });
  return { status: r.status, stderr: r.stderr, ms: performance.now() - t0 };
}

const specOf = (w: World): string => fs.readFileSync(path.join(w.bundle, "config.json"), "utf8");
const reset = (w: World): void => fs.writeFileSync(path.join(w.bundle, "config.json"), w.pristine);
/** "engine" of each edit the runtime log records, in order. */
const engines = (w: World): string[] => fs.readFileSync(w.log, "utf8").split("\n").filter((l) => l.includes('"engine"')).map((l) => (JSON.parse(l) as { engine: string }).engine);

test("the helper edits config.json byte for byte as the launcher's own JS part, and the launcher then runs the low-level runtime", async (t) => {
  const w = world(t);
  await startHelper(t, w);
  const viaHelper = create(w);
  assert.equal(viaHelper.status, 0, viaHelper.stderr);
  const edited = specOf(w);
  assert.notEqual(edited, w.pristine);
  assert.deepEqual(fs.readFileSync(path.join(w.dir, "runtime-argv"), "utf8").trimEnd().split("\n"), ["create", "--bundle", w.bundle, "c1"]);
  reset(w);
  const direct = create(w, { ACTK_RUNTIME_HELPER: "off" });
  assert.equal(direct.status, 0, direct.stderr);
  assert.equal(specOf(w), edited);
  const seen = engines(w);
  assert.match(seen[0] ?? "", /\(helper\)$/);
  assert.doesNotMatch(seen[1] ?? "", /helper/);
});

test("a request the helper cannot serve fails exactly as without a helper: same one-line error, config.json unchanged", async (t) => {
  const w = world(t, ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=bogus"]);
  await startHelper(t, w);
  const viaHelper = create(w);
  const direct = create(w, { ACTK_RUNTIME_HELPER: "off" });
  assert.notEqual(viaHelper.status, 0);
  assert.equal(viaHelper.status, direct.status);
  assert.equal(viaHelper.stderr, direct.stderr);
  assert.match(viaHelper.stderr, /^actk-runtime: .*bogus.*run `actk doctor` for a full diagnosis\n$/);
  assert.equal(specOf(w), w.pristine);
  assert.equal(fs.existsSync(path.join(w.dir, "runtime-argv")), false);
});

test("with no helper behind the FIFO (stale pid file) the launcher does the work itself at once", (t) => {
  const w = world(t);
  fs.mkdirSync(w.helperDir, { mode: 0o700 });
  spawnSync("mkfifo", ["-m", "600", path.join(w.helperDir, "requests")]);
  const dead = spawnSync("true").pid ?? 999999;
  fs.writeFileSync(path.join(w.helperDir, "pid"), `${dead}\n`);
  const r = create(w, { ACTK_RUNTIME_HELPER_TIMEOUT: "30" });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.ms < 20_000, "it did not wait for the timeout");
  assert.notEqual(specOf(w), w.pristine);
  assert.doesNotMatch(engines(w)[0] ?? "", /helper/);
});

test("a helper that never answers costs the timeout, then the launcher edits config.json itself and logs why", (t) => {
  const w = world(t);
  fs.mkdirSync(w.helperDir, { mode: 0o700 });
  spawnSync("mkfifo", ["-m", "600", path.join(w.helperDir, "requests")]);
  // A live process that reads nothing and answers nothing.
  const silent = spawn("sleep", ["60"], { stdio: "ignore" });
  t.after(() => silent.kill());
  fs.writeFileSync(path.join(w.helperDir, "pid"), `${silent.pid}\n`);
  const r = create(w, { ACTK_RUNTIME_HELPER_TIMEOUT: "1" });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.ms >= 900, `waited ${r.ms} ms`);
  assert.notEqual(specOf(w), w.pristine);
  assert.match(fs.readFileSync(w.log, "utf8"), /"level":"warn".*"msg":"the runtime helper did not answer in time/);
});

test("hostile: the launcher never writes to a helper FIFO owned by another user", (t) => {
  const w = world(t);
  if (process.getuid?.() !== 0) return t.skip("needs root to chown the FIFO");
  fs.mkdirSync(w.helperDir, { mode: 0o700 });
  const fifo = path.join(w.helperDir, "requests");
  spawnSync("mkfifo", ["-m", "666", fifo]);
  fs.chownSync(fifo, 65534, 65534);
  const reader = spawn("sleep", ["60"], { stdio: "ignore" });
  t.after(() => reader.kill());
  fs.writeFileSync(path.join(w.helperDir, "pid"), `${reader.pid}\n`);
  // Whatever the launcher wrote would sit in the FIFO: keep it open so it could be read back.
  const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  t.after(() => fs.closeSync(fd));
  const r = create(w, { ACTK_RUNTIME_HELPER_TIMEOUT: "30" });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.ms < 20_000, "it did not wait for an answer");
  assert.throws(() => fs.readSync(fd, Buffer.alloc(4096)), /EAGAIN/, "nothing was written to the FIFO");
});

test("hostile: the helper signals only a pid whose command line is the launcher's, and refuses a directory others can write", async (t) => {
  const w = world(t);
  await startHelper(t, w);
  const victim = spawn("sleep", ["60"], { stdio: "ignore" });
  t.after(() => victim.kill());
  // A well-formed request naming a process that is not a launcher: SIGUSR1 would kill it.
  const line = formatHelperRequest({ pid: victim.pid ?? 0, bundle: w.bundle, self: "/usr/local/bin/actk-runtime", runtime: "runc", debug: false, env: { ACTK_HOST_ROOT: w.host } });
  assert.ok(!("error" in parseHelperRequest(line)));
  fs.writeFileSync(path.join(w.helperDir, "requests"), line + "\n");
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(victim.exitCode, null);
  assert.equal(victim.signalCode, null);
  assert.equal(specOf(w), w.pristine, "nothing was edited for it");

  const open = path.join(w.dir, "open");
  fs.mkdirSync(open, { mode: 0o777 });
  fs.chmodSync(open, 0o777);
  const r = spawnSync(distBin("actk"), ["runtime", "helper", "--dir", open], { encoding: "utf8" });
  assert.equal(r.status, 4);
  assert.match(r.stderr, /writable by group or others/);
  assert.equal(fs.existsSync(path.join(open, "requests")), false);
});

test("helper --status, a second helper on the same directory, and SIGTERM cleaning up", async (t) => {
  const w = world(t);
  const none = spawnSync(distBin("actk"), ["runtime", "helper", "--dir", w.helperDir, "--status", "--json"], { encoding: "utf8" });
  assert.equal(none.status, 1);
  assert.deepEqual(JSON.parse(none.stdout), { dir: w.helperDir, running: false, pid: null });
  const helper = await startHelper(t, w);
  const status = spawnSync(distBin("actk"), ["runtime", "helper", "--dir", w.helperDir, "--status"], { encoding: "utf8" });
  assert.equal(status.status, 0);
  assert.match(status.stdout, new RegExp(`^runtime helper running: pid ${helper.pid}, `));
  const second = spawnSync(distBin("actk"), ["runtime", "helper", "--dir", w.helperDir], { encoding: "utf8" });
  assert.equal(second.status, 4);
  assert.match(second.stderr, new RegExp(`another runtime helper \\(pid ${helper.pid}\\) already serves`));
  const flag = spawnSync(distBin("actk"), ["runtime", "helper", "--dir", w.helperDir, "--host-root", w.host], { encoding: "utf8" });
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /does not take --host-root/);
  const exited = new Promise((r) => helper.once("exit", r));
  helper.kill("SIGTERM");
  await exited;
  assert.deepEqual(fs.readdirSync(w.helperDir), []);
});

test("concurrent creates through one helper each get their own bundle edited, all by the helper", async (t) => {
  const w = world(t);
  await startHelper(t, w);
  const bundles = Array.from({ length: 8 }, (_, i) => {
    const b = path.join(w.dir, `b${i}`);
    fs.mkdirSync(path.join(b, "rootfs"), { recursive: true });
    fs.writeFileSync(path.join(b, "config.json"), w.pristine.replace("NVIDIA_VISIBLE_DEVICES=0", `NVIDIA_VISIBLE_DEVICES=${i}`));
    return b;
  });
  const codes = await Promise.all(bundles.map((b, i) => new Promise<number | null>((resolve) => {
    const p = spawn(distBin("actk-runtime"), ["create", "--bundle", b, `c${i}`], { stdio: "ignore", env: w.env });
    p.on("exit", (code) => resolve(code));
  })));
  assert.deepEqual(codes, bundles.map(() => 0));
  bundles.forEach((b, i) => {
    const spec = JSON.parse(fs.readFileSync(path.join(b, "config.json"), "utf8")) as { linux?: { devices?: { path: string }[] } };
    const gpus = (spec.linux?.devices ?? []).map((d) => d.path).filter((p) => /^\/dev\/nvidia\d+$/.test(p));
    assert.deepEqual(gpus, [`/dev/nvidia${i}`]);
  });
  assert.deepEqual(engines(w).map((e) => /\(helper\)$/.test(e)), bundles.map(() => true));
});

test("the launcher's request line is what helper-protocol.ts parses: absolute bundle, $0, runtime, --debug, env values", async (t) => {
  const w = world(t);
  // Stand in for the helper: our FIFO, our pid; read the line, then answer "do it yourself".
  fs.mkdirSync(w.helperDir, { mode: 0o700 });
  const fifo = path.join(w.helperDir, "requests");
  spawnSync("mkfifo", ["-m", "600", fifo]);
  fs.writeFileSync(path.join(w.helperDir, "pid"), `${process.pid}\n`);
  const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  t.after(() => fs.closeSync(fd));
  const launcher = spawn(distBin("actk-runtime"), ["--debug", "--root", "/run/x", "create", "--bundle", "bundle", "c1"], {
    cwd: w.dir, stdio: "ignore", env: { ...w.env, ACTK_RUNTIME_MODE: "jit", ACTK_RUNTIME_HELPER_TIMEOUT: "30" },
  });
  const exited = new Promise<number | null>((r) => launcher.once("exit", (code) => r(code)));
  let line = "";
  for (let i = 0; i < 200 && !line.includes("\n"); i++) {
    await new Promise((r) => setTimeout(r, 25));
    try {
      const buf = Buffer.alloc(4096);
      line += buf.subarray(0, fs.readSync(fd, buf)).toString();
    } catch {
      // EAGAIN: nothing yet
    }
  }
  const req = parseHelperRequest(line.replace(/\n$/, ""));
  assert.ok(!("error" in req), line);
  assert.deepEqual(req, {
    // The native launcher hands such a create to the sh launcher, which sends the line: $0 is its path.
    pid: launcher.pid, bundle: path.join(w.dir, "bundle"), self: nativeLauncherBuilt() ? distShLauncher() : distBin("actk-runtime"), runtime: path.join(w.dir, "fake-runc"), debug: true,
    env: { ACTK_CONFIG_FILE: w.env.ACTK_CONFIG_FILE, ACTK_HOST_ROOT: w.host, ACTK_RUNTIME_MODE: "jit" },
  });
  launcher.kill("SIGUSR2");
  assert.equal(await exited, 0);
  assert.notEqual(specOf(w), w.pristine, "the launcher's own JS part edited it");
  assert.match(fs.readFileSync(w.log, "utf8"), /"msg":"the runtime helper left this create to the runtime"/);
});

test("a launcher started by a relative name is answered too, with actk-hook found beside it", async (t) => {
  const w = world(t);
  await startHelper(t, w);
  // The sh launcher: bin/actk-runtime, or lib/actk-runtime.sh beside the native one.
  const sh = nativeLauncherBuilt() ? distShLauncher() : distBin("actk-runtime");
  const r = spawnSync("sh", [`./${path.basename(sh)}`, "create", "--bundle", w.bundle, "c1"], { cwd: path.dirname(sh), encoding: "utf8", env: w.env });
  assert.equal(r.status, 0, r.stderr);
  const edited = specOf(w);
  reset(w);
  assert.equal(create(w, { ACTK_RUNTIME_HELPER: "off" }).status, 0);
  assert.equal(specOf(w), edited);
  assert.match(engines(w)[0] ?? "", /\(helper\)$/);
});

test("the helper discovers as a container start does: no NVML in discovery (the CLI's info does try it)", async (t) => {
  const w = world(t);
  // An NVML that cannot load leaves a note wherever discovery tries it.
  fs.appendFileSync(w.env.ACTK_CONFIG_FILE as string, `log-level = "debug"\n[plugins."actk.vendor.v1".nvidia]\nnvml-library = "/opt/none/libnvidia-ml.so.1"\n`);
  await startHelper(t, w);
  assert.equal(create(w).status, 0);
  const discovered = fs.readFileSync(w.log, "utf8").split("\n").filter((l) => l.includes('"msg":"discovered nvidia"'));
  assert.equal(discovered.length, 1);
  assert.doesNotMatch(discovered[0] ?? "", /NVML not used/);
  assert.match(engines(w)[0] ?? "", /\(helper\)$/);
  const info = spawnSync(distBin("actk"), ["info", "--vendor", "nvidia"], { encoding: "utf8", env: w.env });
  assert.match(info.stdout, /NVML not used: .*ENOENT/);
});

test("on Bun the helper edits alike, serves concurrent creates, and on SIGTERM cleans up and exits", { skip: !fs.existsSync(bun) && "no bun in node_modules" }, async (t) => {
  const w = world(t);
  reset(w);
  const direct = create(w, { ACTK_RUNTIME_HELPER: "off" });
  assert.equal(direct.status, 0, direct.stderr);
  const edited = specOf(w);
  reset(w);
  const helper = await startHelper(t, w, [], "bun");
  const viaBun = create(w);
  assert.equal(viaBun.status, 0, viaBun.stderr);
  assert.equal(specOf(w), edited);
  assert.match(engines(w).at(-1) ?? "", /^bun .* \(helper\)$/);
  // Four launchers at once: each line is read whole and each bundle edited by the helper.
  const bundles = [1, 2, 3, 4].map((i) => {
    const b = path.join(w.dir, `b${i}`);
    fs.cpSync(w.bundle, b, { recursive: true });
    fs.writeFileSync(path.join(b, "config.json"), w.pristine);
    return b;
  });
  const runs = bundles.map((b, i) => new Promise<number | null>((resolve) => {
    spawn(distBin("actk-runtime"), ["create", "--bundle", b, `c${i}`], { stdio: "ignore", env: w.env }).once("exit", resolve);
  }));
  assert.deepEqual(await Promise.all(runs), [0, 0, 0, 0]);
  for (const b of bundles) assert.notEqual(fs.readFileSync(path.join(b, "config.json"), "utf8"), w.pristine, b);
  assert.equal(engines(w).filter((e) => /^bun .* \(helper\)$/.test(e)).length, 5);
  const exited = new Promise<number | null>((r) => helper.once("exit", r));
  helper.kill("SIGTERM");
  assert.equal(await exited, 0, "the helper exits once it has cleaned up (its FIFO read does not hold it)");
  assert.deepEqual(fs.readdirSync(w.helperDir), []);
  // Also when its directory went first (a test's or a tmpfiles cleanup): nothing to remove, it still exits.
  const again = await startHelper(t, w, [], "bun");
  fs.rmSync(w.helperDir, { recursive: true });
  const gone = new Promise<number | null>((r) => again.once("exit", r));
  again.kill("SIGTERM");
  assert.equal(await gone, 0);
});

/**
 * The helper of this checkout's src (not dist: this pins helper.ts itself), in a child process, as
 * the CLI runs it; its log (debug level) is collected from stderr.
 */
async function startSrcHelper(t: TestContext, dir: string): Promise<{ log: () => string }> {
  const src = (p: string): string => JSON.stringify(path.join(repoRoot, "src", p));
  const code = `const { runHelper } = await import(${src("runtime/helper.ts")});
const { createLogger } = await import(${src("core/log.ts")});
await runHelper({ dir: process.env.HELPER_DIR, logger: createLogger({ level: "debug", component: "helper" }) });`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"], env: { PATH: process.env.PATH, HELPER_DIR: dir },
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    // One stuck in a blocking read (a test that failed half-way) cannot run its SIGTERM handler.
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  });
  await until(() => fs.existsSync(path.join(dir, "pid")), () => `the helper did not start: ${stderr}`);
  return { log: () => stderr };
}

async function until(cond: () => boolean, what: () => string, ms = 15_000): Promise<void> {
  for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - t0 > ms) assert.fail(what());
  }
}

test("hostile: a launcher that exec'd another program while its request was served gets no signal (the same pid, checked again just before)", async (t) => {
  const dir = tempDir(t, "actk-helper-exec-");
  const helperDir = path.join(dir, "helper");
  const { log } = await startSrcHelper(t, helperDir);
  const host = path.join(dir, "host");
  fs.mkdirSync(host);
  const bundle = path.join(dir, "bundle");
  fs.mkdirSync(path.join(bundle, "rootfs"), { recursive: true });
  fs.writeFileSync(path.join(bundle, "config.json"), JSON.stringify({ ociVersion: "1.0.2", process: { env: ["PATH=/bin"], args: ["true"] }, root: { path: "rootfs" } }));
  // A stand-in launcher (second line as launcher.sh's) run through its #! line: it records an
  // answer, and when told "exec" turns into another program, as a launcher that timed out execs runc.
  const launcher = path.join(dir, "actk-runtime");
  fs.writeFileSync(launcher, `#!/bin/sh
# actk-runtime: an OCI runtime shim (a stand-in: it waits for its answer, or execs, as told)
trap 'echo USR1 >"$1/answer"; exit 0' USR1
trap 'echo USR2 >"$1/answer"; exit 0' USR2
: >"$1/ready"
until [ -e "$1/next" ]; do sleep 0.02; done
read -r actk_next <"$1/next"
[ "$actk_next" = exec ] && exec sleep 30
while :; do sleep 0.02; done
`, { mode: 0o755 });

  /** One create as the helper sees it: it reads its config from a FIFO, so serving waits until we feed it. */
  const serve = async (name: string, next: "exec" | "wait"): Promise<ChildProcess> => {
    const ctl = path.join(dir, name);
    fs.mkdirSync(ctl);
    const config = path.join(ctl, "config.toml");
    assert.equal(spawnSync("mkfifo", ["-m", "600", config]).status, 0);
    const p = spawn(launcher, [ctl], { stdio: "ignore" });
    t.after(() => p.kill("SIGKILL"));
    await until(() => fs.existsSync(path.join(ctl, "ready")), () => `${name} did not start`);
    const line = formatHelperRequest({
      pid: p.pid ?? 0, bundle, self: launcher, runtime: "runc", debug: false,
      env: { ACTK_CONFIG_FILE: config, ACTK_HOST_ROOT: host, ACTK_RUNTIME_LOG_FILE: path.join(dir, "runtime.log") },
    });
    fs.writeFileSync(path.join(helperDir, "requests"), line + "\n");
    // A writer's non-blocking open succeeds once a reader has the FIFO open: the helper has checked
    // the launcher and is serving (reading the config), until the writer closes.
    let fd = -1;
    await until(() => {
      try {
        fd = fs.openSync(config, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        return true;
      } catch {
        return false;
      }
    }, () => `the helper did not start serving ${name}: ${log()}`);
    fs.writeFileSync(path.join(ctl, "next"), `${next}\n`);
    if (next === "exec") await until(() => fs.readFileSync(`/proc/${p.pid}/cmdline`, "utf8").startsWith("sleep\0"), () => `${name} did not exec`);
    fs.writeSync(fd, "[runtime]\n");
    fs.closeSync(fd);
    return p;
  };

  // Control: a launcher that still waits gets its answer ("ok": nothing to edit in this bundle).
  const waits = await serve("waits", "wait");
  const exited = new Promise<number | null>((r) => waits.once("exit", r));
  await until(() => fs.existsSync(path.join(dir, "waits", "answer")), () => `no answer: ${log()}`);
  assert.equal(fs.readFileSync(path.join(dir, "waits", "answer"), "utf8"), "USR1\n");
  assert.equal(await exited, 0);

  // The one that exec'd `sleep 30` in the meantime: SIGUSR1 would kill it (as it would kill runc).
  const victim = await serve("execs", "exec");
  await until(() => log().includes("no answer sent"), () => `the helper did not decline: ${log()}`);
  assert.match(log(), new RegExp(`warn: no answer sent: the launcher stopped waiting .*"pid":${victim.pid},.*no longer runs the launcher`));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(victim.exitCode, null, "the victim is still running");
  assert.equal(victim.signalCode, null, "the victim was not killed by a signal");
  assert.equal(fs.readFileSync(`/proc/${victim.pid}/cmdline`, "utf8"), "sleep\x0030\0");
  assert.equal(fs.existsSync(path.join(dir, "execs", "answer")), false);
});

test("the launcher of this checkout (src/runtime/launcher.sh), run through its #! line, as `sh ./actk-runtime` or by the native launcher, is answered by this checkout's helper", async (t) => {
  const w = world(t);
  await startSrcHelper(t, w.helperDir);
  const bin = path.join(w.dir, "bin");
  fs.mkdirSync(bin);
  fs.copyFileSync(path.join(repoRoot, "src", "runtime", "launcher.sh"), path.join(bin, "actk-runtime"));
  fs.chmodSync(path.join(bin, "actk-runtime"), 0o755);
  // Unanswered, the launcher would wait 30 s, then run this JS part, which fails the create.
  const noJs = path.join(w.dir, "no-js");
  fs.writeFileSync(noJs, "#!/bin/sh\necho 'the JS part ran: the helper did not answer' >&2\nexit 9\n", { mode: 0o755 });
  const env = { ...w.env, ACTK_JS: noJs, ACTK_RUNTIME_HELPER_TIMEOUT: "30" };
  // And the native launcher (src/runtime/launcher.c), which hands such a create to the sh launcher beside it.
  const native = nativeLauncher(t);
  const programs: (readonly [string, readonly string[]])[] = [[path.join(bin, "actk-runtime"), []], ["sh", ["./actk-runtime"]]];
  if (native) programs.push([native.program, []]);
  for (const [program, args] of programs) {
    reset(w);
    const t0 = performance.now();
    const r = spawnSync(program, [...args, "create", "--bundle", w.bundle, "c1"], { cwd: bin, encoding: "utf8", env });
    assert.equal(r.status, 0, `${program}: ${r.stderr}`);
    assert.ok(performance.now() - t0 < 20_000, `${program}: answered before the timeout`);
    assert.notEqual(specOf(w), w.pristine);
    assert.match(engines(w).at(-1) ?? "", /\(helper\)$/);
  }
});
