/**
 * Rules every `actk` command follows, through the built dist/bin/actk: an argument a command does
 * not read is a usage error (never skipped), a host root that is not a directory is refused rather
 * than read as a host without accelerators, `--version` and `actk help`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import path from "node:path";
import { distBin, tempDir } from "../e2e/harness/requirements.js";

function actk(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(distBin("actk"), args, { encoding: "utf8", env: { PATH: process.env.PATH, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const oneLine = (s: string): void => assert.equal(s.trim().split("\n").length, 1, s);

test("an argument a command does not take is a usage error naming it (exit 2), not skipped", (t) => {
  const dir = tempDir(t, "actk-cli-");
  const good = path.join(dir, "good.toml");
  const bad = path.join(dir, "bad.toml");
  fs.writeFileSync(good, "[runtime]\nmode = \"jit\"\n");
  fs.writeFileSync(bad, "[runtime]\nmdoe = \"x\"\n");
  const cases: [string[], RegExp][] = [
    [["config", "validate", good, bad], /unexpected argument ".*bad\.toml" \(actk config validate takes FILE\)/],
    [["--host-root", dir, "doctor", "foo"], /unexpected argument "foo" \(actk doctor takes no arguments\)/],
    [["--host-root", dir, "info", "x"], /unexpected argument "x"/],
    [["--host-root", dir, "cdi", "generate", "extra"], /unexpected argument "extra"/],
    [["explain", "--env", "A=1", "extra"], /unexpected argument "extra"/],
  ];
  for (const [args, message] of cases) {
    const r = actk(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Fix: see `actk .*--help`/);
    oneLine(r.stderr);
    assert.equal(r.stdout, "", args.join(" "));
  }
  // Commands that take several arguments still do.
  assert.equal(actk(["cdi", "refresh", "--help"]).status, 0);
});

test("a --host-root (or ACTK_HOST_ROOT) that is missing, a file or empty is refused, never read as an empty host", (t) => {
  const dir = tempDir(t, "actk-cli-");
  const file = path.join(dir, "file");
  fs.writeFileSync(file, "");
  const missing = actk(["--host-root", path.join(dir, "nope"), "doctor"]);
  assert.equal(missing.status, 4, missing.stdout);
  assert.match(missing.stderr, /^actk: --host-root: the host root .*nope does not exist\. Fix: /);
  oneLine(missing.stderr);
  assert.equal(missing.stdout, "");
  const notDir = actk(["--host-root", file, "info"]);
  assert.equal(notDir.status, 4);
  assert.match(notDir.stderr, /is not a directory/);
  const fromEnv = actk(["info"], { ACTK_HOST_ROOT: path.join(dir, "nope") });
  assert.equal(fromEnv.status, 4);
  assert.match(fromEnv.stderr, /^actk: ACTK_HOST_ROOT: /);
  const empty = actk(["--host-root=", "doctor"]);
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /the host root is empty/);
});

test("doctor --check with an id no check has is a usage error listing the groups, not a pass", (t) => {
  const dir = tempDir(t, "actk-cli-");
  const r = actk(["--host-root", dir, "doctor", "--check", "bogus"]);
  assert.equal(r.status, 2, r.stdout);
  assert.match(r.stderr, /no check has the id "bogus" \(groups: .*cdi.*\)\. Fix: `actk doctor --list`/);
  oneLine(r.stderr);
  assert.doesNotMatch(actk(["doctor", "--help"]).stdout, /\(repeatable\) \(repeatable\)/);
});

test("--version anywhere before the command, as JSON with --json; actk help COMMAND is COMMAND --help", () => {
  for (const args of [["--version"], ["--debug", "--version"], ["version"]]) {
    const r = actk(args);
    assert.equal(r.status, 0, args.join(" "));
    assert.match(r.stdout, /^actk \S+\n$/);
  }
  const json = actk(["--json", "--version"]);
  assert.equal(json.status, 0);
  assert.equal(typeof (JSON.parse(json.stdout) as { version: string }).version, "string");
  const help = actk(["help", "doctor"]);
  assert.equal(help.status, 0);
  assert.equal(help.stdout, actk(["doctor", "--help"]).stdout);
});

test("flag mistakes are one line each: a value missing or swallowed, an unknown option, a single-valued option twice", () => {
  const cases: [string[], RegExp][] = [
    [["cdi", "generate", "--output", "--json"], /^actk: --output takes a value, and the argument after it starts with "-"\. Fix: give --output its value, or write --output=VALUE/],
    [["cdi", "generate", "-o"], /^actk: --output needs a value\. Fix: see `actk cdi generate --help`/],
    [["doctor", "--bogus"], /^actk: unknown option --bogus\. Fix: see `actk doctor --help`/],
    [["info", "--vendor", "nvidia", "--vendor", "ascend"], /^actk: --vendor is given twice \("nvidia" and "ascend"\), and it takes one value\. Fix: give --vendor once \(a comma list names several\)/],
  ];
  for (const [args, message] of cases) {
    const r = actk(args);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, message);
    oneLine(r.stderr);
  }
});

test("--vendor names only vendors that exist, and no empty one; --dev-char-path is absolute", (t) => {
  const dir = tempDir(t, "actk-cli-");
  for (const args of [["info", "--vendor", "bogus"], ["info", "--vendor="], ["info", "--vendor", "nvidia,,amd"], ["system", "create-dev-char-symlinks", "--vendor", "bogus", "--dry-run"], ["cdi", "generate", "--vendor", "bogus"]]) {
    const r = actk(["--host-root", dir, ...args]);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout}`);
    assert.match(r.stderr, /^actk: --vendor: (unknown vendor "bogus"|".*" names an empty vendor)\. Fix: use one of nvidia, ascend, amd or all/);
  }
  const rel = actk(["--host-root", dir, "system", "create-dev-char-symlinks", "--dev-char-path", "relative"]);
  assert.equal(rel.status, 2);
  assert.match(rel.stderr, /--dev-char-path: "relative" is not an absolute path/);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test("--json on a command that prints a file's text is a usage error that points at the JSON form; with -o it reports the file", (t) => {
  const dir = tempDir(t, "actk-cli-");
  const r = actk(["--json", "config", "default"]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /--json: this prints the config file's TOML text\. Fix: .*actk config show --json/);
  const file = path.join(dir, "c.toml");
  const w = actk(["--json", "config", "default", "-o", file]);
  assert.equal(w.status, 0, w.stderr);
  assert.deepEqual(JSON.parse(w.stdout), { wrote: file });
  assert.ok(fs.existsSync(file));
});
