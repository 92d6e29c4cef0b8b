import { ActkError, ExitCode } from "../../core/errors.js";
import { PluginType } from "../../core/registry.js";
import { readBundleRequestInput } from "../../request/bundle-config.js";
import { parseRequests } from "../../request/parse-requests.js";
import type { DeviceRequest, RequestInput } from "../../request/types.js";
import type { Command } from "../command.js";

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

function describe(r: DeviceRequest): string {
  const devices = r.devices.length === 0 ? "no devices (driver files only)" : r.devices.join(", ");
  const lines = [`${r.vendor} (from ${r.source}): ${devices}`];
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
do, and says in one sentence per decision what it gets. Nothing is changed and no device is touched.
Give either an OCI bundle (--bundle DIR, its config.json is read) or the inputs directly; --env and
--annotation add to (and override) what the bundle has. A container that asks for nothing is
listed with no request. An invalid request is reported under errors and exits 1.
See docs/requests.md for every variable and rule.`,
  options: {
    bundle: { type: "string", valueName: "DIR", description: "OCI bundle directory whose config.json to read" },
    env: { type: "string", multiple: true, valueName: "KEY=VALUE", description: "a process.env entry; the last of repeated keys wins" },
    annotation: { type: "string", multiple: true, valueName: "KEY=VALUE", description: "an OCI annotation (e.g. cdi.k8s.io/gpu=nvidia.com/gpu=0)" },
    privileged: { type: "boolean", description: "treat the container as privileged (CAP_SYS_ADMIN in the bounding set)" },
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
    for (const r of ctx.plugins.records) {
      if (r.type === PluginType.vendor && r.status !== "ok") {
        out.warn(`vendor ${r.id} is not available (${r.error ?? r.status}), so its requests are not explained`);
      }
    }
    const result = parseRequests(input, vendors, { annotationPrefixes: ctx.loadedConfig.config.cdi.annotationPrefixes });

    out.data({ requests: result.requests.map(requestJson), errors: result.errors }, () => {
      const parts: string[] = [];
      if (result.requests.length === 0 && result.errors.length === 0) parts.push("The container asks for no accelerator.");
      for (const r of result.requests) parts.push(describe(r));
      if (result.notes.length) parts.push(["Notes:", ...result.notes.map((n) => `  - ${n}`)].join("\n"));
      if (result.errors.length) parts.push(["Errors:", ...result.errors.map((e) => `  - ${e}`)].join("\n"));
      return parts.join("\n\n");
    });
    return result.errors.length ? ExitCode.failed : ExitCode.ok;
  },
};
