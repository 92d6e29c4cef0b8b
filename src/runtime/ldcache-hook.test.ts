import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { silentLogger } from "../core/log.js";
import type { ContainerEdits } from "../edits/container-edits.js";
import { confNameFor } from "../hook/update-ldcache.js";
import { lowerLdcacheHooks, parseLdcacheArgs, rootfsOf } from "./ldcache-hook.js";

const hookPath = "/opt/actk/bin/actk-hook";
const hasHostLdconfig = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].some((d) => existsSync(path.join(d, "ldconfig")));

function rootfs(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), "actk-ldcache-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, "etc"));
  return dir;
}

const ldcacheHook = (args: string[], p = hookPath): ContainerEdits => ({
  hooks: [{ hookName: "createContainer", path: p, args: ["actk-hook", "update-ldcache", ...args], env: ["PATH=/usr/bin:/bin"] }],
});

test("parseLdcacheArgs reads --folder and --ldconfig-path and refuses anything else", () => {
  const table: { args: string[]; want: ReturnType<typeof parseLdcacheArgs> }[] = [
    { args: ["x", "update-ldcache", "--folder", "/a", "--folder=/b"], want: { folders: ["/a", "/b"], ldconfig: undefined } },
    { args: ["x", "update-ldcache", "--ldconfig-path", "@/sbin/ldconfig"], want: { folders: [], ldconfig: "/sbin/ldconfig" } },
    { args: ["x", "update-ldcache", "--container-spec", "/s.json"], want: undefined },
    { args: ["x", "update-ldcache", "--folder"], want: undefined },
    { args: ["x", "create-symlinks", "--link", "a::b"], want: undefined },
  ];
  for (const c of table) assert.deepEqual(parseLdcacheArgs(c.args), c.want, c.args.join(" "));
});

test("rootfsOf resolves root.path against the bundle and needs a directory", (t) => {
  const dir = rootfs(t);
  assert.equal(rootfsOf(path.dirname(dir), path.basename(dir)), dir);
  assert.equal(rootfsOf("/", dir), dir);
  assert.equal(rootfsOf(dir, "missing"), undefined);
  assert.equal(rootfsOf(dir, undefined), undefined);
});

test("an actk-hook update-ldcache hook becomes the host's ldconfig -r ROOTFS with the minimal env; the conf is written only on commit", (t) => {
  if (!hasHostLdconfig) return t.skip("no ldconfig on this host");
  const dir = rootfs(t);
  const r = lowerLdcacheHooks(ldcacheHook(["--folder", "/usr/lib/x86_64-linux-gnu"]), { hookPath, rootfs: dir, logger: silentLogger });
  assert.equal(r.lowered, 1);
  const h = r.edits.hooks?.[0];
  assert.ok(h);
  assert.match(h.path, /^\/(usr\/)?s?bin\/ldconfig(\.real)?$/);
  assert.deepEqual(h.args?.slice(1), ["-r", dir, "-f", "/etc/ld.so.conf", "-C", "/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu"]);
  assert.deepEqual(h.env, ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]);
  const conf = path.join(dir, "etc/ld.so.conf.d", confNameFor(["/usr/lib/x86_64-linux-gnu"]));
  assert.equal(existsSync(conf), false, "nothing is written before commit");
  r.commit();
  assert.equal(readFileSync(conf, "utf8"), "/usr/lib/x86_64-linux-gnu\n");
  assert.equal(readFileSync(path.join(dir, "etc/ld.so.conf"), "utf8"), "include /etc/ld.so.conf.d/*.conf\n");
});

test("the loader config is written inside the rootfs even when the image's /etc/ld.so.conf.d is a symlink out of it", (t) => {
  if (!hasHostLdconfig) return t.skip("no ldconfig on this host");
  const dir = rootfs(t);
  const outside = rootfs(t);
  symlinkSync(outside, path.join(dir, "etc/ld.so.conf.d"));
  const r = lowerLdcacheHooks(ldcacheHook(["--folder", "/usr/lib64"]), { hookPath, rootfs: dir, logger: silentLogger });
  r.commit();
  assert.equal(existsSync(path.join(outside, confNameFor(["/usr/lib64"]))), false);
});

test("hooks that are not a plain actk-hook update-ldcache are kept as they are", (t) => {
  const dir = rootfs(t);
  const cases: { name: string; edits: ContainerEdits; rootfs?: string }[] = [
    { name: "another program's hook", edits: ldcacheHook(["--folder", "/a"], "/usr/bin/nvidia-cdi-hook") },
    { name: "an unknown flag", edits: ldcacheHook(["--container-spec", "/s"]) },
    { name: "a relative folder", edits: ldcacheHook(["--folder", "lib"]) },
    { name: "a folder with ..", edits: ldcacheHook(["--folder", "/usr/../etc"]) },
    { name: "an ldconfig inside the rootfs", edits: ldcacheHook(["--ldconfig-path", path.join(dir, "sbin/ldconfig")]) },
    { name: "no rootfs on disk", edits: ldcacheHook(["--folder", "/a"]), rootfs: "" },
    { name: "a prestart hook", edits: { hooks: [{ hookName: "prestart", path: hookPath, args: ["actk-hook", "update-ldcache"] }] } },
  ];
  for (const c of cases) {
    const r = lowerLdcacheHooks(c.edits, { hookPath, rootfs: c.rootfs === "" ? undefined : dir, logger: silentLogger });
    assert.equal(r.lowered, 0, c.name);
    assert.deepEqual(r.edits, c.edits, c.name);
  }
});
