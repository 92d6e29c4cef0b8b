/**
 * Hostile images against actk-hook, each run as a real container: runc with
 * actk-hook as a prestart hook in the bundle. Every test takes a listing of a
 * watched temp area (the bundle minus its rootfs, plus a directory the image
 * aims at) before and after: nothing may appear there but actk's log.
 * docs/security.md names the rule each test pins.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { createBundle, readSpec, type OciSpec } from "./harness/bundle.js";
import { distBin, needs, program, tempDir } from "./harness/requirements.js";
import { runLifecycle, type LifecycleResult } from "./harness/runc.js";

interface Scene {
  watch: string;
  bundle: string;
  rootfs: string;
  config: string;
  log: string;
  /** A directory outside the rootfs the image tries to reach. */
  outside: string;
}

function scene(t: TestContext, args: string[], env: string[] = []): Scene {
  const watch = tempDir(t, "actk-hook-hostile-");
  const bundle = path.join(watch, "bundle");
  createBundle(bundle, { args, env });
  const outside = path.join(watch, "outside");
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, "canary"), "host file\n", { mode: 0o644 });
  fs.chmodSync(path.join(outside, "canary"), 0o644);
  const log = path.join(watch, "hook.log");
  const config = path.join(watch, "config.toml");
  fs.writeFileSync(config, `[hook]\nlog-file = ${JSON.stringify(log)}\n`);
  return { watch, bundle, rootfs: path.join(bundle, "rootfs"), config, log, outside };
}

function hookEntry(s: Scene, args: string[], name = "actk-hook"): OciSpec {
  let bin = distBin("actk-hook");
  if (name !== "actk-hook") {
    bin = path.join(s.watch, name);
    if (!fs.existsSync(bin)) fs.symlinkSync(distBin("actk-hook"), bin);
  }
  return { path: bin, args: [name, ...args], env: [`ACTK_CONFIG_FILE=${s.config}`] };
}

function setHooks(s: Scene, hooks: OciSpec[], edit?: (spec: OciSpec) => void): void {
  const file = path.join(s.bundle, "config.json");
  const spec = readSpec(file);
  spec.hooks = { prestart: hooks };
  edit?.(spec);
  fs.writeFileSync(file, JSON.stringify(spec, null, 2));
}

