// Which pid the runtime helper answers with a signal, and that it is still the same process (same
// start time, still running the launcher) when the answer goes: on a fake /proc tree, and on the
// real /proc of child processes.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readStartTime, startTimeOf } from "./helper-pid.js";
import { findLauncher, launcherChanged, launcherPath } from "./helper.js";

/** A /proc/<pid>/stat line as Linux writes it, with `comm` and field 22 (starttime) chosen. */
const statLine = (pid: number, comm: string, start: string): string =>
  `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 ${start} 2842624 200 18446744073709551615 1 1 0 0 0 0 0 0 65536 0 0 0 17 3 0 0 0 0 0\n`;

test("startTimeOf reads field 22 after the last ')': comm may hold spaces and parentheses", () => {
  const cases: [string, string | undefined][] = [
    [statLine(4242, "sh", "987654"), "987654"],
    [statLine(4242, "a b", "5"), "5"],
    // A program can name itself anything: ") S 1 2 3 …" inside comm must not shift the fields.
    [statLine(4242, "x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 (", "31337"), "31337"],
    [statLine(4242, "((", "7"), "7"],
    ["4242 (sh) S 1 2 3", undefined],
    ["garbage", undefined],
    ["", undefined],
    [statLine(4242, "sh", "12x"), undefined],
  ];
  for (const [stat, want] of cases) assert.equal(startTimeOf(stat), want, stat);
});

test("readStartTime reads the real /proc: a child's start time, none once it is gone", async () => {
  assert.match(readStartTime(process.pid) ?? "", /^\d+$/);
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  const pid = child.pid ?? 0;
  const start = readStartTime(pid);
  assert.match(start ?? "", /^\d+$/);
  assert.equal(start, startTimeOf(readFileSync(`/proc/${pid}/stat`, "utf8")));
  const exited = new Promise((r) => child.once("exit", r));
  child.kill();
  await exited;
  assert.equal(readStartTime(pid), undefined);
});

interface FakeProc {
  proc: string;
  launcher: string;
  /** Make /proc/<pid> look like a process: argv, start time, cwd. */
  set(pid: number, argv: string[], start: string): void;
}

