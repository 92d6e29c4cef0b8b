/**
 * Where `actk install` puts the programs: the build output (dist/) is copied
 * whole to <prefix>/lib/actk/ so the runtime launcher still finds
 * ../lib/actk-runtime.mjs next to itself, and <prefix>/bin gets the entry
 * points. Without --with-node these are relative symlinks (the bundles start
 * with `#!/usr/bin/env node`); with it, actk and actk-hook are small sh wrappers
 * that run the copied node binary, for hosts (Kubernetes nodes) that have none.
 * actk-runtime is always a link: its launcher finds that node itself (../node),
 * so no wrapper's shell runs on every runtime call.
 */
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ActkError, ExitCode } from "../core/errors.js";
import { isExecutableFile } from "../core/executable.js";
import { elfFitsArch, elfMachine } from "../host/elf-target.js";

export const programs = ["actk", "actk-hook", "actk-runtime"] as const;

/** NVIDIA Container Toolkit names and the actk program each one runs (`--compat nvidia`). */
export const nvidiaNames: ReadonlyArray<{ name: string; target: (typeof programs)[number] }> = [
  { name: "nvidia-container-runtime", target: "actk-runtime" },
  { name: "nvidia-container-runtime-hook", target: "actk-hook" },
  { name: "nvidia-ctk", target: "actk" },
  { name: "nvidia-cdi-hook", target: "actk-hook" },
];

export interface SourceFile {
  /** Path relative to the dist directory ("bin/actk", "lib/actk-runtime.mjs"). */
  rel: string;
  abs: string;
  mode: number;
}

/** The dist directory this actk runs from (dist/bin/actk → dist; <prefix>/lib/actk/bin/actk → <prefix>/lib/actk). */
export function runningDistDir(): string {
  return path.dirname(path.dirname(fileURLToPath(import.meta.url)));
}

/** Files of a dist directory (bin/ and lib/), checked to hold the three programs. */
export function distFiles(distDir: string): SourceFile[] {
  for (const p of programs) {
    if (!fs.existsSync(path.join(distDir, "bin", p))) {
      throw new ActkError(`${distDir} is not an actk build: bin/${p} is missing`, {
        place: "--source", exitCode: ExitCode.host, unchanged: true, fix: "run `npm run build` first, or point --source at a dist directory",
      });
    }
  }
  const out: SourceFile[] = [];
  const walk = (rel: string): void => {
    const abs = path.join(distDir, rel);
    for (const d of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.posix.join(rel, d.name);
      if (d.isDirectory()) walk(r);
      else if (d.isFile()) out.push({ rel: r, abs: path.join(distDir, r), mode: fs.statSync(path.join(distDir, r)).mode & 0o777 });
    }
  };
  for (const top of ["bin", "lib"]) if (fs.existsSync(path.join(distDir, top))) walk(top);
  return out;
}

/** What a bin/actk-runtime file is: the native launcher for this machine, one for another, or the sh launcher. */
export type LauncherFile = { kind: "native" } | { kind: "foreign"; machine: number } | { kind: "sh" };

/**
 * From the file's first 20 bytes at least (an ELF header: class at 4, byte order at 5, e_machine
 * at 18). Native only when all three are this machine's: ppc64 is one e_machine for both byte orders.
 */
export function launcherFile(head: Buffer, arch: string = process.arch, endianness: "LE" | "BE" = os.endianness()): LauncherFile {
  if (head.subarray(0, 4).toString("latin1") !== "\x7fELF") return { kind: "sh" };
  return elfFitsArch(head, arch, endianness) ? { kind: "native" } : { kind: "foreign", machine: elfMachine(head) };
}

/** The launcher an install puts at bin/actk-runtime (docs/runtime.md "The launcher"). */
export interface RuntimeLauncher {
  bytes: Buffer;
  kind: "native" | "sh";
  /** Why a native launcher in the build was not taken. */
  why?: string;
}

/**
 * bin/actk-runtime of a build: the native launcher when it is one for this machine's architecture;
 * else the sh launcher (lib/actk-runtime.sh), so a build made elsewhere never leaves engines a
 * program the kernel cannot run.
 */
export function runtimeLauncher(distDir: string, arch: string = process.arch, endianness: "LE" | "BE" = os.endianness()): RuntimeLauncher {
  const bytes = fs.readFileSync(path.join(distDir, "bin", "actk-runtime"));
  const file = launcherFile(bytes, arch, endianness);
  if (file.kind === "sh") return { bytes, kind: "sh" };
  const script = path.join(distDir, "lib", "actk-runtime.sh");
  if (file.kind === "native") {
    // It runs lib/actk-runtime.sh for every create that asks for a device: a build without it is not one to install.
    if (!isExecutableFile(script)) {
      throw new ActkError(`${distDir}/bin/actk-runtime is the native launcher, but lib/actk-runtime.sh beside it is missing or not executable`, {
        place: "--source", exitCode: ExitCode.host, unchanged: true, fix: "run `npm run build` again (it writes both), or point --source at a complete build",
      });
    }
    return { bytes, kind: "native" };
  }
  const { machine } = file;
  if (!fs.existsSync(script)) {
    throw new ActkError(`${distDir}/bin/actk-runtime is a native launcher for another architecture (ELF machine ${machine}, this host is ${arch}) and lib/actk-runtime.sh is missing`, {
      place: "--source", exitCode: ExitCode.host, unchanged: true, fix: "build actk on this architecture (npm run build), or with ACTK_LAUNCHER=sh",
    });
  }
  return { bytes: fs.readFileSync(script), kind: "sh", why: `the build's native launcher is for ELF machine ${machine}, this host is ${arch}` };
}

export interface Layout {
  prefix: string;
  binDir: string;
  /** <prefix>/lib/actk: the copy of dist/. */
  libDir: string;
  /** The copied node binary (with --with-node). */
  nodePath: string;
}

export function layoutFor(prefix: string): Layout {
  const libDir = path.posix.join(prefix, "lib", "actk");
  return { prefix, binDir: path.posix.join(prefix, "bin"), libDir, nodePath: path.posix.join(libDir, "node") };
}

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The sh wrapper of a program when node is bundled. actk-hook keeps the name
 * it was called by (nvidia-cdi-hook, nvidia-container-runtime-hook) because its
 * behaviour depends on it: the lib dir holds links of those names.
 */
export function wrapperScript(layout: Layout, program: Exclude<(typeof programs)[number], "actk-runtime">): string {
  const lib = shQuote(layout.libDir);
  const head = `#!/bin/sh\n# Installed by actk install --with-node; removed by actk uninstall.\nlib=${lib}\n`;
  switch (program) {
    case "actk-hook":
      return `${head}name=\${0##*/}\n[ -e "$lib/bin/$name" ] || name=actk-hook\nexec "$lib/node" "$lib/bin/$name" "$@"\n`;
    case "actk":
      return `${head}exec "$lib/node" "$lib/bin/actk" "$@"\n`;
  }
}
