/**
 * How actk-runtime injects devices: the mode from the program's name
 * (actk-runtime.cdi, .legacy, .jit, .csv — like nvidia-container-runtime.cdi),
 * else ACTK_RUNTIME_MODE, else `runtime.mode`; `auto` is then resolved per
 * container: cdi when every request is a fully qualified CDI name, csv on a
 * Tegra host, jit otherwise.
 */
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import type { RuntimeMode } from "../config/types.js";
import type { HostRoot } from "../host/host-root.js";
import { isTegra } from "../host/tegra.js";
import type { DeviceRequest } from "../request/types.js";

export type ResolvedMode = Exclude<RuntimeMode, "auto">;
export const runtimeModes: readonly RuntimeMode[] = ["auto", "jit", "cdi", "legacy", "csv"];

/** Mode named by the program's file name suffix, or undefined. */
export function modeFromProgramName(name: string): ResolvedMode | undefined {
  const m = /^actk-runtime\.(jit|cdi|legacy|csv)$/.exec(path.basename(name));
  return m ? (m[1] as ResolvedMode) : undefined;
}

export function checkMode(value: string, place: string): RuntimeMode {
  if ((runtimeModes as readonly string[]).includes(value)) return value as RuntimeMode;
  throw new ActkError(`unknown runtime mode "${value}"`, { place, exitCode: ExitCode.badInput, unchanged: true, fix: `use one of ${runtimeModes.join(", ")}` });
}

export function resolveAutoMode(requests: readonly DeviceRequest[], host: HostRoot): ResolvedMode {
  if (requests.length > 0 && requests.every((r) => r.cdiDevices?.length)) return "cdi";
  if (isTegra(host)) return "csv";
  return "jit";
}
