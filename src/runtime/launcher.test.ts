// The launchers' decisions (which runtime, which command, which bundle, JS part or not),
// checked with a recording low-level runtime and a recording "node", and against args.ts:
// launcher.sh, and the native launcher (launcher.c) that does its work up to the pre-filter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { PluginType } from "../core/registry.js";
import { HostRoot } from "../host/host-root.js";
import { createRegistry } from "../plugins.js";
import type { Vendor } from "../vendors/vendor.js";
import { parseRuntimeArgs } from "./args.js";
import { helperEnvKeys } from "./helper-protocol.js";
import { nativeLauncher } from "../../test/fixtures/native-launcher.js";

const launcher = path.resolve(new URL(".", import.meta.url).pathname, "launcher.sh");

/** The sh launcher alone (a build without a C compiler), or the native one that runs it for requests. */
type Kind = "sh" | "native";
const kinds: readonly Kind[] = ["sh", "native"];

interface Sandbox {
  dir: string;
  /** The program file actk-runtime runs: launcher.sh, or the native launcher. */
  self: string;
  /** Replace the config's runtimes line. */
  runtimes(line: string): void;
  run(args: string[], opts?: { cwd?: string; env?: Record<string, string>; program?: string; fds?: number }): {
    status: number | null; stderr: string; pid?: number; runtimeArgv?: string[]; nodeCalls: string[];
  };
}

/** A sandbox with the sh launcher, or with the native one (undefined when the test was skipped: no C compiler). */
function sandbox(t: TestContext, runtimesLine?: string): Sandbox;
function sandbox(t: TestContext, runtimesLine: string | undefined, kind: Kind): Sandbox | undefined;
function sandbox(t: TestContext, runtimesLine?: string, kind: Kind = "sh"): Sandbox | undefined {
  const native = kind === "native" ? nativeLauncher(t) : undefined;
  if (kind === "native" && !native) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "actk-launcher-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  const fake = path.join(bin, "fake-runc");
  writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$0" "$@" > "${dir}/runtime-argv"\necho $$ > "${dir}/runtime-pid"\nexit 7\n`);
  chmodSync(fake, 0o755);
  const node = path.join(bin, "fake-node");
  writeFileSync(node, `#!/bin/sh\necho "$ACTK_RUNTIME_STAGE $ACTK_LOW_LEVEL_RUNTIME $*" >> "${dir}/node-calls"\nexit "\${FAKE_NODE_EXIT:-0}"\n`);
  chmodSync(node, 0o755);
  const self = native?.program ?? launcher;
  const prog = path.join(bin, "actk-runtime");
  symlinkSync(self, prog);
  const config = path.join(dir, "config.toml");
  const runtimes = (line: string): void => writeFileSync(config, `[runtime]\n${line}\n`);
  runtimes(runtimesLine ?? `runtimes = ["nonexistent-runtime", "${fake}"]`);
  return {
    dir, self, runtimes,
    run(args, opts = {}) {
      for (const f of ["runtime-argv", "runtime-pid", "node-calls"]) rmSync(path.join(dir, f), { force: true });
      const env = { PATH: "/usr/bin:/bin", ACTK_CONFIG_FILE: config, ACTK_JS: node, ACTK_RUNTIME_LIB: "/lib.mjs", ...opts.env };
      const program = opts.program ?? prog;
      // The sh launcher through sh, so the test does not depend on the file's x bit; $0 is still the program path.
      const r = kind === "sh"
        ? spawnSync("/bin/sh", [program, ...args], { cwd: opts.cwd ?? dir, encoding: "utf8", env })
        : spawnSync(program, args, { cwd: opts.cwd ?? dir, encoding: "utf8", env });
      const argvFile = path.join(dir, "runtime-argv");
      const pidFile = path.join(dir, "runtime-pid");
      const nodeFile = path.join(dir, "node-calls");
      return {
        status: r.status, stderr: r.stderr,
        pid: existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : undefined,
        runtimeArgv: existsSync(argvFile) ? readFileSync(argvFile, "utf8").trimEnd().split("\n") : undefined,
        nodeCalls: existsSync(nodeFile) ? readFileSync(nodeFile, "utf8").trimEnd().split("\n") : [],
      };
    },
  };
}

function bundle(dir: string, name: string, env: string[]): string {
  const b = path.join(dir, name);
  mkdirSync(b, { recursive: true });
  writeFileSync(path.join(b, "config.json"), JSON.stringify({ process: { env: ["PATH=/bin", ...env] } }));
  return b;
}