/** A fake /proc and a launcher-like file (second line as launcher.sh's) in a temp dir. */
function fakeProc(t: TestContext): FakeProc {
  const dir = mkdtempSync(path.join(tmpdir(), "actk-helper-proc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const launcher = path.join(dir, "bin", "actk-runtime");
  mkdirSync(path.dirname(launcher));
  writeFileSync(launcher, "#!/bin/sh\n# actk-runtime: an OCI runtime shim, runc-compatible on the command line.\n");
  const proc = path.join(dir, "proc");
  return {
    proc,
    launcher,
    set(pid, argv, start) {
      const p = path.join(proc, String(pid));
      rmSync(p, { recursive: true, force: true });
      mkdirSync(p, { recursive: true });
      writeFileSync(path.join(p, "cmdline"), argv.join("\0") + "\0");
      writeFileSync(path.join(p, "stat"), statLine(pid, path.basename(argv[0] ?? ""), start));
      symlinkSync(path.dirname(launcher), path.join(p, "cwd"));
    },
  };
}

test("the helper answers a shell running the launcher, however it was started, and no other program given its path", (t) => {
  const f = fakeProc(t);
  const accepted: string[][] = [
    ["/bin/sh", f.launcher, "create"], // the kernel's form for #!/bin/sh
    ["sh", f.launcher, "create"],
    ["dash", f.launcher],
    ["/usr/bin/bash", f.launcher],
    ["/nix/store/abc-bash-5.2/bin/sh", f.launcher],
    ["ksh93", f.launcher],
  ];
  for (const argv of accepted) {
    f.set(4242, argv, "100");
    assert.deepEqual(findLauncher(4242, f.launcher, f.proc), { pid: 4242, start: "100", file: f.launcher }, argv.join(" "));
  }
  // A relative $0 is the launcher's, taken from its working directory.
  f.set(4242, ["/bin/sh", "./actk-runtime"], "100");
  assert.equal(launcherPath(4242, "./actk-runtime", f.proc), f.launcher);
  const refused: string[][] = [
    ["less", f.launcher], // a pager or an editor open on the launcher would die of SIGUSR1
    ["/usr/bin/vim", f.launcher],
    ["/bin/busybox", "sh", f.launcher],
    ["/bin/sh", "-e", f.launcher],
    ["/bin/sh", "/other/actk-runtime"],
    ["sleep", "30"],
  ];
  for (const argv of refused) {
    f.set(4242, argv, "100");
    assert.equal(findLauncher(4242, f.launcher, f.proc), undefined, argv.join(" "));
  }
  // A file that does not start as the launcher does.
  const other = path.join(path.dirname(f.launcher), "other");
  writeFileSync(other, "#!/bin/sh\n# something else\n");
  f.set(4242, ["/bin/sh", other], "100");
  assert.equal(findLauncher(4242, other, f.proc), undefined);
  assert.equal(findLauncher(4243, f.launcher, f.proc), undefined, "no such pid");
});

test("launcherChanged: only the same process (same start time), still running the same launcher, is signalled", (t) => {
  const f = fakeProc(t);
  f.set(4242, ["/bin/sh", f.launcher, "create"], "100");
  const waiting = findLauncher(4242, f.launcher, f.proc);
  assert.ok(waiting);
  assert.equal(launcherChanged(waiting, f.launcher, f.proc), undefined, "still waiting: it gets its answer");
  // The launcher gave up (its timeout) and exec'd the low-level runtime: same pid, same start time.
  f.set(4242, ["/usr/bin/crun", "create", "--bundle", "/b", "c1"], "100");
  assert.match(launcherChanged(waiting, f.launcher, f.proc) ?? "", /no longer runs the launcher/);
  // It exited and another launcher got its pid: the command line matches, the start time does not.
  f.set(4242, ["/bin/sh", f.launcher, "create"], "250");
  assert.match(launcherChanged(waiting, f.launcher, f.proc) ?? "", /another process now \(started at tick 250, not 100\)/);
  // Gone, or /proc unreadable: no answer.
  rmSync(path.join(f.proc, "4242"), { recursive: true });
  assert.match(launcherChanged(waiting, f.launcher, f.proc) ?? "", /no longer runs the launcher/);
  f.set(4242, ["/bin/sh", f.launcher, "create"], "100");
  writeFileSync(path.join(f.proc, "4242", "stat"), "4242 (sh");
  assert.match(launcherChanged(waiting, f.launcher, f.proc) ?? "", /no longer runs the launcher/);
});

test("on the real /proc, a launcher run through its #! line is found, and a process that exec'd another program is not", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "actk-helper-real-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const launcher = path.join(dir, "actk-runtime");
  // It waits until told to go on, then turns into sleep, as a launcher that timed out execs runc.
  writeFileSync(launcher, `#!/bin/sh\n# actk-runtime: an OCI runtime shim (a stand-in)\nread -r _ <"$1"\nexec sleep 30\n`, { mode: 0o755 });
  const go = path.join(dir, "go");
  assert.equal(spawnSync("mkfifo", [go]).status, 0);
  const child = spawn(launcher, [go], { stdio: "ignore" });
  t.after(() => child.kill("SIGKILL"));
  const pid = child.pid ?? 0;
  // Opening the FIFO for writing returns once the script has opened it to read: it runs, and waits.
  const fd = openSync(go, "w");
  const waiting = findLauncher(pid, launcher);
  assert.deepEqual(waiting, { pid, start: readStartTime(pid), file: launcher });
  assert.equal(launcherChanged(waiting, launcher), undefined);
  writeSync(fd, "\n");
  closeSync(fd);
  for (let i = 0; i < 200 && readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] !== "sleep"; i++) spawnSync("sleep", ["0.01"]);
  assert.match(launcherChanged(waiting, launcher) ?? "", /no longer runs the launcher/);
  assert.equal(readStartTime(pid), waiting.start, "exec kept the start time: only the command line tells");
});
