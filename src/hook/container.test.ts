import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadContainer, parseState } from "./container.js";

interface FakeProc {
  /** Our NSpid line's entries, or undefined for a kernel without NSpid. */
  nspid?: number[];
  ownNs: string;
  /** The mount namespace of process `pid`, or undefined when /proc has no such process. */
  pidNs?: string;
}

/**
 * A bundle and a fake procfs. The pid's root links to "/" as a real /proc/<pid>/root does for a
 * process that is not chrooted, so `<procRoot>/<pid>/root<rootfs>` is a directory.
 */
function scene(t: TestContext, pid: number, p: FakeProc): { bundle: string; rootfs: string; procRoot: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-hook-container-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, "bundle");
  const rootfs = path.join(bundle, "rootfs");
  fs.mkdirSync(rootfs, { recursive: true });
  fs.writeFileSync(path.join(bundle, "config.json"), JSON.stringify({ ociVersion: "1.0.2", root: { path: "rootfs" } }));
  const procRoot = path.join(dir, "proc");
  fs.mkdirSync(path.join(procRoot, "self", "ns"), { recursive: true });
  const nspid = p.nspid ? `NSpid:\t${p.nspid.join("\t")}\n` : "";
  fs.writeFileSync(path.join(procRoot, "self", "status"), `Name:\tactk-hook\nPid:\t${p.nspid?.[0] ?? 4242}\n${nspid}PPid:\t1\n`);
  fs.symlinkSync(p.ownNs, path.join(procRoot, "self", "ns", "mnt"));
  if (p.pidNs !== undefined) {
    fs.mkdirSync(path.join(procRoot, String(pid), "ns"), { recursive: true });
    fs.symlinkSync(p.pidNs, path.join(procRoot, String(pid), "ns", "mnt"));
    fs.symlinkSync("/", path.join(procRoot, String(pid), "root"));
  }
  return { bundle, rootfs, procRoot };
}

const state = (bundle: string, pid?: number): string => JSON.stringify({ ociVersion: "1.0.2", id: "c1", status: "creating", bundle, ...(pid ? { pid } : {}) });

test("runc's createContainer (NSpid lists two namespaces, state pid 1 is the host's init elsewhere): the view is the rootfs itself", (t) => {
  // The e2e test hook-create-container.test.ts shows the same with real runc; this pins it where /proc/1 is readable.
  const s = scene(t, 1, { nspid: [4242, 7], ownNs: "mnt:[4026532001]", pidNs: "mnt:[4026531840]" });
  const c = loadContainer(parseState(state(s.bundle, 1)), s.procRoot);
  assert.equal(c.view, s.rootfs);
  assert.equal(c.mountNs, undefined, "no namespace to enter: /proc/1 is not the container's process");
  assert.match(c.viewReason, /NSpid has 2 entries/);
});

test("prestart (one NSpid entry, the container's process in another mount namespace): the view goes through /proc/<pid>/root", (t) => {
  const s = scene(t, 1, { nspid: [4242], ownNs: "mnt:[4026531840]", pidNs: "mnt:[4026532001]" });
  const c = loadContainer(parseState(state(s.bundle, 1)), s.procRoot);
  assert.equal(c.view, path.join(s.procRoot, "1", "root") + s.rootfs);
  assert.equal(c.mountNs, path.join(s.procRoot, "1", "ns", "mnt"));
  assert.match(c.viewReason, /own mount namespace/);
});

const rootfsCases: { name: string; pid?: number; proc: FakeProc; reason: RegExp }[] = [
  { name: "a container without its own mount namespace (runc init's host pid, our namespace)", pid: 4100, proc: { nspid: [4242], ownNs: "mnt:[4026531840]", pidNs: "mnt:[4026531840]" }, reason: /shares the hook's mount namespace/ },
  { name: "crun's createContainer state (pid 0)", pid: undefined, proc: { nspid: [4242, 7], ownNs: "mnt:[4026532001]" }, reason: /no pid/ },
  { name: "a pid /proc does not list", pid: 4100, proc: { nspid: [4242], ownNs: "mnt:[4026531840]" }, reason: /cannot compare/ },
];
for (const c of rootfsCases) {
  test(`the view is the rootfs itself for ${c.name}`, (t) => {
    const s = scene(t, c.pid ?? 1, c.proc);
    const got = loadContainer(parseState(state(s.bundle, c.pid)), s.procRoot);
    assert.equal(got.view, s.rootfs);
    assert.equal(got.mountNs, undefined);
    assert.match(got.viewReason, c.reason);
  });
}

test("a kernel without NSpid (Linux < 4.1) keeps the /proc/<pid>/root view for a process in another mount namespace", (t) => {
  const s = scene(t, 300, { ownNs: "mnt:[4026531840]", pidNs: "mnt:[4026532001]" });
  const c = loadContainer(parseState(state(s.bundle, 300)), s.procRoot);
  assert.equal(c.view, path.join(s.procRoot, "300", "root") + s.rootfs);
  assert.equal(c.mountNs, path.join(s.procRoot, "300", "ns", "mnt"));
});