for (const kind of kinds) {
  const name = (what: string): string => `${kind} launcher ${what}`;

  test(name("execs the low-level runtime with the arguments unchanged, in the same process, and returns its exit code"), (t) => {
    const s = sandbox(t, undefined, kind);
    if (!s) return;
    const r = s.run(["--root", "/run/x", "--log-format=json", "state", "c1"]);
    assert.equal(r.status, 7);
    assert.deepEqual(r.runtimeArgv, [path.join(s.dir, "bin", "fake-runc"), "--root", "/run/x", "--log-format=json", "state", "c1"]);
    assert.deepEqual(r.nodeCalls, []);
  });

  const createCases: { name: string; env: string[]; node: boolean }[] = [
    { name: "a container without any request", env: ["HOME=/root"], node: false },
    { name: "an NVIDIA request", env: ["NVIDIA_VISIBLE_DEVICES=0"], node: true },
    { name: "an Ascend request", env: ["ASCEND_VISIBLE_DEVICES=3"], node: true },
    { name: "an AMD request", env: ["AMD_VISIBLE_DEVICES=all"], node: true },
    { name: "a legacy CUDA image (CUDA_VERSION)", env: ["CUDA_VERSION=12.4.0"], node: true },
  ];
  for (const c of createCases) {
    test(name(`pre-filter: create with ${c.name} ${c.node ? "starts the JS part first" : "never starts the JS part"}`), (t) => {
      const s = sandbox(t, undefined, kind);
      if (!s) return;
      const b = bundle(s.dir, "b", c.env);
      const r = s.run(["--root", "/run/x", "create", "--bundle", b, "c1"]);
      assert.equal(r.status, 7);
      assert.deepEqual(r.runtimeArgv?.slice(1), ["--root", "/run/x", "create", "--bundle", b, "c1"]);
      assert.deepEqual(r.nodeCalls, c.node ? [`prepare ${path.join(s.dir, "bin", "fake-runc")} /lib.mjs --root /run/x create --bundle ${b} c1`] : []);
    });
  }

  test(name("finds the bundle from -b=, from the last flag, and from the cwd"), (t) => {
    const s = sandbox(t, undefined, kind);
    if (!s) return;
    const gpu = bundle(s.dir, "gpu", ["NVIDIA_VISIBLE_DEVICES=all"]);
    const plain = bundle(s.dir, "plain", []);
    assert.equal(s.run(["create", `-b=${gpu}`, "c"]).nodeCalls.length, 1);
    assert.equal(s.run(["create", "-b", gpu, "--bundle", plain, "c"]).nodeCalls.length, 0);
    assert.equal(s.run(["create", "c"], { cwd: gpu }).nodeCalls.length, 1);
    // "create" as a container id of another command is not a create.
    assert.equal(s.run(["delete", "create"], { cwd: gpu }).nodeCalls.length, 0);
    // "create" as the value of a global flag is not the command.
    assert.equal(s.run(["--root", "create", "state", "x"], { cwd: gpu }).nodeCalls.length, 0);
    // A create whose --bundle has no value is runc's to refuse, not a request.
    assert.equal(s.run(["create", "c", "--bundle"], { cwd: gpu }).nodeCalls.length, 0);
  });

  test(name("agrees with args.ts on the command and the bundle"), (t) => {
    const s = sandbox(t, undefined, kind);
    if (!s) return;
    const gpu = bundle(s.dir, "gpu", ["NVIDIA_VISIBLE_DEVICES=0"]);
    const table: string[][] = [
      ["create", "--bundle", gpu, "id"],
      ["--root", "/r", "--log", "/l", "--log-format", "json", "create", "-b", gpu, "id"],
      ["--debug", "create", `--bundle=${gpu}`, "id"],
      ["---root=/r", "create", "-bundle", gpu, "id"],
      ["--criu", "create", "create", "-b", gpu, "id"],
      ["--rootless", "true", "create", `-b=${gpu}`, "id"],
      ["-", "create", "--bundle", gpu, "id"],
      ["start", "id"],
      ["--root", "create", "state", "id"],
      ["", "create", "--bundle", gpu, "id"],
    ];
    for (const argv of table) {
      const parsed = parseRuntimeArgs(argv, "/cwd");
      const r = s.run(argv);
      assert.equal(r.status, 7, argv.join(" "));
      assert.equal(r.nodeCalls.length, parsed.command === "create" && parsed.bundle === gpu ? 1 : 0, argv.join(" "));
    }
  });

  test(name("a failing JS part stops the create with its exit code and never runs the runtime"), (t) => {
    const s = sandbox(t, undefined, kind);
    if (!s) return;
    const b = bundle(s.dir, "b", ["NVIDIA_VISIBLE_DEVICES=0"]);
    const r = s.run(["create", "--bundle", b, "c1"], { env: { FAKE_NODE_EXIT: "3" } });
    assert.equal(r.status, 3);
    assert.equal(r.runtimeArgv, undefined);
  });

  test(name("refuses a runtimes list that names actk-runtime itself, by any name"), (t) => {
    const s = sandbox(t, undefined, kind);
    if (!s) return;
    const other = path.join(s.dir, "bin", "runc");
    symlinkSync(s.self, other);
    for (const self of [s.self, path.join(s.dir, "bin", "actk-runtime"), other]) {
      s.runtimes(`runtimes = ["${self}"]`);
      const r = s.run(["state", "x"]);
      assert.equal(r.status, 3, self);
      assert.match(r.stderr, /^actk-runtime: runtime.runtimes names actk-runtime itself .*; run `actk doctor` for a full diagnosis\n$/, self);
    }
  });

  test(name("says which runtimes it tried when none exists"), (t) => {
    const s = sandbox(t, `runtimes = ["no-such-runc", "/nope/crun"]`, kind);
    if (!s) return;
    const r = s.run(["state", "x"]);
    assert.equal(r.status, 4);
    assert.match(r.stderr, /no low-level runtime found from runtime.runtimes \[no-such-runc, \/nope\/crun\]\. Fix: install runc or crun/);
    assert.equal(r.stderr.split("\n").length, 2);
  });

  test(name("reads runtimes as a TOML list on one line, quoted either way, found on PATH or not at all"), (t) => {
    const s = sandbox(t, undefined, kind);
    if (!s) return;
    const fake = path.join(s.dir, "bin", "fake-runc");
    for (const line of [`runtimes=['nope', "${fake}"]`, `  runtimes = [ "fake-runc" ]  # comment`, `runtimes\t= ["nope","fake-runc",]`]) {
      s.runtimes(line);
      const r = s.run(["state", "x"], { env: { PATH: `/nonexistent::${path.dirname(fake)}` } });
      assert.equal(r.status, 7, line);
      assert.equal(r.runtimeArgv?.[0], fake, line);
    }
    s.runtimes(`runtimes = [\n  "${fake}",\n]`);
    const split = s.run(["state", "x"]);
    assert.equal(split.status, 3);
    assert.match(split.stderr, /^actk-runtime: .*config\.toml: runtimes must be written on one line .*\n$/);
    // A bare name not on PATH is looked for in the system directories too (runc lives in /usr/sbin).
    const systemRunc = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"].map((d) => path.join(d, "runc")).find((p) => existsSync(p));
    if (systemRunc) {
      s.runtimes(`runtimes = ["runc"]`);
      const r = s.run(["--version"], { env: { PATH: `/nonexistent:${path.dirname(fake)}` } });
      assert.equal(r.status, 0, r.stderr);
    }
    // No runtimes line: the defaults (docker-runc, runc, crun), the first on PATH first.
    s.runtimes(`mode = "jit"`);
    const pathDir = path.join(s.dir, "path");
    mkdirSync(pathDir);
    symlinkSync(fake, path.join(pathDir, "docker-runc"));
    const byDefault = s.run(["state", "x"], { env: { PATH: pathDir } });
    assert.equal(byDefault.status, 7);
    assert.equal(byDefault.runtimeArgv?.[0], path.join(pathDir, "docker-runc"));
  });

  test(name("gives the low-level runtime its environment, extra fds and pid"), (t) => {
    const s = sandbox(t, undefined, kind);
    if (!s) return;
    const dumper = path.join(s.dir, "bin", "dump-runc");
    writeFileSync(dumper, `#!/bin/sh\necho $$ > "${s.dir}/runtime-pid"\nenv > "${s.dir}/runtime-env"\necho fd3 >&3 && exit 5\n`, { mode: 0o755 });
    s.runtimes(`runtimes = ["${dumper}"]`);
    const plain = bundle(s.dir, "plain", []);
    const env = { PATH: "/usr/bin:/bin", ACTK_CONFIG_FILE: path.join(s.dir, "config.toml"), SOME_ENGINE_VAR: "x y\tz" };
    const r = spawnSync(kind === "sh" ? "sh" : path.join(s.dir, "bin", "actk-runtime"), [...(kind === "sh" ? [path.join(s.dir, "bin", "actk-runtime")] : []), "create", "--bundle", plain, "c"],
      { env, stdio: ["ignore", "ignore", "pipe", "pipe"], encoding: "utf8" });
    assert.equal(r.status, 5, r.stderr);
    assert.equal(r.output[3], "fd3\n", "fd 3 reached the runtime");
    assert.equal(Number(readFileSync(path.join(s.dir, "runtime-pid"), "utf8")), r.pid, "the runtime ran in the launcher's process");
    const seen = new Map(readFileSync(path.join(s.dir, "runtime-env"), "utf8").trimEnd().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    for (const [k, v] of Object.entries(env)) assert.equal(seen.get(k), v, k);
    // Shells (the launcher, and the recording runtime itself) add PWD; nothing else is added.
    const added = [...seen.keys()].filter((k) => !(k in env) && !["PWD", "OLDPWD", "SHLVL", "_"].includes(k));
    assert.deepEqual(added, []);
  });

  test(name("never opens a config.json that is a FIFO, and passes the create to the runtime"), (t) => {
    const s = sandbox(t, undefined, kind);
    if (!s) return;
    const b = path.join(s.dir, "fifo-bundle");
    mkdirSync(b);
    const fifo = path.join(b, "config.json");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    // A writer waiting on the FIFO: any open for reading (even a non-blocking one) would release it.
    const writer = spawn("/bin/sh", ["-c", `echo x > '${fifo}' && : > '${s.dir}/writer-released'`], { stdio: "ignore" });
    t.after(() => writer.kill("SIGKILL"));
    const r = s.run(["create", "--bundle", b, "c"]);
    assert.equal(r.status, 7);
    assert.deepEqual(r.nodeCalls, []);
    spawnSync("sleep", ["0.2"]);
    assert.equal(existsSync(path.join(s.dir, "writer-released")), false, "the FIFO was never opened");
  });

  test(name("runs a runtime that is a script without #! through /bin/sh, as exec in sh does"), (t) => {
    const s = sandbox(t, undefined, kind);
    if (!s) return;
    const bare = path.join(s.dir, "bin", "bare-runc");
    writeFileSync(bare, `echo "$@" > "${s.dir}/bare-args"\nexit 9\n`, { mode: 0o755 });
    s.runtimes(`runtimes = ["${bare}"]`);
    const r = s.run(["state", "x y"]);
    assert.equal(r.status, 9, r.stderr);
    assert.equal(readFileSync(path.join(s.dir, "bare-args"), "utf8"), "state x y\n");
  });
}

test("native launcher: a marker across its 64 KiB read boundary is found, and a large config.json without one is not", (t) => {
  const s = sandbox(t, undefined, "native");
  if (!s) return;
  for (const at of [65536 - 10, 65536 - 1, 65536, 3 * 65536 - 5]) {
    const b = path.join(s.dir, `big-${at}`);
    mkdirSync(b);
    const marker = "NVIDIA_VISIBLE_DEVICES";
    writeFileSync(path.join(b, "config.json"), Buffer.concat([Buffer.alloc(at, "x"), Buffer.from(marker), Buffer.alloc(1000, "y")]));
    assert.equal(s.run(["create", "--bundle", b, "c"]).nodeCalls.length, 1, `marker at ${at}`);
    writeFileSync(path.join(b, "config.json"), Buffer.concat([Buffer.alloc(at, "x"), Buffer.from(marker.slice(0, -1)), Buffer.alloc(1000, "y")]));
    assert.equal(s.run(["create", "--bundle", b, "c"]).nodeCalls.length, 0, `no marker at ${at}`);
  }
});

test("native launcher: passes the mode of its program name (actk-runtime.cdi) on to the sh launcher, and the pre-filter's result to no one else", (t) => {
  const s = sandbox(t, undefined, "native");
  if (!s) return;
  const js = path.join(s.dir, "bin", "env-node");
  writeFileSync(js, `#!/bin/sh\necho "alias=\${ACTK_RUNTIME_ALIAS_MODE-unset} prefiltered=\${ACTK_RUNTIME_PREFILTERED-unset} self=$ACTK_RUNTIME_SELF" > "${s.dir}/js-env"\n`, { mode: 0o755 });
  const b = bundle(s.dir, "b", ["NVIDIA_VISIBLE_DEVICES=0"]);
  const cdi = path.join(s.dir, "bin", "actk-runtime.cdi");
  symlinkSync(s.self, cdi);
  const jsEnv = (program: string | undefined, env: Record<string, string> = {}): string => {
    assert.equal(s.run(["create", "--bundle", b, "c"], { program, env: { ACTK_JS: js, ...env } }).status, 7);
    return readFileSync(path.join(s.dir, "js-env"), "utf8").trim();
  };
  const script = path.join(path.dirname(path.dirname(s.self)), "lib", "actk-runtime.sh");
  assert.equal(jsEnv(cdi), `alias=cdi prefiltered=unset self=${script}`);
  assert.equal(jsEnv(cdi, { ACTK_RUNTIME_ALIAS_MODE: "legacy" }), `alias=cdi prefiltered=unset self=${script}`, "the name wins, as in the JS part");
  // Empty reads as unset in the JS part (runtimeModeFor).
  assert.equal(jsEnv(undefined), `alias= prefiltered=unset self=${script}`);
  assert.equal(jsEnv(undefined, { ACTK_RUNTIME_ALIAS_MODE: "jit" }), `alias=jit prefiltered=unset self=${script}`);

  // The low-level runtime gets the engine's environment: neither variable of the hand-over.
  const dumper = path.join(s.dir, "bin", "env-runc");
  writeFileSync(dumper, `#!/bin/sh\nenv > "${s.dir}/runtime-env"\n`, { mode: 0o755 });
  s.runtimes(`runtimes = ["${dumper}"]`);
  assert.equal(s.run(["create", "--bundle", b, "c"], { program: cdi, env: { ACTK_JS: js } }).status, 0);
  assert.doesNotMatch(readFileSync(path.join(s.dir, "runtime-env"), "utf8"), /^ACTK_RUNTIME_(ALIAS_MODE|PREFILTERED)=/m);
});

test("native launcher: every marker is shorter than the overlap of its reads (64 bytes)", () => {
  const c = readFileSync(path.join(path.dirname(launcher), "launcher.c"), "utf8");
  assert.match(c, /OVERLAP = 64 \}/);
  const list = /static const char \*const markers\[\] = \{([^}]*)\};/.exec(c)?.[1] ?? "";
  for (const m of list.matchAll(/"([^"]+)"/g)) assert.ok((m[1] ?? "").length < 64, m[1]);
});

