/**
 * create + start + delete of a busybox `true` container, N times, through bare
 * runc and through actk-runtime, interleaved within each case (so drift in
 * machine load hits both alike), for (a) a container with no request and (b) one GPU request
 * (NVIDIA_VISIBLE_DEVICES=0) on a simulated dgx-h100, (b) with the runtime helper
 * (`actk runtime helper`, as `actk install` sets it up) and without it. actk-runtime is
 * dist/bin/actk-runtime: the native launcher when the build compiled it (docs/runtime.md "The
 * launcher"), and both cases also run through the sh launcher alone (dist/lib/actk-runtime.sh), and
 * (a) through a `#!/bin/sh` script that only execs runc (the floor of any sh launcher): references,
 * without a target. Prints medians and the
 * median ratio to bare runc measured in the same run (of each pair of back-to-back runs, so load
 * that comes and goes between turns cancels out). Needs root, runc, busybox-static
 * and a build (`npm run bench:runtime` builds first).
 *
 * The JS engine is chosen by the launcher (docs/runtime.md); set ACTK_JS=node to measure Node.
 *
 * Usage: node --import tsx bench/runtime-lifecycle/run.ts [N=20] [--json]
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createBundle } from "../../test/e2e/harness/bundle.js";
import { buildBusyboxRootfs, findBusybox } from "../../test/e2e/harness/rootfs.js";
import { distBin, distShLauncher, findProgram, nativeLauncherBuilt, repoRoot } from "../../test/e2e/harness/requirements.js";

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
if (!process.env.BENCH_KEEP) process.on("exit", cleanup);

const hostRoot = path.join(dir, "host");
const sim = spawnSync(distBin("actk"), ["sim", "create", "--profile", "dgx-h100", hostRoot], { encoding: "utf8" });
if (sim.status !== 0) {
  process.stderr.write(`actk sim create failed: ${sim.stderr}\n`);
  process.exit(1);
}
const logFile = path.join(dir, "actk-runtime.log");
const configFile = path.join(dir, "config.toml");
// The config an install writes (`actk config default`, every key with its comment), as the launcher
// reads it on every call, with runc and a private log set in place.
const defaults = spawnSync(distBin("actk"), ["config", "default"], { encoding: "utf8" });
writeFileSync(configFile, defaults.stdout);
const set = spawnSync(distBin("actk"), ["config", "--config-file", configFile, "--set", `runtime.runtimes=${runc}`, "--set", `runtime.log-file=${logFile}`, "--in-place"], { encoding: "utf8" });
if (defaults.status !== 0 || set.status !== 0) {
  process.stderr.write(`cannot write the bench config: ${defaults.stderr}${set.stderr}\n`);
  process.exit(1);
}
const baseEnv = { ...process.env, ACTK_HOST_ROOT: hostRoot, ACTK_CONFIG_FILE: configFile };

const rootfs = buildBusyboxRootfs(path.join(dir, "rootfs"));

// The runtime helper (docs/runtime.md "Runtime helper"), as `actk install` runs it, in a private directory.
const helperDir = path.join(dir, "helper");
const helperLog = openSync(path.join(dir, "helper.log"), "w");
// On the bun `actk install` ships beside actk when there is one (its systemd unit runs it so), else on Node;
// BENCH_HELPER_JS=node forces Node.
const bun = path.join(repoRoot, "node_modules/@oven/bun-linux-x64/bin/bun");
const helperOnBun = process.env.BENCH_HELPER_JS !== "node" && existsSync(bun);
const helper = helperOnBun
  ? spawn(bun, ["--config=/dev/null", "--no-env-file", distBin("actk"), "runtime", "helper", "--dir", helperDir], { stdio: ["ignore", helperLog, helperLog] })
  : spawn(distBin("actk"), ["runtime", "helper", "--dir", helperDir], { stdio: ["ignore", helperLog, helperLog] });
helper.unref(); // the bench ends when its work does; the exit handler stops the helper
process.on("exit", () => helper.kill("SIGTERM"));
for (let i = 0; i < 200 && !existsSync(path.join(helperDir, "pid")); i++) spawnSync("sleep", ["0.05"]);
if (!existsSync(path.join(helperDir, "pid"))) {
  process.stderr.write(`the runtime helper did not start: ${readFileSync(path.join(dir, "helper.log"), "utf8")}\n`);
  process.exit(1);
}

// The floor of any launcher written in sh: a script that only execs runc. (a)'s target is measured against
// what this costs, so the bench shows it beside the launcher (a reference, not a target).
const shFloor = path.join(dir, "sh-exec-only");
writeFileSync(shFloor, `#!/bin/sh\nexec ${runc} "$@"\n`, { mode: 0o755 });

/** A way to run the container: bare runc, actk-runtime with or without the helper, or a reference. */
interface Variant { id: string; runtime: string; env: NodeJS.ProcessEnv; reference?: boolean }
// Which launcher dist/bin/actk-runtime is: an ELF file is the native one (scripts/build.mjs).
const native = nativeLauncherBuilt();
const shLauncher = distShLauncher();
const runtimeVariants = {
  runc: { id: "runc", runtime: runc, env: baseEnv },
  shFloor: { id: "sh exec only", runtime: shFloor, env: baseEnv, reference: true },
  shLauncher: { id: "sh launcher (helper)", runtime: shLauncher, env: { ...baseEnv, ACTK_RUNTIME_HELPER: helperDir }, reference: true },
  helper: { id: "actk (helper)", runtime: distBin("actk-runtime"), env: { ...baseEnv, ACTK_RUNTIME_HELPER: helperDir } },
  direct: { id: "actk (no helper)", runtime: distBin("actk-runtime"), env: { ...baseEnv, ACTK_RUNTIME_HELPER: "off" } },
} satisfies Record<string, Variant>;

