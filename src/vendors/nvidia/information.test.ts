import { test } from "node:test";
import assert from "node:assert/strict";
import { formatInformation } from "./simulate.js";
import { parseCapabilityFile, parseDriverVersionFile, parseGpuInformation, parseMigMinors } from "./information.js";
import { ActkError } from "../../core/errors.js";

// As the 550 driver prints it (nv-procfs.c), tabs included.
const real = "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 0\nGPU UUID: \t GPU-2a7f5c1e-3b2d-4c1a-9e8f-0123456789ab\n" +
  "Video BIOS: \t 96.00.74.00.01\nBus Type: \t PCIe\nDMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\n" +
  "Bus Location: \t 0000:18:00.0\nDevice Minor: \t 0\nGPU Excluded:\t No\n";

test("the information file gives model, UUID, bus id and minor", () => {
  assert.deepEqual(parseGpuInformation(real, "f"), {
    model: "NVIDIA H100 80GB HBM3", uuid: "GPU-2a7f5c1e-3b2d-4c1a-9e8f-0123456789ab", busId: "0000:18:00.0",
    minor: 0, excluded: false, videoBios: "96.00.74.00.01", irq: 0,
  });
});

test("the simulator writes the information file byte for byte in the driver's format", () => {
  assert.equal(formatInformation({
    model: "NVIDIA H100 80GB HBM3", irq: 0, uuid: "GPU-2a7f5c1e-3b2d-4c1a-9e8f-0123456789ab", videoBios: "96.00.74.00.01",
    busId: "0000:18:00.0", minor: 0,
  }), real);
});

test("an information file without Device Minor is an error naming the file", () => {
  assert.throws(() => parseGpuInformation(real.replace(/Device Minor.*\n/, ""), "/h/info"), (e: unknown) =>
    e instanceof ActkError && e.file === "/h/info" && /Device Minor/.test(e.message));
});

test("the driver version comes from the NVRM line of both kernel module flavours", () => {
  const table: [string, string | undefined][] = [
    ["NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\nGCC version: gcc 11\n", "550.54.15"],
    ["NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  535.161.07  Release Build  (dvs-builder@U16)  Sat Feb 17 2024\n", "535.161.07"],
    ["garbage\n", undefined],
  ];
  for (const [text, want] of table) assert.equal(parseDriverVersionFile(text), want);
});

test("capability files and mig-minors give the nvidia-caps minors", () => {
  assert.deepEqual(parseCapabilityFile("DeviceFileMinor: 12\nDeviceFileMode: 292\nDeviceFileModify: 1\n"), { minor: 12, mode: 292 });
  const m = parseMigMinors("config 1\nmonitor 2\ngpu0/gi0/access 3\ngpu0/gi0/ci0/access 4\n");
  assert.equal(m.get("gpu0/gi0/ci0/access"), 4);
  assert.equal(m.get("monitor"), 2);
});