test("native launcher: without the sh launcher beside it, a device request fails in one line and the runtime never runs", (t) => {
  const built = nativeLauncher(t);
  if (!built) return;
  const dir = mkdtempSync(path.join(tmpdir(), "actk-launcher-alone-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, "bin"));
  const prog = path.join(dir, "bin", "actk-runtime");
  writeFileSync(prog, readFileSync(built.program), { mode: 0o755 });
  const marker = path.join(dir, "ran");
  const fake = path.join(dir, "runc");
  writeFileSync(fake, `#!/bin/sh\n: > "${marker}"\n`, { mode: 0o755 });
  writeFileSync(path.join(dir, "config.toml"), `runtimes = ["${fake}"]\n`);
  const b = bundle(dir, "b", ["NVIDIA_VISIBLE_DEVICES=0"]);
  const r = spawnSync(prog, ["create", "--bundle", b, "c"], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", ACTK_CONFIG_FILE: path.join(dir, "config.toml") } });
  assert.equal(r.status, 4);
  assert.match(r.stderr, /^actk-runtime: .*\/lib\/actk-runtime\.sh is missing or not executable: .* Fix: reinstall actk \(actk install\); run `actk doctor` for a full diagnosis\n$/);
  assert.equal(existsSync(marker), false);
  // Anything but such a create still runs.
  assert.equal(spawnSync(prog, ["state", "c"], { env: { PATH: "/usr/bin:/bin", ACTK_CONFIG_FILE: path.join(dir, "config.toml") } }).status, 0);
  assert.equal(existsSync(marker), true);
});

test("native launcher: without /proc it finds itself from argv[0], and still refuses itself as the runtime", (t) => {
  if (process.geteuid?.() !== 0 || spawnSync("unshare", ["--version"]).status !== 0) {
    t.skip("needs root and unshare (util-linux) to hide /proc");
    return;
  }
  const s = sandbox(t, undefined, "native");
  if (!s) return;
  const b = bundle(s.dir, "b", ["NVIDIA_VISIBLE_DEVICES=0"]);
  const prog = path.join(s.dir, "bin", "actk-runtime");
  const noProc = (args: string[]): { status: number | null; stderr: string } => {
    const r = spawnSync("unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", 'umount -l /proc && exec "$@"', "sh", prog, ...args], {
      encoding: "utf8", env: { PATH: "/usr/bin:/bin", ACTK_CONFIG_FILE: path.join(s.dir, "config.toml"), ACTK_JS: path.join(s.dir, "bin", "fake-node"), ACTK_RUNTIME_LIB: "/lib.mjs" },
    });
    return { status: r.status, stderr: r.stderr };
  };
  const r = noProc(["create", "--bundle", b, "c1"]);
  assert.equal(r.status, 7, r.stderr);
  assert.equal(readFileSync(path.join(s.dir, "node-calls"), "utf8").split("\n")[0]?.startsWith("prepare "), true, "the sh launcher ran the JS part");
  // A link named like a runtime: only the same-file check (stat of argv[0] here) catches it.
  const runc = path.join(s.dir, "bin", "runc");
  symlinkSync(s.self, runc);
  s.runtimes(`runtimes = ["${runc}"]`);
  const loop = noProc(["state", "x"]);
  assert.equal(loop.status, 3);
  assert.match(loop.stderr, /names actk-runtime itself/);
});

test("the native launcher's marker list is launcher.sh's grep list", () => {
  const sh = [...readFileSync(launcher, "utf8").matchAll(/-e (\S+)/g)].map((m) => m[1]);
  const c = readFileSync(path.join(path.dirname(launcher), "launcher.c"), "utf8");
  const list = /static const char \*const markers\[\] = \{([^}]*)\};/.exec(c)?.[1];
  assert.ok(list, "markers[] is in launcher.c");
  assert.deepEqual([...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]), sh);
});

