/**
 * Parsers for the NVIDIA driver's procfs files:
 * /proc/driver/nvidia/gpus/<bus>/information ("Key: \t value" lines),
 * /proc/driver/nvidia/version, the MIG capability files
 * ("DeviceFileMinor: N") and /proc/driver/nvidia-caps/mig-minors.
 */
import { ActkError, ExitCode } from "../../core/errors.js";

export interface GpuInformation {
  model: string;
  uuid: string;
  busId: string;
  minor: number;
  videoBios?: string;
  irq?: number;
  excluded: boolean;
}

/** "Key:   value" lines (tabs/spaces after the colon) → map. */
export function parseKeyValueLines(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    m.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return m;
}

export function parseGpuInformation(text: string, file: string): GpuInformation {
  const kv = parseKeyValueLines(text);
  const need = (key: string): string => {
    const v = kv.get(key);
    if (v === undefined || v === "") {
      throw new ActkError(`missing "${key}:" line`, {
        file, exitCode: ExitCode.host, fix: "the NVIDIA driver writes this file; check the driver is loaded (or recreate the simulated host)",
      });
    }
    return v;
  };
  const minorText = need("Device Minor");
  const minor = Number(minorText);
  if (!/^\d+$/.test(minorText)) throw new ActkError(`"Device Minor: ${minorText}" is not a number`, { file, exitCode: ExitCode.host });
  const busId = need("Bus Location").toLowerCase();
  const info: GpuInformation = {
    model: need("Model"), uuid: need("GPU UUID"), busId, minor, excluded: kv.get("GPU Excluded") === "Yes",
  };
  const vb = kv.get("Video BIOS");
  if (vb) info.videoBios = vb;
  const irq = Number(kv.get("IRQ"));
  if (Number.isInteger(irq)) info.irq = irq;
  return info;
}

/** "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  …" (also the Open Kernel Module wording) → "550.54.15". */
export function parseDriverVersionFile(text: string): string | undefined {
  const line = text.split("\n").find((l) => l.startsWith("NVRM version:"));
  return line ? /\s(\d+\.\d+(?:\.\d+)?)\s/.exec(line + " ")?.[1] : undefined;
}

/** "DeviceFileMinor: 3 / DeviceFileMode: 292" from a capability file. */
export function parseCapabilityFile(text: string): { minor?: number; mode?: number } {
  const kv = parseKeyValueLines(text);
  const out: { minor?: number; mode?: number } = {};
  const minor = Number(kv.get("DeviceFileMinor"));
  const mode = Number(kv.get("DeviceFileMode"));
  if (kv.has("DeviceFileMinor") && Number.isInteger(minor)) out.minor = minor;
  if (kv.has("DeviceFileMode") && Number.isInteger(mode)) out.mode = mode;
  return out;
}

/** mig-minors: "<capability path> <minor>" per line. */
export function parseMigMinors(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [cap, minor] = line.trim().split(/\s+/);
    if (cap && minor && /^\d+$/.test(minor)) m.set(cap, Number(minor));
  }
  return m;
}
