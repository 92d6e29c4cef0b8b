import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runtimeLauncherResult } from "./toolkit.js";

test("toolkit.runtime-launcher says which launcher a build's actk-runtime is, and fails one engines cannot use", (t) => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), "actk-doctor-launcher-"));
  t.after(() => fs.rmSync(dist, { recursive: true, force: true }));
  assert.equal(runtimeLauncherResult(dist), undefined, "no build: nothing to say");
  fs.mkdirSync(path.join(dist, "bin"));
  fs.mkdirSync(path.join(dist, "lib"));
  const program = path.join(dist, "bin", "actk-runtime");
  const elf = Buffer.alloc(64);
  elf.write("\x7fELF", 0, "latin1");
  elf[4] = 2;
  elf[5] = 1;
  elf.writeUInt16LE(62, 18); // x86-64

  fs.writeFileSync(program, "#!/bin/sh\n# actk-runtime: an OCI runtime shim\n");
  const sh = runtimeLauncherResult(dist, "x64");
  assert.equal(sh?.status, "ok");
  assert.match(sh?.summary ?? "", /is the sh launcher: each runtime call starts a shell/);

  fs.writeFileSync(program, elf);
  const alone = runtimeLauncherResult(dist, "x64");
  assert.equal(alone?.status, "fail");
  assert.match(alone?.summary ?? "", /lib\/actk-runtime\.sh is missing or not executable: every create that asks for a device fails/);

  fs.writeFileSync(path.join(dist, "lib", "actk-runtime.sh"), "#!/bin/sh\n", { mode: 0o644 });
  assert.equal(runtimeLauncherResult(dist, "x64")?.status, "fail", "not executable: the native launcher cannot run it");
  fs.chmodSync(path.join(dist, "lib", "actk-runtime.sh"), 0o755);
  assert.equal(runtimeLauncherResult(dist, "x64")?.status, "ok");
  const foreign = runtimeLauncherResult(dist, "arm64");
  assert.equal(foreign?.status, "fail");
  assert.match(foreign?.summary ?? "", /for another architecture \(ELF machine 62, this host is arm64\): engines cannot run it/);
  assert.match(foreign?.fix ?? "", /ACTK_LAUNCHER=sh npm run build/);
});