interface Case { name: string; variant: Variant; target: number; bundle: string; pristine: string }
// The no-request case never reaches the helper (the launcher's pre-filter execs runc first).
const cases: Case[][] = [
  { name: "no request", env: ["HOME=/root"], target: 1.05, variants: [runtimeVariants.helper, ...(native ? [runtimeVariants.shLauncher] : []), runtimeVariants.shFloor] },
  { name: "1 GPU (dgx-h100)", env: ["NVIDIA_VISIBLE_DEVICES=0"], target: 1.5, variants: [runtimeVariants.helper, runtimeVariants.direct, ...(native ? [runtimeVariants.shLauncher] : [])] },
].map((c, i) => [runtimeVariants.runc, ...c.variants].map((variant, j) => {
  const bundle = path.join(dir, `bundle${i}-${j}`);
  createBundle(bundle, { args: ["/bin/true"], env: c.env, rootfs });
  const pristine = path.join(dir, `config${i}-${j}.json`);
  copyFileSync(path.join(bundle, "config.json"), pristine);
  return { name: c.name, variant, target: c.target, bundle, pristine };
}));

const stateRoot = path.join(dir, "state");
mkdirSync(stateRoot);
const devNull = openSync("/dev/null", "r+");
const errFile = path.join(dir, "stderr");
let seq = 0;

