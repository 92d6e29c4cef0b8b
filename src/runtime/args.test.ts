import { test } from "node:test";
import assert from "node:assert/strict";
import { ActkError } from "../core/errors.js";
import { parseRuntimeArgs } from "./args.js";

const cases: { argv: string[]; want: ReturnType<typeof parseRuntimeArgs> }[] = [
  { argv: ["create", "--bundle", "/b", "id"], want: { debug: false, command: "create", bundle: "/b" } },
  { argv: ["--root", "/r", "--log", "/l.json", "--log-format", "json", "create", "-b", "b", "id"], want: { debug: false, log: "/l.json", logFormat: "json", command: "create", bundle: "/cwd/b" } },
  { argv: ["--debug", "create", "--bundle=/x", "--bundle", "/y", "id"], want: { debug: true, command: "create", bundle: "/y" } },
  { argv: ["create", "id"], want: { debug: false, command: "create", bundle: "/cwd" } },
  { argv: ["--log=/l", "start", "id"], want: { debug: false, log: "/l", command: "start" } },
  { argv: ["--root", "create", "delete", "create"], want: { debug: false, command: "delete" } },
  { argv: ["--version"], want: { debug: false } },
  { argv: ["run", "-b", "/b", "id"], want: { debug: false, command: "run", bundle: "/b" } },
];
for (const c of cases) {
  test(`runtime args: ${c.argv.join(" ")}`, () => {
    assert.deepEqual(parseRuntimeArgs(c.argv, "/cwd"), c.want);
  });
}

test("runtime args: a bundle flag without a value is a usage error", () => {
  assert.throws(() => parseRuntimeArgs(["create", "id", "--bundle"], "/cwd"), (e: unknown) => e instanceof ActkError && e.exitCode === 2);
});
