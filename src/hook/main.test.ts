import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { hookMain, parseInvocation, personalityOf } from "./main.js";

test("the program name picks the command line style", () => {
  assert.equal(personalityOf("/usr/bin/nvidia-container-runtime-hook"), "nvidia-container-runtime-hook");
  assert.equal(personalityOf("nvidia-cdi-hook"), "nvidia-cdi-hook");
  assert.equal(personalityOf("/usr/local/bin/actk-hook"), "actk-hook");
});

const parses: { argv0: string; argv: string[]; want: Partial<ReturnType<typeof parseInvocation>> }[] = [
  { argv0: "nvidia-container-runtime-hook", argv: ["-config", "/etc/x.toml", "-debug", "prestart"], want: { config: "/etc/x.toml", debug: true, command: "prestart" } },
  { argv0: "nvidia-container-runtime-hook", argv: ["-config=/etc/x.toml", "prestart"], want: { config: "/etc/x.toml", debug: false, command: "prestart" } },
  { argv0: "actk-hook", argv: ["--host-root", "/sim", "update-ldcache", "--folder", "/a"], want: { hostRoot: "/sim", command: "update-ldcache", args: ["--folder", "/a"] } },
  { argv0: "nvidia-cdi-hook", argv: ["--debug", "create-symlinks", "--link", "a::/b"], want: { debug: true, command: "create-symlinks", args: ["--link", "a::/b"] } },
];
for (const p of parses) {
  test(`parses ${p.argv0} ${p.argv.join(" ")}`, () => {
    const inv = parseInvocation(p.argv0, p.argv);
    for (const [k, v] of Object.entries(p.want)) assert.deepEqual(inv[k as keyof typeof inv], v, k);
  });
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "actk-hook-main-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
const configFile = path.join(scratch, "config.toml");
fs.writeFileSync(configFile, `[hook]\nlog-file = ${JSON.stringify(path.join(scratch, "hook.log"))}\n`);

function run(argv0: string, argv: string[], stdin = ""): { code: number; err: string; out: string } {
  let err = "";
  let out = "";
  const code = hookMain(argv0, argv, { ACTK_CONFIG_FILE: configFile }, {
    readStdin: () => stdin, stderr: (t) => { err += t; }, stdout: (t) => { out += t; },
  });
  return { code, err, out };
}

const outcomes: { name: string; argv0: string; argv: string[]; stdin?: string; code: number; err?: RegExp }[] = [
  { name: "poststart and poststop are no-ops", argv0: "actk-hook", argv: ["poststop"], code: 0 },
  { name: "legacy name: poststart is a no-op", argv0: "nvidia-container-runtime-hook", argv: ["poststart"], code: 0 },
  { name: "legacy name: unknown command is a usage error", argv0: "nvidia-container-runtime-hook", argv: ["frobnicate"], code: 2, err: /unknown command "frobnicate"/ },
  { name: "legacy name: no command prints usage, exit 2", argv0: "nvidia-container-runtime-hook", argv: [], code: 2, err: /Usage/ },
  { name: "CDI name: unknown hook is a warning, exit 0 (forward compatibility)", argv0: "nvidia-cdi-hook", argv: ["update-application-profile"], code: 0, err: /Unsupported CDI hook/ },
  { name: "CDI name: no hook is a warning, exit 0", argv0: "nvidia-cdi-hook", argv: [], code: 0, err: /No CDI hook specified/ },
  { name: "unknown global flag is a usage error", argv0: "actk-hook", argv: ["--frob", "prestart"], code: 2, err: /unknown flag --frob/ },
  { name: "unknown helper flag is a usage error", argv0: "actk-hook", argv: ["chmod", "--bogus"], stdin: "", code: 2, err: /bogus/ },
  { name: "empty stdin names the step and points to doctor", argv0: "actk-hook", argv: ["prestart"], stdin: "", code: 3, err: /^actk-hook: read container state: .*no container state on stdin.*run `actk doctor` for a full diagnosis\n$/ },
  { name: "malformed state JSON names line and column", argv0: "actk-hook", argv: ["prestart"], stdin: "{\"bundle\": }", code: 3, err: /line 1, column 12/ },
  { name: "a missing bundle is a host error naming config.json", argv0: "actk-hook", argv: ["prestart"], stdin: JSON.stringify({ id: "x", pid: 1, bundle: "/nonexistent-bundle" }), code: 4, err: /\/nonexistent-bundle\/config.json/ },
  { name: "a missing config file names the step", argv0: "nvidia-container-runtime-hook", argv: ["-config", "/nonexistent/config.toml", "prestart"], stdin: "{}", code: 4, err: /load config: \/nonexistent\/config.toml/ },
];
for (const o of outcomes) {
  test(`hook exit: ${o.name}`, () => {
    const r = run(o.argv0, o.argv, o.stdin);
    assert.equal(r.code, o.code, r.err);
    if (o.err) assert.match(r.err, o.err);
    assert.equal(r.out, "", "nothing on stdout");
  });
}
