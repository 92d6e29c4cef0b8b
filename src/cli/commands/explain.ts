import { ActkError, ExitCode } from "../../core/errors.js";
import { PluginType } from "../../core/registry.js";
import { resolveContainerEdits, type ResolvedRequest } from "../../edits/resolve.js";
import { readBundleRequestInput } from "../../request/bundle-config.js";
import { parseRequests } from "../../request/parse-requests.js";
import type { DeviceRequest, RequestInput } from "../../request/types.js";
import type { Command } from "../command.js";
import { unavailablePluginError } from "../context.js";

function keyValues(values: string[], flag: string): [string, string][] {
  return values.map((kv) => {
    const i = kv.indexOf("=");
    if (i <= 0) {
      throw new ActkError(`--${flag} "${kv}" is not KEY=VALUE`, {
        place: `--${flag}`,
        exitCode: ExitCode.usage,
        fix: `write --${flag} KEY=VALUE, e.g. --${flag} ${flag === "env" ? "NVIDIA_VISIBLE_DEVICES=0" : "cdi.k8s.io/gpu=nvidia.com/gpu=0"}`,
      });
    }
    return [kv.slice(0, i), kv.slice(i + 1)];
  });
}

/** The JSON shape of one request: these keys, in this order; cdiDevices only when the request names CDI devices. */
export function requestJson(r: DeviceRequest): Record<string, unknown> {
  return {
    vendor: r.vendor,
    source: r.source,
    devices: r.devices,
    capabilities: r.capabilities,
    requirements: r.requirements,
    migConfigDevices: r.migConfigDevices,
    migMonitorDevices: r.migMonitorDevices,
    options: r.options,
    ...(r.cdiDevices?.length ? { cdiDevices: r.cdiDevices } : {}),
  };
}

/** What a request selected on this host, one entry per device. */
function hostDevicesJson(resolved: ResolvedRequest | undefined): Record<string, unknown>[] | undefined {
  return resolved?.devices.map((d) => ({
    kind: d.kind, index: d.index, ...(d.uuid ? { uuid: d.uuid } : {}), ...(d.model ? { model: d.model } : {}),
    deviceNodes: d.deviceNodes.map((n) => n.path),
  }));
}

function describe(r: DeviceRequest, resolved: ResolvedRequest | undefined): string {
  const devices = r.devices.length === 0 ? "no devices (driver files only)" : r.devices.join(", ");
  const lines = [`${r.vendor} (from ${r.source}): ${devices}`];
  if (resolved?.devices.length) {
    lines.push(`  on this host: ${resolved.devices.map((d) => `${d.kind}=${d.index}${d.uuid ? ` (${d.uuid})` : ""} ${d.deviceNodes.map((n) => n.path).join(" ")}`.trim()).join("; ")}`);
  }
  if (r.capabilities.length) lines.push(`  capabilities: ${r.capabilities.join(", ")}`);
  if (r.requirements.length) lines.push(`  requirements: ${r.requirements.join("; ")}`);
  if (r.options.length) lines.push(`  options: ${r.options.join(" ")}`);
  for (const e of r.explanation) lines.push(`  - ${e}`);
  return lines.join("\n");
}

