import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HostRoot } from "../host/host-root.js";
import { dockerEngine } from "../engines/docker/index.js";
import { options } from "../engines/testdata/golden.js";
import { configureEngine } from "../engines/transaction.js";
import { writeInstallJournal } from "./journal.js";
import { runUninstall } from "./uninstall.js";

/** A host where `actk install --runtime docker` configured daemon.json (only the engine record). */
function installedDocker(t: { after(fn: () => void): void }, daemonJson: string): HostRoot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-uninstall-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const host = new HostRoot(dir);
  fs.mkdirSync(host.hostPath("/etc/docker"), { recursive: true });
  fs.writeFileSync(host.hostPath("/etc/docker/daemon.json"), daemonJson);
  configureEngine(dockerEngine, options({ configPath: "/etc/docker/daemon.json" }), host, { dryRun: false, verify: false });
  writeInstallJournal(host, { version: 1, installedAt: "", prefix: "/usr/local", records: [{ kind: "engine", runtime: "docker", runtimeName: "actk" }] });
  return host;
}

test("uninstall --dry-run decides the restart as the real uninstall does, and writes nothing", (t) => {
  const host = installedDocker(t, "{}\n");
  const configured = fs.readFileSync(host.hostPath("/etc/docker/daemon.json"), "utf8");
  const engine = (id: string) => (id === "docker" ? dockerEngine : undefined);
  const dry = runUninstall({ host, dryRun: true, engine });
  assert.equal(fs.readFileSync(host.hostPath("/etc/docker/daemon.json"), "utf8"), configured);
  assert.equal(dry.steps[0]!.detail, "docker: would restore /etc/docker/daemon.json (restart needed: yes — systemctl restart docker)");
  const real = runUninstall({ host, dryRun: false, engine });
  assert.equal(real.steps[0]!.detail, "docker: restored /etc/docker/daemon.json (restart needed: yes — systemctl restart docker)");
  assert.deepEqual([dry.restartNeeded, dry.restartCommands], [real.restartNeeded, real.restartCommands]);
  assert.deepEqual(real.restartCommands, ["systemctl restart docker"]);
  assert.equal(fs.readFileSync(host.hostPath("/etc/docker/daemon.json"), "utf8"), "{}\n");
});

test("uninstall --dry-run says no restart when the engine's config has nothing of actk's left", (t) => {
  const host = installedDocker(t, "{}\n");
  fs.writeFileSync(host.hostPath("/etc/docker/daemon.json"), "{}\n");
  const dry = runUninstall({ host, dryRun: true, engine: () => dockerEngine });
  assert.deepEqual([dry.restartNeeded, dry.restartCommands], [false, []]);
});
