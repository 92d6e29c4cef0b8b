/**
 * `prestart`: the legacy-hook path (Docker's --gpus, an OCI hooks.d entry, or
 * actk-runtime in legacy mode). Resolves the container's request exactly as
 * actk-runtime does (resolveContainerEdits over the registry's vendors), then
 * injects the edits into the created-but-not-started container, and runs the
 * helper hooks the vendors' edits ask for (symlinks, CUDA compat, ldcache)
 * in-process on the same container.
 */
import path from "node:path";
import { ActkError, ExitCode } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { PluginType } from "../core/registry.js";
import { editedAnnotation } from "../apply/oci-spec.js";
import type { ActkConfig } from "../config/types.js";
import type { Hook } from "../edits/container-edits.js";
import { requireResolved, resolveContainerEdits } from "../edits/resolve.js";
import type { HostRoot } from "../host/host-root.js";
import { createRegistry } from "../plugins.js";
import { requestInputFromOciSpec } from "../request/oci-input.js";
import type { Vendor } from "../vendors/vendor.js";
import type { Container } from "./container.js";
import { injectEdits, stepError, type InjectReport, type InjectTools } from "./inject.js";

export interface PrestartOptions {
  container: Container;
  host: HostRoot;
  config: ActkConfig;
  logger: Logger;
  /** Runs one helper hook (argv after the program name) against the same container. */
  runHelper(args: string[]): void;
  /** For tests: the tools to run instead of looking them up. */
  tools?: InjectTools;
}

export interface PrestartResult {
  /** Why nothing was done, when nothing was. */
  skipped?: string;
  devices: string[];
  report?: InjectReport;
  helpers: string[][];
}

export function vendorsFor(host: HostRoot, config: ActkConfig, logger: Logger): Vendor[] {
  const plugins = createRegistry(host).init({
    logger,
    configFor: (reg) => {
      const section = config.plugins[`${reg.type.split(".")[1]}.${reg.id}`];
      return section && typeof reg.config === "object" ? { ...(reg.config as object), ...section } : reg.config;
    },
  });
  for (const r of plugins.records) {
    if (r.type === PluginType.vendor && r.status !== "ok") logger.debug(`vendor ${r.id} unavailable`, { error: r.error });
  }
  return plugins.all<Vendor>(PluginType.vendor);
}

/** Program names whose hooks the prestart hook runs itself: its own helpers under any of its names. */
const helperNames = new Set(["actk-hook", "nvidia-cdi-hook", "nvidia-ctk"]);

/** The helper argv of a vendor hook, or undefined for a hook the prestart hook does not run. */
export function helperArgs(h: Hook): string[] | undefined {
  if (!helperNames.has(path.basename(h.path))) return undefined;
  const args = (h.args ?? []).slice(1);
  if (path.basename(h.path) === "nvidia-ctk" && args[0] === "hook") args.shift();
  return args.length ? args : undefined;
}

export function prestart(opts: PrestartOptions): PrestartResult {
  const { container, logger } = opts;
  const result: PrestartResult = { devices: [], helpers: [] };
  const edited = (container.spec.annotations as Record<string, unknown> | undefined)?.[editedAnnotation];
  if (typeof edited === "string" && edited !== "legacy") {
    // actk-runtime already put the devices into the spec (jit/cdi): injecting again would double them.
    result.skipped = `the spec was already edited by actk-runtime (mode ${edited})`;
    return result;
  }
  let input;
  try {
    input = requestInputFromOciSpec(container.spec, container.specFile);
  } catch (e) {
    throw stepError("read request", e);
  }
  const vendors = vendorsFor(opts.host, opts.config, logger);
  let resolved;
  try {
    resolved = requireResolved(resolveContainerEdits(input, vendors, { hookPath: opts.config.hook.path, logger }), logger);
  } catch (e) {
    throw stepError("resolve request", e);
  }
  if (resolved.requests.length === 0) {
    result.skipped = "the container asks for no device";
    return result;
  }
  result.devices = resolved.requests.flatMap((r) => r.devices.map((d) => `${d.kind}=${d.index}`));
  if (container.state.pid === undefined) {
    throw stepError("read state", new ActkError("the OCI state has no pid; prestart needs the container's process", { place: "stdin: pid", exitCode: ExitCode.badInput }));
  }
  result.report = injectEdits(container, resolved.edits, opts.host, logger, opts.tools);
  for (const n of result.report.notApplied) logger.warn(`not applied at prestart: ${n}`);
  for (const h of resolved.edits.hooks ?? []) {
    const args = helperArgs(h);
    if (!args) {
      logger.warn("skipping a hook the prestart hook cannot run", { path: h.path, hookName: h.hookName });
      continue;
    }
    try {
      opts.runHelper(args);
    } catch (e) {
      throw stepError(args[0] as string, e);
    }
    result.helpers.push(args);
  }
  logger.info("prestart injected devices", { id: container.state.id, devices: result.devices, nodes: result.report.deviceNodes, mounts: result.report.mounts });
  return result;
}