/** One create+start+delete; milliseconds. */
function lifecycle(c: Case): number {
  copyFileSync(c.pristine, path.join(c.bundle, "config.json")); // actk edits it; every run starts equal
  const id = `bench-${process.pid}-${seq++}`;
  // Never a pipe: the created container inherits create's stdio and would hold it open.
  const call = (a: string[]): void => {
    const err = openSync(errFile, "w");
    const r = spawnSync(c.variant.runtime, ["--root", stateRoot, ...a], { env: c.variant.env, stdio: [devNull, devNull, err] });
    closeSync(err);
    if (r.status !== 0) throw new Error(`${c.variant.id} ${a[0]} failed: ${readFileSync(errFile, "utf8")}`);
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

const samples = new Map<Case, number[]>();
// Warm-up (page cache, first JS start, the helper's JIT) is not measured.
for (const group of cases) for (const c of group) for (let i = 0; i < 3; i++) lifecycle(c);
// Case by case: a GPU run leaves work behind (hook processes, dirty pages) that would slow whatever
// follows it, so no-request runs never follow GPU runs.
for (const group of cases) {
  for (let i = 0; i < n; i++) {
    // Rotate which variant goes first, so none always follows another.
    for (let k = 0; k < group.length; k++) {
      const c = group[(i + k) % group.length] as Case;
      const list = samples.get(c) ?? [];
      list.push(lifecycle(c));
      samples.set(c, list);
    }
  }
}
closeSync(devNull);

/** The JS engine that edited a bundle, from the runtime log ("engine" of its last edit). */
function engineUsed(bundle: string): string {
  let engine = "none (no edit logged)";
  try {
    for (const line of readFileSync(logFile, "utf8").split("\n")) {
      if (!line.includes('"engine"')) continue;
      const rec = JSON.parse(line) as { engine?: string; bundle?: string };
      if (rec.engine && rec.bundle && path.resolve(rec.bundle) === bundle) engine = rec.engine;
    }
  } catch {
    // no log: the JS part never ran
  }
  return engine;
}

const rows = cases.flatMap((group) => {
  const bareSamples = samples.get(group[0] as Case) ?? [];
  const bare = median(bareSamples);
  return group.slice(1).map((c) => {
    const actkSamples = samples.get(c) ?? [];
    const actk = median(actkSamples);
    // The i-th runs of a group ran back to back: their ratio cancels the machine's drift between turns.
    const paired = median(actkSamples.map((a, i) => a / (bareSamples[i] as number)));
    return {
      case: c.name, variant: c.variant.id, n, engine: c.variant.runtime === shFloor ? "—" : engineUsed(c.bundle), runcMs: Number(bare.toFixed(1)), actkMs: Number(actk.toFixed(1)),
      ratio: Number(paired.toFixed(3)), ratioOfMedians: Number((actk / bare).toFixed(3)), target: c.variant.reference ? null : c.target,
    };
  });
});
if (json) process.stdout.write(JSON.stringify(rows.map((r) => ({ ...r, launcher: r.variant.startsWith("actk") ? (native ? "native" : "sh") : undefined })), null, 2) + "\n");
else {
  process.stdout.write(`runtime lifecycle (create+start+delete of busybox true), N=${n}, medians${process.env.ACTK_JS ? ` (ACTK_JS=${process.env.ACTK_JS})` : ""}\n`);
  process.stdout.write(`actk: dist/bin/actk-runtime, the ${native ? "native" : "sh"} launcher\n`);
  process.stdout.write(`${"case".padEnd(18)} ${"runtime".padEnd(20)} ${"runc ms".padStart(8)} ${"actk ms".padStart(8)} ${"ratio".padStart(6)} ${"target".padStart(6)}  JS part\n`);
  for (const r of rows) {
    process.stdout.write(`${r.case.padEnd(18)} ${r.variant.padEnd(20)} ${r.runcMs.toFixed(1).padStart(8)} ${r.actkMs.toFixed(1).padStart(8)} ${r.ratio.toFixed(3).padStart(6)} ${(r.target === null ? "ref" : `≤${r.target}`).padStart(6)}  ${r.engine}\n`);
  }
  process.stdout.write("ratio: median of the ratios of back-to-back runs (the medians' ratio is in --json as ratioOfMedians)\n");
  process.stdout.write("ref: no target. sh exec only: a #!/bin/sh script that only execs runc, the floor of any sh launcher;\n");
  if (native) process.stdout.write("     sh launcher: dist/lib/actk-runtime.sh alone, as a build without a C compiler has it\n");
}
