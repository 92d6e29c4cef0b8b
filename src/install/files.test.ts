import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HostRoot } from "../host/host-root.js";
import { installFile, installSymlink, recordNewDirs, undo } from "./files.js";
import type { UndoRecord } from "./journal.js";
import { layoutFor, runtimeLauncher, wrapperScript } from "./layout.js";

function tempHost(t: { after(fn: () => void): void }): HostRoot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-install-files-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return new HostRoot(dir);
}

test("recordNewDirs records each missing directory once, shallowest first", (t) => {
  const host = tempHost(t);
  fs.mkdirSync(host.hostPath("/etc"));
  const records: UndoRecord[] = [];
  recordNewDirs(host, "/etc/systemd/system/x.service", records);
  recordNewDirs(host, "/etc/systemd/system/y.service", records);
  assert.deepEqual(records, [{ kind: "dir", path: "/etc/systemd" }, { kind: "dir", path: "/etc/systemd/system" }]);
});

test("installFile: created, unchanged on the same bytes and mode, updated on a mode change", (t) => {
  const host = tempHost(t);
  const records: UndoRecord[] = [];
  assert.equal(installFile(host, "/a/f", "x", 0o644, records, false), "created");
  assert.equal(installFile(host, "/a/f", "x", 0o644, records, false), "unchanged");
  assert.equal(installFile(host, "/a/f", "x", 0o755, records, false), "updated");
  assert.equal(fs.statSync(host.hostPath("/a/f")).mode & 0o777, 0o755);
  assert.deepEqual(records.map((r) => r.kind), ["dir", "file"], "a rewrite of actk's own file updates its record");
});

test("an upgrade of a file actk wrote keeps the original in the journal and expects the new bytes", (t) => {
  const host = tempHost(t);
  fs.writeFileSync(host.hostPath("/f"), "original");
  const records: UndoRecord[] = [];
  installFile(host, "/f", "v1", 0o644, records, false);
  installFile(host, "/f", "v2", 0o644, records, false);
  assert.equal(records.length, 1);
  assert.equal(undo(host, records[0] as UndoRecord), "restored /f");
  assert.equal(fs.readFileSync(host.hostPath("/f"), "utf8"), "original");
});

test("installFile --dry-run reports the change and writes nothing", (t) => {
  const host = tempHost(t);
  assert.equal(installFile(host, "/a/f", "x", 0o644, [], true), "created");
  assert.equal(fs.existsSync(host.hostPath("/a")), false);
});

test("undo removes a file actk created, but keeps one changed since", (t) => {
  const host = tempHost(t);
  const records: UndoRecord[] = [];
  installFile(host, "/f", "actk's", 0o644, records, false);
  installFile(host, "/g", "actk's", 0o644, records, false);
  fs.writeFileSync(host.hostPath("/g"), "the user's");
  const [f, g] = records as [UndoRecord, UndoRecord];
  assert.equal(undo(host, f), "removed /f");
  assert.equal(undo(host, g), "kept /g (changed since actk installed it)");
  assert.equal(fs.readFileSync(host.hostPath("/g"), "utf8"), "the user's");
});

test("installSymlink over a real program keeps its bytes and mode; undo puts it back", (t) => {
  const host = tempHost(t);
  fs.mkdirSync(host.hostPath("/bin"));
  fs.writeFileSync(host.hostPath("/bin/nvidia-ctk"), "real", { mode: 0o750 });
  const records: UndoRecord[] = [];
  assert.equal(installSymlink(host, "/bin/nvidia-ctk", "actk", records, false), "updated");
  assert.equal(fs.readlinkSync(host.hostPath("/bin/nvidia-ctk")), "actk");
  assert.equal(installSymlink(host, "/bin/nvidia-ctk", "actk", records, false), "unchanged");
  assert.equal(undo(host, records[0] as UndoRecord), "restored /bin/nvidia-ctk");
  assert.equal(fs.readFileSync(host.hostPath("/bin/nvidia-ctk"), "utf8"), "real");
  assert.equal(fs.statSync(host.hostPath("/bin/nvidia-ctk")).mode & 0o777, 0o750);
});

