import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger } from "./log.js";

test("a log file gets one JSON line per record; a symlink in its place is never followed", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actk-log-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "actk.log");
  createLogger({ file, component: "actk-hook" }).info("hello", { n: 1 });
  const rec = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  assert.deepEqual([rec.level, rec.component, rec.msg, rec.n], ["info", "actk-hook", "hello", 1]);
  // Someone who can write the log's directory links the log to a file root can write.
  const victim = path.join(dir, "shadow");
  fs.writeFileSync(victim, "root:x:0:0\n");
  const link = path.join(dir, "linked.log");
  fs.symlinkSync(victim, link);
  createLogger({ file: link }).error("must not land in the target");
  assert.equal(fs.readFileSync(victim, "utf8"), "root:x:0:0\n");
});