/** Every path under the watched area except the rootfs and actk's log, with type and mode. */
function listing(s: Scene): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      if (p === s.rootfs || p === s.log) continue;
      const st = fs.lstatSync(p);
      out.push(`${path.relative(s.watch, p)} ${st.mode.toString(8)} ${st.size}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(s.watch);
  return out.sort();
}

function run(t: TestContext, s: Scene, id: string): LifecycleResult {
  const state = tempDir(t, "actk-hook-state-");
  return runLifecycle({ runtime: program("runc"), root: path.join(state, "root"), bundle: s.bundle, id });
}

const hostLib = "/etc/libcuda.so";

test("(1) image's /usr/lib/x86_64-linux-gnu is a symlink to /etc: links and loader config land in the rootfs's /etc, never the host's", (t) => {
  if (!needs(t, { root: true, programs: ["runc"] })) return;
  assert.equal(fs.existsSync(hostLib), false, `${hostLib} must not exist before the test`);
  const s = scene(t, ["/bin/sh", "-c", "readlink /etc/libcuda.so; cat /etc/ld.so.conf.d/00-actk-*.conf"]);
  fs.mkdirSync(path.join(s.rootfs, "usr", "lib"), { recursive: true });
  fs.symlinkSync("/etc", path.join(s.rootfs, "usr", "lib", "x86_64-linux-gnu"));
  setHooks(s, [
    hookEntry(s, ["create-symlinks", "--link", "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so"]),
    hookEntry(s, ["update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"]),
  ]);
  const before = listing(s);
  const r = run(t, s, "hostile-libdir");
  assert.equal(r.create.status, 0, r.create.stderr);
  assert.equal(r.output, "libcuda.so.1\n/usr/lib/x86_64-linux-gnu\n");
  assert.equal(fs.existsSync(hostLib), false, "nothing written to the host's /etc");
  assert.deepEqual(listing(s), before);
});

test("(1) image's lib dir climbs out with ../ to a host dir: clamped at the rootfs", (t) => {
  if (!needs(t, { root: true, programs: ["runc"] })) return;
  const s = scene(t, ["/bin/true"]);
  fs.mkdirSync(path.join(s.rootfs, "usr", "lib"), { recursive: true });
  const up = "../".repeat(30) + s.outside.slice(1);
  fs.symlinkSync(up, path.join(s.rootfs, "usr", "lib", "x86_64-linux-gnu"));
  setHooks(s, [
    hookEntry(s, ["create-symlinks", "--link", "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so"]),
    hookEntry(s, ["chmod", "--mode", "600", "--path", "/usr/lib/x86_64-linux-gnu/canary"]),
    hookEntry(s, ["update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"]),
  ]);
  const before = listing(s);
  const r = run(t, s, "hostile-dotdot");
  assert.equal(r.create.status, 0, r.create.stderr);
  assert.deepEqual(listing(s), before, "the host dir the image aimed at is unchanged (canary mode too)");
  assert.equal(fs.readlinkSync(path.join(s.rootfs, s.outside, "libcuda.so")), "libcuda.so.1", "the link is inside the rootfs");
});

test("(1) image's /dev is a symlink to the host's /: hook writes resolve inside the rootfs", (t) => {
  if (!needs(t, { root: true, programs: ["runc"] })) return;
  const s = scene(t, ["/bin/true"]);
  fs.rmSync(path.join(s.rootfs, "dev"), { recursive: true, force: true });
  fs.symlinkSync("/", path.join(s.rootfs, "dev"));
  const target = path.join(s.outside.slice(1), "escaped");
  setHooks(s, [
    hookEntry(s, ["create-symlinks", "--link", `x::/dev/${target}`]),
    hookEntry(s, ["chmod", "--mode", "600", "--path", `/dev/${s.outside.slice(1)}/canary`]),
  ], (spec) => {
    // Without runc's /dev tmpfs the image's /dev symlink is what the hook meets.
    spec.mounts = (spec.mounts as OciSpec[]).filter((m) => !String(m.destination).startsWith("/dev"));
  });
  const before = listing(s);
  const r = run(t, s, "hostile-dev");
  assert.equal(r.create.status, 0, r.create.stderr);
  assert.equal(fs.readlinkSync(path.join(s.rootfs, target)), "x", "the link was made inside the rootfs");
  assert.deepEqual(listing(s), before, "no escaped link and no chmod on the host");
  assert.equal(fs.statSync(path.join(s.outside, "canary")).mode & 0o777, 0o644);
});

test("(1) image's /etc is a symlink into /proc/sys: the hook refuses and the container does not start", (t) => {
  if (!needs(t, { root: true, programs: ["runc"] })) return;
  const s = scene(t, ["/bin/true"]);
  fs.rmSync(path.join(s.rootfs, "etc"), { recursive: true, force: true });
  fs.symlinkSync("/proc/sys/kernel", path.join(s.rootfs, "etc"));
  setHooks(s, [hookEntry(s, ["update-ldcache", "--folder", "/usr/lib"])]);
  const before = listing(s);
  const r = run(t, s, "hostile-procsys");
  assert.notEqual(r.create.status, 0);
  assert.match(r.create.stderr, /actk-hook: .*inside the container's \/proc/);
  assert.deepEqual(listing(s), before);
});

test("(2) image ships its own ldconfig and ldconfig.real that write a marker: they never run", (t) => {
  if (!needs(t, { root: true, programs: ["runc"] })) return;
  const s = scene(t, ["/bin/sh", "-c", "ls /etc/ld.so.cache; ls /ldconfig-marker 2>&1 || true"]);
  const marker = path.join(s.watch, "ldconfig-marker");
  const script = `#!/bin/sh\necho ran > /ldconfig-marker\necho ran > ${marker}\n`;
  for (const p of ["sbin/ldconfig", "sbin/ldconfig.real", "usr/sbin/ldconfig", "bin/ldconfig", "usr/bin/ldconfig"]) {
    const f = path.join(s.rootfs, p);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.rmSync(f, { force: true });
    fs.writeFileSync(f, script, { mode: 0o755 });
  }
  setHooks(s, [
    hookEntry(s, ["update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"]),
    hookEntry(s, ["update-ldcache", "--ldconfig-path", "/sbin/ldconfig", "--folder", "/usr/lib"], "nvidia-cdi-hook"),
  ]);
  const before = listing(s);
  const r = run(t, s, "hostile-ldconfig");
  assert.equal(r.create.status, 0, r.create.stderr);
  assert.match(r.output, /^\/etc\/ld\.so\.cache\n/, "the host's ldconfig wrote the cache inside the rootfs");
  assert.match(r.output, /No such file/, "no marker inside the container");
  assert.equal(fs.existsSync(path.join(s.rootfs, "ldconfig-marker")), false);
  assert.equal(fs.existsSync(marker), false);
  assert.deepEqual(listing(s), before);
});

