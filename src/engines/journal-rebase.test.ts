import assert from "node:assert/strict";
import { test } from "node:test";
import type { Journal } from "./journal.js";
import { lastWriteIsOwn, laterJournals, rebaseChanges } from "./journal-rebase.js";
import type { SetChange } from "./value-change.js";

const set = (path: string[], value: unknown, createdFrom: number, previous?: { value: unknown }): SetChange => ({
  op: "set", path, value, createdFrom, hadPrevious: previous !== undefined, ...(previous ? { previous: previous.value } : {}),
});

const cases: { name: string; later: SetChange; undone: SetChange[]; want: SetChange }[] = [
  {
    name: "a parent the undone runtime created becomes the later runtime's",
    later: set(["runtimes", "a2"], { path: "/x" }, 1), undone: [set(["runtimes", "a1"], { path: "/x" }, 0)],
    want: set(["runtimes", "a2"], { path: "/x" }, 0),
  },
  {
    name: "a parent that was there before both stays the user's",
    later: set(["runtimes", "a2"], { path: "/x" }, 1), undone: [set(["runtimes", "a1"], { path: "/x" }, 1)],
    want: set(["runtimes", "a2"], { path: "/x" }, 1),
  },
  {
    name: "a value the later runtime replaced goes back to what was there before the undone one",
    later: set(["default-runtime"], "a2", 1, { value: "a1" }), undone: [set(["default-runtime"], "a1", 1, { value: "runc" })],
    want: set(["default-runtime"], "a2", 1, { value: "runc" }),
  },
  {
    name: "…or is removed when the undone runtime added it",
    later: set(["default-runtime"], "a2", 1, { value: "a1" }), undone: [set(["default-runtime"], "a1", 0)],
    want: set(["default-runtime"], "a2", 0),
  },
  {
    name: "a value the user set in between is left as the later runtime found it",
    later: set(["default-runtime"], "a2", 1, { value: "crun" }), undone: [set(["default-runtime"], "a1", 0)],
    want: set(["default-runtime"], "a2", 1, { value: "crun" }),
  },
  {
    name: "a created parent on another path changes nothing",
    later: set(["features", "cdi"], true, 1), undone: [set(["runtimes", "a1"], {}, 0)],
    want: set(["features", "cdi"], true, 1),
  },
];
for (const c of cases) {
  test(`rebaseChanges: ${c.name}`, () => {
    assert.deepEqual(rebaseChanges([c.later], c.undone), [c.want]);
  });
}

const journal = (runtimeName: string, createdAt: string, updatedAt: string, paths: string[]): Journal => ({
  journalVersion: 1, engine: "docker", runtimeName, createdAt, updatedAt,
  files: paths.map((path) => ({ path, format: "json", existed: true, afterSha256: "", changes: [] })),
});
const on = (journals: Journal[]) => journals.map((j) => ({ paths: { dir: "", journal: "", backups: "" }, journal: j }));

test("laterJournals: only journals created after the undone one that record one of its files", () => {
  const a1 = journal("a1", "2024-01-02", "2024-01-02", ["/etc/docker/daemon.json"]);
  const others = on([
    journal("before", "2024-01-01", "2024-01-01", ["/etc/docker/daemon.json"]),
    journal("after", "2024-01-03", "2024-01-03", ["/etc/docker/daemon.json"]),
    journal("elsewhere", "2024-01-03", "2024-01-03", ["/etc/docker/other.json"]),
  ]);
  assert.deepEqual(laterJournals(a1, others).map((o) => o.journal.runtimeName), ["after"]);
});

test("lastWriteIsOwn: not when a later runtime was configured between the undone one's first and last write", () => {
  const later = on([journal("a2", "2024-01-03", "2024-01-03", ["/f"])]);
  assert.equal(lastWriteIsOwn(journal("a1", "2024-01-02", "2024-01-02", ["/f"]), "/f", later), true);
  assert.equal(lastWriteIsOwn(journal("a1", "2024-01-02", "2024-01-04", ["/f"]), "/f", later), false);
});