test("launcher and args.ts agree on the command and the bundle", () => {
  const table: string[][] = [
    ["create", "--bundle", "/b", "id"],
    ["--root", "/r", "--log", "/l", "--log-format", "json", "create", "-b", "/b", "id"],
    ["--debug", "create", "--bundle=/b", "id"],
    ["---root=/r", "create", "-bundle", "/b", "id"],
    ["start", "id"],
    ["--root", "create", "state", "id"],
  ];
  for (const argv of table) {
    const parsed = parseRuntimeArgs(argv, "/cwd");
    // Run only the parsing part of the launcher: everything between the markers.
    const script = readFileSync(launcher, "utf8");
    const part = script.slice(script.indexOf("actk_cmd=\n"), script.indexOf("# Every command but `create` goes on here"));
    const r = spawnSync("sh", ["-c", `${part}\nprintf '%s|%s' "$actk_cmd" "$actk_bundle"`, "sh", ...argv], { encoding: "utf8" });
    const [cmd, b] = r.stdout.split("|");
    assert.equal(cmd, parsed.command, argv.join(" "));
    if (parsed.command === "create") assert.equal(path.resolve("/cwd", b || "."), parsed.bundle, argv.join(" "));
  }
});

test("the launcher's pre-filter covers every vendor's request markers", (t) => {
  const script = readFileSync(launcher, "utf8");
  const patterns = [...script.matchAll(/-e (\S+)/g)].map((m) => m[1] as string);
  const host = mkdtempSync(path.join(tmpdir(), "actk-launcher-host-"));
  t.after(() => rmSync(host, { recursive: true, force: true }));
  const vendors = createRegistry(new HostRoot(host)).init().all<Vendor>(PluginType.vendor);
  assert.ok(vendors.length > 0, "no vendor plugin initialised on an empty host");
  for (const v of vendors) {
    for (const marker of v.requestMarkers) {
      assert.ok(patterns.some((p) => marker.includes(p)), `${v.id} marker ${marker} is not in launcher.sh's grep list`);
    }
  }
});

