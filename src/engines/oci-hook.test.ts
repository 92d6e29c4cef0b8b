import assert from "node:assert/strict";
import { test } from "node:test";
import { ActkError } from "../core/errors.js";
import { ociHookJson, planOciHook } from "./oci-hook.js";
import { options } from "./testdata/golden.js";

test("the hooks.d file runs `actk-hook prestart` with an explicit PATH and no inherited environment", () => {
  const hook = JSON.parse(ociHookJson("/usr/local/bin/actk-hook"));
  assert.deepEqual(hook, {
    version: "1.0.0",
    hook: { path: "/usr/local/bin/actk-hook", args: ["actk-hook", "prestart"], env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
    when: { always: true },
    stages: ["prestart"],
  });
});

test("writing the same hook file again is no change", () => {
  const o = options({ configMode: "oci-hook" });
  assert.deepEqual(planOciHook(o, new Map([[o.ociHookPath, ociHookJson(o.hookPath)]])).files, []);
});

test("a relative --hook-path is a usage error", () => {
  assert.throws(() => planOciHook(options({ configMode: "oci-hook", hookPath: "actk-hook" }), new Map()), ActkError);
});

test("--oci-hook-annotation selects containers by annotation key instead of when.always", () => {
  const hook = JSON.parse(ociHookJson("/usr/local/bin/actk-hook", ["^cdi\\.k8s\\.io/"]));
  assert.deepEqual(hook.when, { annotations: { "^cdi\\.k8s\\.io/": ".*" } });
});

test("an invalid annotation regex is a usage error", () => {
  assert.throws(() => planOciHook(options({ configMode: "oci-hook", ociHookAnnotations: ["("] }), new Map()), /invalid regular expression/);
});
