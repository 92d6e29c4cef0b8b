/**
 * create + start + delete of a busybox `true` container, N times, through bare
 * runc and through actk-runtime, interleaved within each case (so drift in
 * machine load hits both alike), for (a) a container with no request and (b) one GPU request
 * (NVIDIA_VISIBLE_DEVICES=0) on a simulated dgx-h100. Prints medians and the
 * ratio to bare runc measured in the same run. Needs root, runc, busybox-static
 * and a build (`npm run bench:runtime` builds first).
 *
 * The JS engine is chosen by the launcher (docs/runtime.md); set ACTK_JS=node to measure Node.
 *
 * Usage: node --import tsx bench/runtime-lifecycle/run.ts [N=20] [--json]
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createBundle } from "../../test/e2e/harness/bundle.js";
import { buildBusyboxRootfs, findBusybox } from "../../test/e2e/harness/rootfs.js";
import { distBin, findProgram } from "../../test/e2e/harness/requirements.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env.BENCH_N ?? 20);

const runc = findProgram("runc");
if (process.getuid?.() !== 0 || !runc || !findBusybox()) {
  process.stderr.write("bench:runtime needs root, runc and busybox-static (scripts/install-test-deps.sh)\n");
  process.exit(2);
}

const dir = mkdtempSync(path.join(tmpdir(), "actk-bench-rt-"));
const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
process.on("exit", cleanup);

const hostRoot = path.join(dir, "host");
const sim = spawnSync(distBin("actk"), ["sim", "create", "--profile", "dgx-h100", hostRoot], { encoding: "utf8" });
if (sim.status !== 0) {
  process.stderr.write(`actk sim create failed: ${sim.stderr}\n`);
  process.exit(1);
}
const logFile = path.join(dir, "actk-runtime.log");
const configFile = path.join(dir, "config.toml");
writeFileSync(configFile, `[runtime]\nruntimes = [${JSON.stringify(runc)}]\nlog-file = ${JSON.stringify(logFile)}\n`);
const env = { ...process.env, ACTK_HOST_ROOT: hostRoot, ACTK_CONFIG_FILE: configFile };

const rootfs = buildBusyboxRootfs(path.join(dir, "rootfs"));
interface Case { name: string; bundle: string; pristine: string }
const cases: Case[] = [
  { name: "no request", env: ["HOME=/root"] },
  { name: "1 GPU (dgx-h100)", env: ["NVIDIA_VISIBLE_DEVICES=0"] },
].map((c, i) => {
  const bundle = path.join(dir, `bundle${i}`);
  createBundle(bundle, { args: ["/bin/true"], env: c.env, rootfs });
  const pristine = path.join(dir, `config${i}.json`);
  copyFileSync(path.join(bundle, "config.json"), pristine);
  return { name: c.name, bundle, pristine };
});

const stateRoot = path.join(dir, "state");
mkdirSync(stateRoot);
const devNull = openSync("/dev/null", "r+");
const errFile = path.join(dir, "stderr");
let seq = 0;

/** One create+start+delete; milliseconds. */
function lifecycle(runtime: string, c: Case): number {
  copyFileSync(c.pristine, path.join(c.bundle, "config.json")); // actk edits it; every run starts equal
  const id = `bench-${process.pid}-${seq++}`;
  // Never a pipe: the created container inherits create's stdio and would hold it open.
  const call = (a: string[]): void => {
    const err = openSync(errFile, "w");
    const r = spawnSync(runtime, ["--root", stateRoot, ...a], { env, stdio: [devNull, devNull, err] });
    closeSync(err);
    if (r.status !== 0) throw new Error(`${path.basename(runtime)} ${a[0]} failed: ${readFileSync(errFile, "utf8")}`);
  };
  const t0 = process.hrtime.bigint();
  call(["create", "--bundle", c.bundle, id]);
  call(["start", id]);
  call(["delete", "--force", id]);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const runtimes = { runc, actk: distBin("actk-runtime") };
const samples = new Map<string, number[]>();
// Warm-up (page cache, first Node start) is not measured.
for (const c of cases) for (const r of Object.values(runtimes)) lifecycle(r, c);
// Case by case: a GPU run leaves work behind (fsync, hook processes) that would slow whatever
// follows it, so no-request runs never follow GPU runs.
for (const c of cases) {
  for (let i = 0; i < n; i++) {
    // Alternate which runtime goes first, so neither always follows the other.
    const order = i % 2 ? (["actk", "runc"] as const) : (["runc", "actk"] as const);
    for (const which of order) {
      const key = `${c.name}|${which}`;
      const list = samples.get(key) ?? [];
      list.push(lifecycle(runtimes[which], c));
      samples.set(key, list);
    }
  }
}
closeSync(devNull);

/** The JS engine the runtime's JS part ran on, from its log ("engine" of the last edit). */
function engineUsed(): string {
  let engine = "unknown (no edit logged)";
  try {
    for (const line of readFileSync(logFile, "utf8").split("\n")) {
      if (!line.includes('"engine"')) continue;
      const rec = JSON.parse(line) as { engine?: string };
      if (rec.engine) engine = rec.engine;
    }
  } catch {
    // no log: the JS part never ran
  }
  return engine;
}
const engine = engineUsed();

const targets: Record<string, number> = { "no request": 1.05, "1 GPU (dgx-h100)": 1.5 };
const rows = cases.map((c) => {
  const bare = median(samples.get(`${c.name}|runc`) ?? []);
  const actk = median(samples.get(`${c.name}|actk`) ?? []);
  return { case: c.name, n, engine, runcMs: Number(bare.toFixed(1)), actkMs: Number(actk.toFixed(1)), ratio: Number((actk / bare).toFixed(3)), target: targets[c.name] };
});
if (json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
else {
  process.stdout.write(`runtime lifecycle (create+start+delete of busybox true), N=${n}, medians; JS engine: ${engine}${process.env.ACTK_JS ? ` (ACTK_JS=${process.env.ACTK_JS})` : ""}\n`);
  process.stdout.write(`${"case".padEnd(20)} ${"runc ms".padStart(9)} ${"actk ms".padStart(9)} ${"ratio".padStart(7)} ${"target".padStart(7)}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.case.padEnd(20)} ${r.runcMs.toFixed(1).padStart(9)} ${r.actkMs.toFixed(1).padStart(9)} ${r.ratio.toFixed(3).padStart(7)} ${`≤${r.target}`.padStart(7)}\n`);
  }
}