test("the pre-filter decides alike with busybox's grep and with GNU grep", (t) => {
  const box = sandbox(t);
  // The same launcher without busybox (the fallback on hosts that have none).
  const gnuOnly = path.join(box.dir, "bin", "actk-runtime-gnu-grep");
  writeFileSync(gnuOnly, readFileSync(launcher, "utf8").replaceAll("/bin/busybox", "/nonexistent/busybox"));
  const cases: [string[], boolean][] = [
    [["HOME=/root"], false],
    [["NVIDIA_VISIBLE_DEVICES=0"], true],
    [["X=ASCEND_VISIBLE_DEVICES"], true], // a false positive costs a JS start, never a wrong container
    [["AMD_VISIBLE_DEVICES=all"], true],
    [["nvidia_visible_devices=0"], false],
  ];
  for (const [env, asks] of cases) {
    const b = bundle(box.dir, `b-${cases.findIndex((c) => c[0] === env)}`, env);
    for (const program of [undefined, gnuOnly]) {
      const r = box.run(["create", "--bundle", b, "id"], { program });
      assert.equal(r.nodeCalls.length, asks ? 1 : 0, `${env.join(" ")} through ${program ?? "the launcher"}`);
      assert.equal(r.status, 7, "the low-level runtime ran");
    }
  }
});

