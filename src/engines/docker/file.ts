/**
 * The edge of the docker engine: start a throw-away dockerd on a private
 * socket, data-root and exec-root with the new daemon.json and check it comes
 * up and lists the runtime (dockerd 20.10 has no --validate). Keys that would
 * clash with those private flags are left out of the copy it reads.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ConfigureOptions, EnginePlan, VerifyContext, VerifyResult } from "../engine.js";
import { findProgram } from "../program.js";

/** daemon.json keys that are also given as flags to the throw-away dockerd. */
const privateKeys = ["hosts", "data-root", "graph", "exec-root", "pidfile", "bridge", "iptables", "ip6tables", "bip", "fixed-cidr"];

const script = `
"$DOCKERD" --config-file "$T/daemon.json" --data-root "$T/data" --exec-root "$T/exec" --pidfile "$T/docker.pid" \\
  -H "unix://$T/docker.sock" --iptables=false --ip6tables=false --bridge=none >"$T/dockerd.log" 2>&1 &
pid=$!
alive() { [ -d /proc/$pid ] && ! grep -q '^State:[[:space:]]*Z' /proc/$pid/status 2>/dev/null; }
rc=2; i=0
while [ $i -lt 600 ]; do
  if ! alive; then rc=1; break; fi
  if [ -S "$T/docker.sock" ] && "$DOCKER" -H "unix://$T/docker.sock" info --format '{{json .Runtimes}}' >"$T/runtimes.json" 2>"$T/info.err"; then rc=0; break; fi
  sleep 0.1; i=$((i+1))
done
kill -TERM $pid 2>/dev/null
j=0; while alive && [ $j -lt 200 ]; do sleep 0.1; j=$((j+1)); done
alive && kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
exit $rc
`;

export function verifyDocker(opts: ConfigureOptions, plan: EnginePlan, ctx: VerifyContext): VerifyResult {
  const dockerd = findProgram("dockerd");
  const docker = findProgram("docker");
  if (!dockerd || !docker) return { ok: true, skipped: true, detail: "dockerd or the docker CLI is not installed; not verified" };
  if (!ctx.isRoot) return { ok: true, skipped: true, detail: "starting a test dockerd needs root; not verified" };
  const written = plan.files.find((f) => f.path === opts.configPath)?.after;
  const text = written ?? readFileSync(ctx.hostPath(opts.configPath), "utf8");
  const config = JSON.parse(text) as Record<string, unknown>;
  for (const k of privateKeys) delete config[k];
  const dir = mkdtempSync(path.join(tmpdir(), "actk-verify-dockerd-"));
  try {
    writeFileSync(path.join(dir, "daemon.json"), JSON.stringify(config, null, 2));
    const r = spawnSync("/bin/sh", ["-c", script], {
      encoding: "utf8", timeout: 180_000,
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", DOCKERD: dockerd, DOCKER: docker, T: dir },
    });
    const shown = `dockerd --config-file ${opts.configPath} (private socket and data-root)`;
    const log = (): string => {
      try {
        const lines = readFileSync(path.join(dir, "dockerd.log"), "utf8").trim().split("\n");
        return (lines.reverse().find((l) => /level=(error|fatal)|unable to|failed/i.test(l)) ?? lines[0] ?? "").slice(0, 400);
      } catch {
        return "";
      }
    };
    if (r.status === 1) return { ok: false, detail: `${shown} exited: ${log()}` };
    if (r.status !== 0) return { ok: false, detail: `${shown} did not answer in time: ${log()}` };
    const runtimes = JSON.parse(readFileSync(path.join(dir, "runtimes.json"), "utf8")) as Record<string, unknown>;
    if (!Object.hasOwn(runtimes, opts.runtimeName)) {
      return { ok: false, detail: `${shown} started but \`docker info\` does not list runtime "${opts.runtimeName}"` };
    }
    return { ok: true, detail: `${shown} started and \`docker info\` lists runtime "${opts.runtimeName}"` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