test("undo of a directory removes it only when empty", (t) => {
  const host = tempHost(t);
  fs.mkdirSync(host.hostPath("/d/e"), { recursive: true });
  assert.equal(undo(host, { kind: "dir", path: "/d" }), "kept /d (not empty)");
  assert.equal(undo(host, { kind: "dir", path: "/d/e" }), "removed empty directory /d/e");
  assert.equal(undo(host, { kind: "dir", path: "/d/e" }), "/d/e is already gone");
});

test("an install takes the build's native launcher only when it is for this architecture", (t) => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), "actk-dist-"));
  t.after(() => fs.rmSync(dist, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dist, "bin"));
  fs.mkdirSync(path.join(dist, "lib"));
  fs.writeFileSync(path.join(dist, "lib", "actk-runtime.sh"), "#!/bin/sh\n# actk-runtime: an OCI runtime shim\n", { mode: 0o755 });
  /** The first 20 bytes of an ELF file: 64-bit, little- or big-endian, machine m. */
  const elf = (m: number, big = false): Buffer => {
    const b = Buffer.alloc(64);
    b.write("\x7fELF", 0, "latin1");
    b[4] = 2;
    b[5] = big ? 2 : 1;
    if (big) b.writeUInt16BE(m, 18);
    else b.writeUInt16LE(m, 18);
    return b;
  };
  const write = (b: Buffer | string): void => fs.writeFileSync(path.join(dist, "bin", "actk-runtime"), b);
  write(elf(62));
  assert.equal(runtimeLauncher(dist, "x64", "LE").kind, "native");
  const other = runtimeLauncher(dist, "arm64", "LE");
  assert.equal(other.kind, "sh");
  assert.equal(other.bytes.toString(), "#!/bin/sh\n# actk-runtime: an OCI runtime shim\n");
  assert.equal(other.why, "the build's native launcher is for ELF machine 62, this host is arm64");
  write(elf(22, true));
  assert.equal(runtimeLauncher(dist, "s390x", "BE").kind, "native");
  assert.equal(runtimeLauncher(dist, "s390x", "LE").kind, "sh", "the byte order must match too");
  write(elf(21, true));
  assert.equal(runtimeLauncher(dist, "ppc64", "LE").kind, "sh", "ppc64 big-endian on ppc64le");
  const elf32 = elf(62);
  elf32[4] = 1;
  write(elf32);
  assert.equal(runtimeLauncher(dist, "x64", "LE").kind, "sh", "a 32-bit x86-64 (x32) file");
  write(elf(62));
  fs.chmodSync(path.join(dist, "lib", "actk-runtime.sh"), 0o644);
  assert.throws(() => runtimeLauncher(dist, "x64", "LE"), /is the native launcher, but lib\/actk-runtime\.sh beside it is missing or not executable/);
  fs.chmodSync(path.join(dist, "lib", "actk-runtime.sh"), 0o755);
  write("#!/bin/sh\n");
  assert.deepEqual(runtimeLauncher(dist, "arm64"), { bytes: Buffer.from("#!/bin/sh\n"), kind: "sh" });
  write(elf(62));
  fs.rmSync(path.join(dist, "lib", "actk-runtime.sh"));
  assert.throws(() => runtimeLauncher(dist, "arm64"), /native launcher for another architecture \(ELF machine 62, this host is arm64\) and lib\/actk-runtime\.sh is missing/);
});

test("--with-node wrappers use absolute paths under the prefix and quote them", () => {
  const layout = layoutFor("/opt/a'b");
  const w = wrapperScript(layout, "actk");
  assert.match(w, /^lib='\/opt\/a'\\''b\/lib\/actk'$/m);
  assert.match(wrapperScript(layout, "actk-hook"), /\[ -e "\$lib\/bin\/\$name" \] \|\| name=actk-hook/);
});