test("launcher picks the JS engine: ACTK_JS, else the install's bun, else node (ACTK_NODE)", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "actk-launcher-js-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // An installed layout: <lib>/bin/actk-runtime (a copy, so its own dir counts) and <lib>/lib/bun.
  mkdirSync(path.join(dir, "inst", "bin"), { recursive: true });
  mkdirSync(path.join(dir, "inst", "lib"));
  const prog = path.join(dir, "inst", "bin", "actk-runtime");
  writeFileSync(prog, readFileSync(launcher, "utf8"), { mode: 0o755 });
  const fake = (name: string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, `#!/bin/sh\necho "${path.basename(name)} $*" >> "${dir}/engine"\n`, { mode: 0o755 });
    return p;
  };
  const runc = fake("runc");
  const node = fake("node");
  const other = fake("other-js");
  const config = path.join(dir, "config.toml");
  writeFileSync(config, `[runtime]\nruntimes = ["${runc}"]\n`);
  const b = bundle(dir, "b", ["NVIDIA_VISIBLE_DEVICES=0"]);
  const engine = (env: Record<string, string>, withBun: boolean, withNode = false): { status: number | null; engine: string; stderr: string } => {
    rmSync(path.join(dir, "engine"), { force: true });
    rmSync(path.join(dir, "inst", "lib", "bun"), { force: true });
    rmSync(path.join(dir, "inst", "node"), { force: true });
    if (withBun) writeFileSync(path.join(dir, "inst", "lib", "bun"), `#!/bin/sh\necho "bun $*" >> "${dir}/engine"\n`, { mode: 0o755 });
    // The node `actk install --with-node` copies to <lib>/node.
    if (withNode) writeFileSync(path.join(dir, "inst", "node"), `#!/bin/sh\necho "installed-node $*" >> "${dir}/engine"\n`, { mode: 0o755 });
    const r = spawnSync("sh", [prog, "create", "--bundle", b, "c1"], {
      encoding: "utf8", env: { PATH: "/usr/bin:/bin", ACTK_CONFIG_FILE: config, ACTK_RUNTIME_LIB: "/lib.mjs", ...env },
    });
    const file = path.join(dir, "engine");
    // The first line is the JS part; the second the low-level runtime it then execs.
    return { status: r.status, stderr: r.stderr, engine: existsSync(file) ? (readFileSync(file, "utf8").split("\n")[0] ?? "") : "" };
  };
  // Bun gets flags that stop it reading bunfig.toml and .env files from the engine's cwd.
  const rest = `/lib.mjs create --bundle ${b} c1`;
  const cases: { name: string; env: Record<string, string>; bun: boolean; node?: boolean; want: string }[] = [
    { name: "ACTK_JS (a path) wins over the install's bun", env: { ACTK_JS: other, ACTK_NODE: node }, bun: true, want: `other-js ${rest}` },
    { name: "ACTK_JS=node means node, even with a bun installed", env: { ACTK_JS: "node", ACTK_NODE: node }, bun: true, want: `node ${rest}` },
    { name: "the install's bun wins over ACTK_NODE", env: { ACTK_NODE: node }, bun: true, want: `bun --config=/dev/null --no-env-file ${rest}` },
    { name: "without bun, ACTK_NODE", env: { ACTK_NODE: node }, bun: false, want: `node ${rest}` },
  ];
  cases.push(
    { name: "without bun, the install's node wins over PATH's", env: { PATH: `${path.dirname(node)}:/usr/bin:/bin` }, bun: false, node: true, want: `installed-node ${rest}` },
    { name: "ACTK_NODE wins over the install's node", env: { ACTK_NODE: node }, bun: false, node: true, want: `node ${rest}` },
    { name: "the install's bun wins over its node", env: {}, bun: true, node: true, want: `bun --config=/dev/null --no-env-file ${rest}` },
  );
  for (const c of cases) {
    const r = engine(c.env, c.bun, c.node);
    assert.equal(r.status, 0, `${c.name}: ${r.stderr}`);
    assert.equal(r.engine, c.want, c.name);
  }
  const missing = engine({ ACTK_JS: "no-such-js-engine" }, true);
  assert.equal(missing.status, 4);
  assert.match(missing.stderr, /^actk-runtime: ACTK_JS=no-such-js-engine was not found\. Fix: .*; run `actk doctor` for a full diagnosis\n$/);
});

