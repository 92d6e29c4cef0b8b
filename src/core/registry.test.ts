import { test } from "node:test";
import assert from "node:assert/strict";
import { ActkError } from "./errors.js";
import { Registry } from "./registry.js";

test("plugins are initialised after the types they require, whatever the registration order", () => {
  const r = new Registry();
  const order: string[] = [];
  r.register({ type: "t.vendor", id: "a", requires: ["t.host"], init: () => order.push("vendor.a") });
  r.register({ type: "t.host", id: "root", init: () => order.push("host") });
  r.register({ type: "t.engine", id: "docker", requires: ["t.vendor"], init: () => order.push("engine") });
  r.init();
  assert.deepEqual(order, ["host", "vendor.a", "engine"]);
});

test("a plugin whose init throws is recorded with its error and the others still initialise", () => {
  const r = new Registry();
  r.register({ type: "t.vendor", id: "broken", init: () => { throw new Error("no driver"); } });
  r.register({ type: "t.vendor", id: "fine", init: () => "ok" });
  const p = r.init();
  assert.equal(p.record("t.vendor", "broken")?.status, "error");
  assert.equal(p.record("t.vendor", "broken")?.error, "no driver");
  assert.deepEqual(p.all("t.vendor"), ["ok"]);
});

test("an init error's fix is kept apart too, so a command that needs the plugin gives one fix", () => {
  const r = new Registry();
  r.register({ type: "t.vendor", id: "bad", init: () => { throw new ActkError("nvml must be auto or off", { place: "nvml", fix: "set nvml = \"auto\"" }); } });
  r.register({ type: "t.vendor", id: "plain", init: () => { throw new Error("no driver"); } });
  const p = r.init();
  assert.equal(p.record("t.vendor", "bad")?.error, "nvml: nvml must be auto or off. Fix: set nvml = \"auto\"");
  assert.equal(p.record("t.vendor", "bad")?.fix, "set nvml = \"auto\"");
  assert.equal(p.record("t.vendor", "plain")?.fix, undefined);
});

test("a plugin that requires a failed type is skipped with the reason", () => {
  const r = new Registry();
  r.register({ type: "t.host", id: "root", init: () => { throw new Error("bad root"); } });
  r.register({ type: "t.vendor", id: "v", requires: ["t.host"], init: () => 1 });
  const p = r.init();
  assert.equal(p.record("t.vendor", "v")?.status, "skipped");
  assert.match(p.record("t.vendor", "v")?.error ?? "", /requires t\.host\.root, which failed/);
});

test("init receives its config section and can get what it requires", () => {
  const r = new Registry();
  r.register({ type: "t.host", id: "root", init: () => ({ root: "/sim" }) });
  r.register({
    type: "t.vendor", id: "v", requires: ["t.host"], config: { x: 1 },
    init: (ctx) => ({ cfg: ctx.config, host: ctx.get<{ root: string }>("t.host").root }),
  });
  const p = r.init({ configFor: (reg) => ({ ...(reg.config as object), y: 2 }) });
  assert.deepEqual(p.get("t.vendor", "v"), { cfg: { x: 1, y: 2 }, host: "/sim" });
});

test("registering the same type and id twice is refused", () => {
  const r = new Registry();
  r.register({ type: "t", id: "a", init: () => 0 });
  assert.throws(() => r.register({ type: "t", id: "a", init: () => 0 }), /registered twice/);
});

test("a requirement cycle is reported", () => {
  const r = new Registry();
  r.register({ type: "a", id: "1", requires: ["b"], init: () => 0 });
  r.register({ type: "b", id: "1", requires: ["a"], init: () => 0 });
  assert.throws(() => r.init(), /cycle/);
});