export const explainCommand: Command = {
  name: "explain",
  summary: "Explain which devices, capabilities and requirements a container asks for",
  description: `
Reads what a container asks for (env vars such as NVIDIA_VISIBLE_DEVICES, ASCEND_VISIBLE_DEVICES,
AMD_VISIBLE_DEVICES, volume-mount device lists, CDI annotations) the way actk-runtime and actk-hook
do, and says in one sentence per decision what it gets; then checks the requests against this host's
devices (--host-root for a simulated one) as actk-runtime would at container start, and names the
devices each request gets. Nothing is changed and no device is opened.
Give either an OCI bundle (--bundle DIR, its config.json is read) or the inputs directly; --env and
--annotation add to (and override) what the bundle has. A container that asks for nothing is
listed with no request. An invalid request, a device the host does not have or an unmet requirement
(NVIDIA_REQUIRE_*) is reported under errors and exits 1. --no-host explains the request alone
(on a machine without the devices).
See docs/requests.md for every variable and rule.`,
  options: {
    bundle: { type: "string", valueName: "DIR", description: "OCI bundle directory whose config.json to read" },
    env: { type: "string", multiple: true, valueName: "KEY=VALUE", description: "a process.env entry; the last of repeated keys wins" },
    annotation: { type: "string", multiple: true, valueName: "KEY=VALUE", description: "an OCI annotation (e.g. cdi.k8s.io/gpu=nvidia.com/gpu=0)" },
    privileged: { type: "boolean", description: "treat the container as privileged (CAP_SYS_ADMIN in the bounding set)" },
    "no-host": { type: "boolean", description: "do not check the requests against this host's devices" },
  },
  examples: [
    "actk explain --env NVIDIA_VISIBLE_DEVICES=0,1 --env NVIDIA_DRIVER_CAPABILITIES=compute,utility",
    "actk explain --env ASCEND_VISIBLE_DEVICES=0-3 --env ASCEND_RUNTIME_OPTIONS=NODRV",
    "actk explain --annotation cdi.k8s.io/gpu=nvidia.com/gpu=0 --json",
    "actk explain --bundle /run/containerd/io.containerd.runtime.v2.task/default/web",
  ],
  run({ values, ctx, out }) {
    const bundle = values.bundle as string | undefined;
    const env = keyValues((values.env as string[] | undefined) ?? [], "env");
    const annotations = keyValues((values.annotation as string[] | undefined) ?? [], "annotation");
    if (bundle === undefined && env.length === 0 && annotations.length === 0) {
      throw new ActkError("nothing to explain", {
        exitCode: ExitCode.usage,
        fix: "give --bundle DIR, or the container's inputs with --env KEY=VALUE / --annotation KEY=VALUE",
      });
    }
    const base: RequestInput = bundle !== undefined
      ? readBundleRequestInput(bundle)
      : { env: [], mounts: [], annotations: {}, privileged: false };
    const input: RequestInput = {
      env: [...base.env, ...env.map(([k, v]) => `${k}=${v}`)],
      mounts: base.mounts,
      annotations: { ...base.annotations, ...Object.fromEntries(annotations) },
      privileged: base.privileged || Boolean(values.privileged),
    };

    const vendors = ctx.vendors();
    // Its requests would read as "asks for no accelerator": stop instead (docs/config.md: exit 4).
    const failed = ctx.plugins.records.find((r) => r.type === PluginType.vendor && r.status === "error");
    if (failed) throw unavailablePluginError(`the ${failed.id} vendor plugin`, failed);
    const { config } = ctx.loadedConfig;
    const result = parseRequests(input, vendors, { annotationPrefixes: config.cdi.annotationPrefixes });
    const errors = [...result.errors];
    // Against the host, as actk-runtime resolves them at container start (only when the requests parse:
    // the parse errors are already the whole story).
    let onHost: ResolvedRequest[] | undefined;
    if (!values["no-host"] && result.requests.length && result.errors.length === 0) {
      const resolved = resolveContainerEdits(input, vendors, {
        hookPath: config.hook.path, annotationPrefixes: config.cdi.annotationPrefixes, parsed: result, logger: ctx.logger,
      });
      onHost = resolved.requests;
      errors.push(...resolved.errors.map((e) => e.format()));
    }
    const resolvedOf = (r: DeviceRequest): ResolvedRequest | undefined => onHost?.find((x) => x.request === r);

    out.data({
      requests: result.requests.map((r) => ({ ...requestJson(r), ...(onHost ? { hostDevices: hostDevicesJson(resolvedOf(r)) ?? null } : {}) })),
      errors,
      checkedOnHost: onHost !== undefined,
    }, () => {
      const parts: string[] = [];
      if (result.requests.length === 0 && errors.length === 0) parts.push("The container asks for no accelerator.");
      for (const r of result.requests) parts.push(describe(r, resolvedOf(r)));
      if (result.notes.length) parts.push(["Notes:", ...result.notes.map((n) => `  - ${n}`)].join("\n"));
      if (errors.length) parts.push(["Errors:", ...errors.map((e) => `  - ${e}`)].join("\n"));
      return parts.join("\n\n");
    });
    return errors.length ? ExitCode.failed : ExitCode.ok;
  },
};