/** glibc's libpcprofile.so (package libc6) creates $PCPROFILE_OUTPUT when it is loaded: a preload detector that needs no compiler. */
function findPcprofile(): string | undefined {
  return ["/lib/x86_64-linux-gnu/libpcprofile.so", "/usr/lib/x86_64-linux-gnu/libpcprofile.so", "/lib/aarch64-linux-gnu/libpcprofile.so", "/usr/lib64/libpcprofile.so"]
    .find((p) => fs.existsSync(p));
}

test("(3) image sets LD_PRELOAD=/proc/self/cwd/evil.so: neither the hook nor its children load it", (t) => {
  if (!needs(t, { root: true, programs: ["runc"] })) return;
  const pcprofile = findPcprofile();
  const gcc = spawnSync("sh", ["-c", "command -v gcc"], { encoding: "utf8" }).stdout.trim();
  if (!pcprofile && !gcc && !needs(t, { programs: ["gcc"] })) return;
  const watchPre = tempDir(t, "actk-hook-preload-");
  const marker = path.join(watchPre, "preload-marker");
  const pcMarker = path.join(watchPre, "pcprofile-marker");
  const preload = ["/proc/self/cwd/evil.so", ...(pcprofile ? [pcprofile] : [])].join(" ");
  const s = scene(t, ["/bin/true"], [`LD_PRELOAD=${preload}`, "LD_LIBRARY_PATH=/proc/self/cwd", `PCPROFILE_OUTPUT=${pcMarker}`]);
  const controls: string[] = [];
  if (pcprofile) {
    // Positive control: a host process that is given the variables does load it.
    spawnSync("/usr/bin/env", ["true"], { env: { LD_PRELOAD: pcprofile, PCPROFILE_OUTPUT: pcMarker } });
    assert.equal(fs.existsSync(pcMarker), true, "libpcprofile.so works as a preload detector");
    fs.rmSync(pcMarker);
    controls.push(pcMarker);
  }
  if (gcc) {
    const src = path.join(watchPre, "evil.c");
    fs.writeFileSync(src, `#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void evil(void) { int fd = open("${marker}", O_CREAT | O_WRONLY | O_APPEND, 0644); if (fd >= 0) { write(fd, "loaded\\n", 7); close(fd); } }\n`);
    const evil = path.join(s.rootfs, "evil.so");
    const cc = spawnSync(gcc, ["-shared", "-fPIC", "-o", evil, src], { encoding: "utf8" });
    assert.equal(cc.status, 0, cc.stderr);
    spawnSync("/usr/bin/env", ["true"], { env: { LD_PRELOAD: evil } });
    assert.equal(fs.existsSync(marker), true, "evil.so works as a preload");
    fs.rmSync(marker);
    // Plant it wherever a hook's cwd might be: the rootfs, the bundle.
    fs.copyFileSync(evil, path.join(s.bundle, "evil.so"));
    controls.push(marker);
  }
  setHooks(s, [
    hookEntry(s, ["create-symlinks", "--link", "a::/usr/lib/a.so"]),
    hookEntry(s, ["update-ldcache", "--folder", "/usr/lib"]),
    hookEntry(s, ["prestart"]),
  ]);
  const before = listing(s);
  const r = run(t, s, "hostile-preload");
  assert.equal(r.create.status, 0, r.create.stderr);
  for (const m of controls) assert.equal(fs.existsSync(m), false, `a host process loaded the image's preload (${path.basename(m)})`);
  assert.deepEqual(listing(s), before);
});
