import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeFileAtomic } from "./atomic-write.js";

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-aw-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("an existing file keeps its mode and gets the new bytes, with no temp file left", (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, "daemon.json");
  fs.writeFileSync(f, "old", { mode: 0o600 });
  fs.chmodSync(f, 0o600);
  writeFileAtomic(f, "new");
  assert.equal(fs.readFileSync(f, "utf8"), "new");
  assert.equal(fs.statSync(f).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(dir), ["daemon.json"]);
});

test("a new file gets the requested mode and parents when asked", (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, "a", "b", "spec.json");
  writeFileAtomic(f, "{}", { mode: 0o644, mkdirs: true });
  assert.equal(fs.statSync(f).mode & 0o777, 0o644);
});
