// Times `dist/bin/actk cdi generate --vendor all --host-root R` against `cat` of the host files discovery
// reads (procfs, sysfs, /etc; device nodes and libraries excluded), measured in the same run, on the
// dgx-h100 simulated host (8 GPUs, 2 in MIG mode) and on hosts with 2, 4 and 8 GPUs without MIG to show
// how time grows with the GPU count. The NVIDIA simulator stops at 8 GPUs (the H100 SXM bus-id table has
// 8 entries), so 16/32 GPUs cannot be simulated yet. Prints medians and the ratio; the target is < 250 ms
// wall for dgx-h100 on a 2-core machine.
//
// Run: npm run bench:cdi [-- --runs N]   (builds first; needs tsx to create the hosts through the library)
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createSimHost } from "../../src/sim/create.ts";
import { simProfiles } from "../../src/sim/profiles.ts";

const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const actk = path.resolve("dist/bin/actk");
if (!fs.existsSync(actk)) {
  console.error("dist/bin/actk is missing: run `npm run build` first (npm run bench:cdi does)");
  process.exit(1);
}

// Larger hosts reuse the dgx-h100 profile's NVIDIA options with another count. Profiles are plain
// data; `actk sim create` has no --count flag, so the bench adds its own profiles in memory.
const base = simProfiles.find((p) => p.name === "dgx-h100");
const counts = [2, 4, 8];
for (const count of counts) {
  simProfiles.push({
    name: `bench-${count}-gpus`, summary: `${count} H100 GPUs, no MIG (bench only)`,
    vendors: base.vendors.map((v) => ({ ...v, options: { ...v.options, count, mig: {} } })),
  });
}

function textFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.statSync(p).size < 64 * 1024) out.push(p);
    }
  };
  for (const d of ["proc", "sys", "etc"]) if (fs.existsSync(path.join(root, d))) walk(path.join(root, d));
  return out;
}

// CPU time (user + sys) through GNU time when installed: on a loaded machine wall time mostly measures
// waiting for a core, CPU time what the program itself costs.
const gnuTime = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
let lastCpuMs;

function time(cmd, args) {
  const cpuFile = path.join(os.tmpdir(), `actk-bench-cpu-${process.pid}`);
  const [exe, argv] = gnuTime ? [gnuTime, ["-f", "%U %S", "-o", cpuFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(exe, argv, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = performance.now() - t0;
  if (gnuTime) {
    const [u, sy] = fs.readFileSync(cpuFile, "utf8").trim().split(/\s+/).map(Number);
    lastCpuMs = (u + sy) * 1000;
    fs.rmSync(cpuFile, { force: true });
  }
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 6).join(" ")} failed (${r.status}): ${r.error?.message ?? r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "actk-bench-cdi-"));
const rows = [];
try {
  for (const [profile, gpus] of [["dgx-h100", 8], ...counts.map((n) => [`bench-${n}-gpus`, n])]) {
    const root = path.join(tmp, profile);
    createSimHost({ profile, dir: root, realDeviceNodes: false });
    const files = textFiles(root);
    const gen = ["--host-root", root, "cdi", "generate", "--vendor", "all"];
    time(actk, gen); // warm the page cache
    const g = [];
    const gCpu = [];
    const c = [];
    const n = [];
    const nCpu = [];
    for (let i = 0; i < runs; i++) {
      g.push(time(actk, gen));
      gCpu.push(lastCpuMs);
      c.push(time("cat", files));
      n.push(time(process.execPath, ["-e", "0"]));
      nCpu.push(lastCpuMs);
    }
    const out = spawnSync(actk, gen, { encoding: "utf8" }).stdout;
    rows.push({ profile, gpus, generate: median(g), cat: median(c), node: median(n), genCpu: gnuTime ? median(gCpu) : NaN, nodeCpu: gnuTime ? median(nCpu) : NaN, files: files.length, devices: (out.match(/^ {2}- name:/gm) ?? []).length });
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

console.log(`actk cdi generate --vendor all vs cat of the same host files; median of ${runs} runs each`);
console.log(`(NODE START: a bare \`node -e 0\` in the same run, the floor for any Node program; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs)\n`);
console.log("HOST           GPUS  DEVICES  FILES  GENERATE ms  CAT ms  RATIO  NODE START ms  GENERATE CPU ms  NODE START CPU ms");
for (const r of rows) {
  console.log(`${r.profile.padEnd(14)} ${String(r.gpus).padStart(4)}  ${String(r.devices).padStart(7)}  ${String(r.files).padStart(5)}  ${r.generate.toFixed(1).padStart(11)}  ${r.cat.toFixed(1).padStart(6)}  ${(r.generate / r.cat).toFixed(1).padStart(5)}  ${r.node.toFixed(1).padStart(13)}  ${r.genCpu.toFixed(0).padStart(15)}  ${r.nodeCpu.toFixed(0).padStart(17)}`);
}
const dgx = rows[0];
const first = rows[1];
const last = rows[rows.length - 1];
const perGpu = (last.generate - first.generate) / (last.gpus - first.gpus);
console.log(`\ndgx-h100: ${dgx.generate.toFixed(0)} ms (target < 250 ms: ${dgx.generate < 250 ? "met" : "NOT met"})`);
if (gnuTime) console.log(`CPU: dgx-h100 ${dgx.genCpu.toFixed(0)} ms, of which a bare node start is ${dgx.nodeCpu.toFixed(0)} ms; per-GPU CPU ${((last.genCpu - first.genCpu) / (last.gpus - first.gpus)).toFixed(2)} ms`);
console.log(`per-GPU wall cost ${perGpu.toFixed(2)} ms (${first.gpus} → ${last.gpus} GPUs); fixed cost ≈ ${(first.generate - first.gpus * perGpu).toFixed(0)} ms`);
