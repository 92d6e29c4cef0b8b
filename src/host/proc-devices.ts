/**
 * /proc/devices: the kernel's table of registered major numbers
 * (fs/proc/devices.c prints "Character devices:", then "%3d %s" per
 * registration, a blank line, "Block devices:" and the same for block
 * majors). Dynamic majors (nvidia-uvm, nvidia-caps …) are only known here.
 */
import { ActkError, ExitCode } from "../core/errors.js";

export interface ProcDevices {
  /** Character device majors: name → major (first registration wins, like NVIDIA's parser). */
  char: Map<string, number>;
  block: Map<string, number>;
}

export function parseProcDevices(text: string, file = "/proc/devices"): ProcDevices {
  const out: ProcDevices = { char: new Map(), block: new Map() };
  let section: Map<string, number> | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    if (line === "Character devices:") { section = out.char; return; }
    if (line === "Block devices:") { section = out.block; return; }
    const m = /^(\d+)\s+(\S.*)$/.exec(line);
    if (!m || !section) {
      throw new ActkError(`unexpected line ${JSON.stringify(raw)}`, {
        file, line: i + 1, exitCode: ExitCode.badInput,
        fix: "expected \"Character devices:\", \"Block devices:\" or \"<major> <name>\" lines",
      });
    }
    const name = m[2] as string;
    if (!section.has(name)) section.set(name, Number(m[1]));
  });
  return out;
}

/** Render in the kernel's format (majors sorted, "%3d %s"). */
export function formatProcDevices(devs: { char: Iterable<[string, number]>; block: Iterable<[string, number]> }): string {
  const rows = (entries: Iterable<[string, number]>): string =>
    [...entries].sort((a, b) => a[1] - b[1]).map(([n, maj]) => `${String(maj).padStart(3)} ${n}\n`).join("");
  return `Character devices:\n${rows(devs.char)}\nBlock devices:\n${rows(devs.block)}`;
}
