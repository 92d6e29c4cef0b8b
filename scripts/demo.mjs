// `npm run demo`: create the simulated `mixed` host (2 NVIDIA GPUs + 2 Ascend NPUs) in a temp
// dir and show what actk sees there and what it would inject into a container.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const actk = new URL("../dist/bin/actk", import.meta.url).pathname;
const host = mkdtempSync(join(tmpdir(), "actk-demo-"));
const steps = [
  ["Create a simulated host with 2 NVIDIA GPUs and 2 Ascend NPUs", ["sim", "create", "--profile", "mixed", "--force", host]],
  ["What actk discovers on it", ["info", "--host-root", host]],
  ["What a container asking for GPU 0 and NPU 1 would get",
    ["explain", "--host-root", host, "--env", "NVIDIA_VISIBLE_DEVICES=0", "--env", "NVIDIA_DRIVER_CAPABILITIES=compute,utility", "--env", "ASCEND_VISIBLE_DEVICES=1"]],
  ["The CDI devices actk would publish for it", ["cdi", "generate", "--host-root", host, "--vendor", "all", "--format", "yaml"]],
];
let failed = 0;
try {
  for (const [title, args] of steps) {
    process.stdout.write(`\n=== ${title}\n$ actk ${args.join(" ")}\n\n`);
    const r = spawnSync(actk, args, { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
    const out = r.stdout ?? "";
    // A full CDI spec is long; show its device names and size instead of every mount.
    if (args[0] === "cdi") {
      const names = [...out.matchAll(/^\s*- name: (.+)$/gm)].map((m) => m[1]);
      const kinds = [...out.matchAll(/^kind: (.+)$/gm)].map((m) => m[1]);
      process.stdout.write(`kinds: ${kinds.join(", ")}\ndevices: ${names.join(", ")}\n(${out.split("\n").length} lines of YAML; write them with --output /etc/cdi)\n`);
    } else process.stdout.write(out);
    if (r.status !== 0) {
      failed++;
      process.stdout.write(`(exit code ${r.status})\n`);
    }
  }
} finally {
  rmSync(host, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
