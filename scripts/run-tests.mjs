// Runs Node's built-in test runner over TypeScript test files (through tsx).
// unit: src/**/*.test.ts and test/integration/**; e2e: test/e2e/** (real runc, podman, ctr, dockerd).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const suite = process.argv[2] ?? "unit";
const filter = process.argv.slice(3);
const roots = suite === "e2e" ? ["test/e2e"] : ["src", "test/integration"];

function walk(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

let files = roots.flatMap((r) => walk(r, [])).sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no ${suite} test files found`);
  process.exit(1);
}
const args = ["--import", "tsx", "--test", "--test-reporter=spec"];
// E2E tests share engines, /etc/cdi and daemons: run them one file at a time.
if (suite === "e2e") args.push("--test-concurrency=1");
const r = spawnSync(process.execPath, [...args, ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
