/**
 * A minimal container root filesystem from busybox-static: /bin/busybox plus
 * one symlink per applet, and the few files runc and shells expect. No image
 * registry is reachable in CI, so every e2e container runs this rootfs.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import path from "node:path";
import { findProgram } from "./requirements.js";

/** Where busybox-static installs the static binary. */
export function findBusybox(): string | undefined {
  for (const p of ["/bin/busybox", "/usr/bin/busybox"]) {
    const found = findProgram(p);
    if (found && isStatic(found)) return found;
  }
  return undefined;
}

function isStatic(file: string): boolean {
  // A dynamic busybox would need its libc inside the rootfs; `file` is not always installed,
  // so look for an ELF interpreter path in the first bytes instead.
  const r = spawnSync("head", ["-c", "4096", file], { encoding: "latin1" });
  return r.status === 0 && !r.stdout.includes("/lib64/ld-linux") && !r.stdout.includes("/lib/ld-linux");
}

/** Fills `dir` with a busybox rootfs and returns it. */
export function buildBusyboxRootfs(dir: string, busybox = findBusybox()): string {
  if (!busybox) throw new Error("busybox-static is not installed (/bin/busybox)");
  for (const d of ["bin", "dev", "proc", "sys", "tmp", "etc", "root", "usr/lib", "usr/bin", "var/run"]) {
    mkdirSync(path.join(dir, d), { recursive: true });
  }
  chmodSync(path.join(dir, "tmp"), 0o1777);
  copyFileSync(busybox, path.join(dir, "bin", "busybox"));
  chmodSync(path.join(dir, "bin", "busybox"), 0o755);
  const list = spawnSync(busybox, ["--list"], { encoding: "utf8" });
  if (list.status !== 0) throw new Error(`${busybox} --list failed: ${list.stderr}`);
  for (const applet of list.stdout.split("\n").map((s) => s.trim()).filter(Boolean)) {
    if (applet === "busybox") continue;
    try {
      symlinkSync("busybox", path.join(dir, "bin", applet));
    } catch {
      // an applet listed twice
    }
  }
  writeFileSync(path.join(dir, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
  writeFileSync(path.join(dir, "etc", "group"), "root:x:0:\nvideo:x:44:\nnogroup:x:65534:\n");
  writeFileSync(path.join(dir, "etc", "hosts"), "127.0.0.1 localhost\n");
  return dir;
}
