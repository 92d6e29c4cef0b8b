/**
 * The one thing actk-runtime changes: the bundle's config.json before
 * `create`. Read it, work out what the container asks for, turn that into
 * edits for the mode, apply them and write the file back atomically (same
 * mode and owner). Any error leaves config.json exactly as it was.
 * A container that asks for nothing keeps its bytes.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import type { Logger } from "../core/log.js";
import type { ContainerEdits } from "../edits/container-edits.js";
import { requireResolved, resolveContainerEdits, requestError } from "../edits/resolve.js";
import type { OciSpec } from "../apply/oci-spec.js";
import { applyEdits, isEdited } from "../apply/oci-spec.js";
import type { HostRoot } from "../host/host-root.js";
import type { DeviceRequest } from "../request/types.js";
import { requestInputFromOciSpec } from "../request/oci-input.js";
import { parseRequests } from "../request/parse-requests.js";
import type { Vendor } from "../vendors/vendor.js";
import type { ResolvedMode } from "./mode.js";
import { resolveAutoMode } from "./mode.js";
import { lowerLdcacheHooks, rootfsOf } from "./ldcache-hook.js";
import type { RuntimeMode } from "../config/types.js";

export interface PrepareOptions {
  bundle: string;
  mode: RuntimeMode;
  host: HostRoot;
  vendors: readonly Vendor[];
  /** Absolute path of actk-hook. */
  hookPath: string;
  /** Env entries the legacy hook gets (it never inherits the container's environment). */
  hookEnv: string[];
  logger: Logger;
  /** CDI device injection for cdi mode; undefined while no CDI library is available. */
  cdi?: (names: readonly string[]) => ContainerEdits;
  /** Annotation key prefixes that carry CDI requests (config cdi.annotationPrefixes). */
  annotationPrefixes: readonly string[];
  /** Default CDI kind per vendor (config cdi.defaultKind), for env requests in cdi mode. */
  defaultKind: Readonly<Record<string, string>>;
  /**
   * true: when the container needs CDI specs (cdi mode, or a request naming CDI devices) and `cdi`
   * is not given, return `needsCdi` without changing anything, so the caller can load the CDI
   * library (a chunk of its own) and call again.
   */
  deferCdi?: boolean;
  /** false: keep `actk-hook update-ldcache` hooks as they are instead of running ldconfig directly. */
  ldcacheHook?: boolean;
}

export interface PrepareResult {
  changed: boolean;
  mode?: ResolvedMode;
  /** Why nothing was changed, for the log. */
  reason?: string;
  /** Nothing was done: call again with `cdi` (only with `deferCdi`). */
  needsCdi?: boolean;
}

export function readSpec(file: string): { spec: OciSpec; text: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ActkError(code === "ENOENT" ? "the bundle has no config.json" : `cannot read the OCI spec (${code ?? String(e)})`, {
      file, exitCode: ExitCode.host, unchanged: true, fix: "pass the bundle directory with --bundle, or run from inside it",
    });
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    throw new ActkError(`malformed JSON: ${(e as Error).message}`, { file, exitCode: ExitCode.badInput, unchanged: true, fix: "fix the engine that wrote the bundle" });
  }
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    throw new ActkError("the OCI spec is not a JSON object", { file, exitCode: ExitCode.badInput, unchanged: true });
  }
  return { spec: spec as OciSpec, text };
}

