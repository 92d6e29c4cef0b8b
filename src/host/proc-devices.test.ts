import { test } from "node:test";
import assert from "node:assert/strict";
import { formatProcDevices, parseProcDevices } from "./proc-devices.js";
import { ActkError } from "../core/errors.js";

const sample = `Character devices:
  1 mem
  4 /dev/vc/0
  4 tty
195 nvidia-frontend
226 drm
509 nvidia-uvm
511 nvidia-caps

Block devices:
  7 loop
259 blkext
`;

test("character and block majors are read by name, with the kernel's padding", () => {
  const d = parseProcDevices(sample);
  assert.equal(d.char.get("nvidia-frontend"), 195);
  assert.equal(d.char.get("nvidia-uvm"), 509);
  assert.equal(d.char.get("/dev/vc/0"), 4);
  assert.equal(d.block.get("blkext"), 259);
  assert.equal(d.char.has("loop"), false);
});

test("formatting sorts majors and round-trips through the parser", () => {
  const text = formatProcDevices({ char: [["nvidia-uvm", 509], ["mem", 1]], block: [["sd", 8]] });
  assert.equal(text, "Character devices:\n  1 mem\n509 nvidia-uvm\n\nBlock devices:\n  8 sd\n");
  assert.deepEqual([...parseProcDevices(text).char], [["mem", 1], ["nvidia-uvm", 509]]);
});

test("a malformed line is an error naming the file and line", () => {
  assert.throws(() => parseProcDevices("Character devices:\n  1 mem\nnonsense\n", "/h/proc/devices"), (e: unknown) => {
    assert.ok(e instanceof ActkError);
    assert.equal(e.file, "/h/proc/devices");
    assert.equal(e.line, 3);
    return true;
  });
});