test("launcher: a tab in any value of the helper's request line sends nothing and runs the JS part at once", (t) => {
  const s = sandbox(t);
  const b = bundle(s.dir, "b", ["NVIDIA_VISIBLE_DEVICES=0"]);
  // A helper directory as the launcher trusts it: our FIFO, and a pid file naming a live process (this one).
  const helperDir = path.join(s.dir, "helper");
  mkdirSync(helperDir, { mode: 0o700 });
  const fifo = path.join(helperDir, "requests");
  assert.equal(spawnSync("mkfifo", ["-m", "600", fifo]).status, 0);
  writeFileSync(path.join(helperDir, "pid"), `${process.pid}\n`);
  // Whatever the launcher writes stays in the FIFO, to be read back here.
  const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  t.after(() => closeSync(fd));
  const sent = (): string => {
    try {
      const buf = Buffer.alloc(65536);
      return buf.subarray(0, readSync(fd, buf)).toString();
    } catch {
      return ""; // EAGAIN: nothing was written
    }
  };
  // The JS part records what the launcher told it about the helper.
  const js = path.join(s.dir, "bin", "state-node");
  writeFileSync(js, `#!/bin/sh\necho "$ACTK_RUNTIME_HELPER_STATE" > "${s.dir}/helper-state"\n`, { mode: 0o755 });
  const config = path.join(s.dir, "config.toml");
  const create = (env: Record<string, string>): { status: number | null; ms: number; state: string; line: string } => {
    const t0 = performance.now();
    const r = s.run(["create", "--bundle", b, "c1"], { env: { ACTK_JS: js, ACTK_RUNTIME_HELPER: helperDir, ACTK_RUNTIME_HELPER_TIMEOUT: "30", ...env } });
    return { status: r.status, ms: performance.now() - t0, state: readFileSync(path.join(s.dir, "helper-state"), "utf8").trim(), line: sent() };
  };

  // Positive control: without a tab the line is sent (and, unanswered, waited for).
  const plain = create({ ACTK_RUNTIME_MODE: "jit", ACTK_RUNTIME_HELPER_TIMEOUT: "1" });
  assert.equal(plain.status, 7);
  assert.equal(plain.state, "timeout");
  assert.match(plain.line, /^actk-helper-1\t.*\tjit\t/);

  // A config file whose path holds a tab, so that the launcher still finds its runtime through it.
  const tabbedConfig = path.join(s.dir, "con\tfig.toml");
  writeFileSync(tabbedConfig, readFileSync(config));
  for (const k of helperEnvKeys) {
    const value = k === "ACTK_CONFIG_FILE" ? tabbedConfig : k === "ACTK_RUNTIME_LOG_FILE" ? path.join(s.dir, "a\tlog") : "jit\tcdi";
    const r = create({ [k]: value });
    assert.equal(r.status, 7, k);
    assert.equal(r.line, "", `${k} with a tab: nothing is written to the FIFO`);
    assert.equal(r.state, "unsendable", k);
    assert.ok(r.ms < 10_000, `${k}: it did not wait for the helper (${r.ms} ms)`);
  }
  // The launcher's own program path and the bundle path are values too.
  const tabbedBundle = bundle(s.dir, "b\tx", ["NVIDIA_VISIBLE_DEVICES=0"]);
  const tabbedProgram = path.join(s.dir, "bin", "actk\truntime");
  symlinkSync(launcher, tabbedProgram);
  for (const [what, args, program] of [["bundle", ["create", "--bundle", tabbedBundle, "c1"], undefined], ["$0", ["create", "--bundle", b, "c1"], tabbedProgram]] as const) {
    const r = s.run([...args], { program, env: { ACTK_JS: js, ACTK_RUNTIME_HELPER: helperDir, ACTK_RUNTIME_HELPER_TIMEOUT: "30" } });
    assert.equal(r.status, 7, what);
    assert.equal(sent(), "", `${what} with a tab: nothing is written to the FIFO`);
    assert.equal(readFileSync(path.join(s.dir, "helper-state"), "utf8").trim(), "unsendable", what);
  }
});

test("launcher: the tab check covers every value of the request line that comes from the environment or the arguments", () => {
  const script = readFileSync(launcher, "utf8");
  const req = /^\s*actk_req="(actk-helper-1\t[^"]*)"$/m.exec(script)?.[1];
  assert.ok(req, "the request line is in launcher.sh");
  const check = /case (\$\{actk_b\}[^\n]*) in\n\s*\*"\t"\*\) actk_answer=unsendable/.exec(script)?.[1];
  assert.ok(check, "the tab check is in launcher.sh");
  const refs = (s: string): string[] => [...s.matchAll(/\$\{?([A-Za-z_][A-Za-z_0-9]*|[0-9$])/g)].map((m) => m[1] as string);
  // $$ and actk_debug (0 or 1) are the script's own and cannot hold a tab.
  const values = refs(req).filter((v) => v !== "$" && v !== "actk_debug");
  assert.equal(values.length, 3 + helperEnvKeys.length);
  assert.deepEqual([...new Set(refs(check))].sort(), [...values].sort());
});