export function prepareCreate(opts: PrepareOptions): PrepareResult {
  const file = path.join(opts.bundle, "config.json");
  const { spec } = readSpec(file);
  if (isEdited(spec)) return { changed: false, reason: "config.json was already edited by actk" };
  const input = requestInputFromOciSpec(spec, file);

  // Parse first (pure), so the mode can depend on what was asked for.
  const all = parseRequests(input, opts.vendors, { annotationPrefixes: opts.annotationPrefixes });
  const parsed = all.requests;
  const mode: ResolvedMode = opts.mode === "auto" ? resolveAutoMode(parsed, opts.host) : opts.mode;
  opts.logger.debug("runtime mode", { configured: opts.mode, mode, requests: parsed.length });
  if (opts.deferCdi && !opts.cdi && ((mode === "cdi" && parsed.length > 0) || (mode === "jit" && parsed.some((r) => r.cdiDevices?.length)))) {
    return { changed: false, mode, needsCdi: true, reason: "the CDI library is needed" };
  }

  let edits: ContainerEdits;
  switch (mode) {
    // csv is jit whose NVIDIA discovery reads the Tegra CSV mount lists (the NVIDIA plugin picks
    // them on Tegra hosts, or always with its discovery-mode = "csv"), as nvidia-container-runtime's
    // csv mode does.
    case "csv":
    case "jit": {
      const r = requireResolved(resolveContainerEdits(input, opts.vendors, {
        hookPath: opts.hookPath, logger: opts.logger, annotationPrefixes: opts.annotationPrefixes, cdi: opts.cdi, parsed: all,
      }), opts.logger);
      if (r.requests.length === 0) return { changed: false, mode, reason: "the container asks for no device" };
      edits = r.edits;
      opts.logger.info("injecting devices", { mode, devices: r.requests.flatMap((q) => q.devices.map((d) => `${d.kind}=${d.index}`)) });
      break;
    }
    case "legacy": {
      // Only validate here; the hook does the injection at prestart.
      if (all.errors.length) throw requestError(all.errors[0] as string, undefined, ExitCode.badInput);
      if (parsed.length === 0) return { changed: false, mode, reason: "the container asks for no device" };
      edits = { hooks: [{ hookName: "prestart", path: opts.hookPath, args: [path.basename(opts.hookPath), "prestart"], env: opts.hookEnv }] };
      break;
    }
    case "cdi": {
      if (all.errors.length) throw requestError(all.errors[0] as string, undefined, ExitCode.badInput);
      const names = cdiNames(parsed, opts.defaultKind);
      if (names.length === 0) return { changed: false, mode, reason: "the container asks for no device" };
      if (!opts.cdi) {
        throw new ActkError("cdi mode is not available in this build (no CDI library)", {
          place: "runtime.mode", exitCode: ExitCode.host, unchanged: true, fix: "set runtime.mode to jit or auto",
        });
      }
      edits = opts.cdi(names);
      opts.logger.info("injecting CDI devices", { mode, devices: names });
      break;
    }
  }
  // update-ldcache as the host's ldconfig itself, not a second JS process (./ldcache-hook.ts).
  const root = (spec as { root?: { path?: unknown } }).root?.path;
  const ldcache = mode === "legacy" || opts.ldcacheHook === false ? undefined
    : lowerLdcacheHooks(edits, { hookPath: opts.hookPath, rootfs: rootfsOf(opts.bundle, typeof root === "string" ? root : undefined), logger: opts.logger });
  const result = applyEdits(spec, ldcache?.edits ?? edits, { mode });
  if (!result.changed) return { changed: false, mode, reason: "config.json was already edited by actk" };
  if (result.removedHooks.length) opts.logger.info("removed NVIDIA hooks", { hooks: result.removedHooks });
  if (ldcache?.lowered) {
    ldcache.commit();
    opts.logger.debug("update-ldcache runs the host's ldconfig directly", { hooks: ldcache.lowered });
  }
  // The bundle is runtime state the engine recreates after a crash: no fsync on the start path.
  writeFileAtomic(file, JSON.stringify(spec) + "\n", { durable: false });
  return { changed: true, mode };
}

/** Requests as fully qualified CDI names: CDI requests as given, others as `<default kind>=<id>`. */
export function cdiNames(requests: readonly DeviceRequest[], defaultKind: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const r of requests) {
    const names = r.cdiDevices?.length ? r.cdiDevices : r.devices.map((d) => `${defaultKind[r.vendor] ?? `${r.vendor}.com/gpu`}=${d}`);
    for (const n of names) if (!out.includes(n)) out.push(n);
  }
  return out;
}
