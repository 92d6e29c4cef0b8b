/**
 * NVIDIA_VISIBLE_DEVICES & friends → vendor-neutral DeviceRequests, with the
 * exact precedence and quirks of the NVIDIA Container Toolkit
 * (internal/config/image, the runtime hook's container_config.go):
 * volume mounts (when accepted) → swarm resource vars → NVIDIA_VISIBLE_DEVICES,
 * the legacy-CUDA-image rule, driver capabilities checked against the supported
 * set, NVIDIA_REQUIRE_* constraints, MIG config/monitor (privileged only) and
 * IMEX channels. Pure: every decision is one sentence in `explanation`.
 * CDI annotations are read by the shared parser (src/request/cdi-annotations.ts).
 */
import { posix } from "node:path";
import { isActkError } from "../../core/errors.js";
import { dedupe, splitList } from "../../request/device-list.js";
import { isQualifiedName, parseQualifiedName } from "../../request/qualified-name.js";
import { parseRequirement } from "../../request/requirements.js";
import { envMap, type DeviceRequest, type RequestInput, type RequestParseResult, type RequestSource } from "../../request/types.js";

/** The NVIDIA settings request parsing depends on; the [plugins."actk.vendor.v1".nvidia] config section. */
export interface NvidiaRequestOptions {
  /** accept-nvidia-visible-devices-envvar-when-unprivileged */
  acceptEnvvarUnprivileged: boolean;
  /** accept-nvidia-visible-devices-as-volume-mounts */
  acceptDeviceListAsVolumeMounts: boolean;
  /** supported-driver-capabilities */
  supportedDriverCapabilities: string[];
  /** disable-require */
  disableRequire: boolean;
  /** swarm-resource: env var names (e.g. DOCKER_RESOURCE_GPU) that carry a device list */
  swarmResource: string[];
}

export const defaultNvidiaRequestOptions: NvidiaRequestOptions = {
  acceptEnvvarUnprivileged: true,
  acceptDeviceListAsVolumeMounts: false,
  supportedDriverCapabilities: ["compat32", "compute", "display", "graphics", "ngx", "utility", "video"],
  disableRequire: false,
  swarmResource: [],
};

/** The seven driver capabilities NVIDIA knows, sorted. */
export const nvidiaDriverCapabilities = ["compat32", "compute", "display", "graphics", "ngx", "utility", "video"] as const;
/** What a container gets when it does not say (NVIDIA's default "utility,compute"). */
export const defaultDriverCapabilities = ["compute", "utility"] as const;
/** Mounts from /dev/null to paths under this directory are device requests (accept-…-as-volume-mounts). */
export const deviceListMountRoot = "/var/run/nvidia-container-devices";

/** Env vars that turn on NVIDIA's gated CDI modes (value exactly "enabled") → the request option. */
export const gatedFeatures: readonly (readonly [string, string])[] = [
  ["NVIDIA_GDS", "gds"], ["NVIDIA_MOFED", "mofed"], ["NVIDIA_GDRCOPY", "gdrcopy"], ["NVIDIA_NVSWITCH", "nvswitch"],
];
const visibleDevicesVar = "NVIDIA_VISIBLE_DEVICES";
const capabilitiesVar = "NVIDIA_DRIVER_CAPABILITIES";
const imexVar = "NVIDIA_IMEX_CHANNELS";
const deviceIdPattern = /^[A-Za-z0-9][A-Za-z0-9:._/-]*$/;
const semverPattern = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)?)?$/;

/** Go's strconv.ParseBool; undefined for anything else. */
function parseGoBool(v: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  return undefined;
}

function cleanPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, "") : n;
}

/** A legacy CUDA image sets CUDA_VERSION but not NVIDIA_REQUIRE_CUDA; it gets every GPU and capability by default. */
export function isLegacyCudaImage(env: ReadonlyMap<string, string>): boolean {
  return (env.get("CUDA_VERSION") ?? "") !== "" && (env.get("NVIDIA_REQUIRE_CUDA") ?? "") === "";
}

interface MountRequests {
  devices: string[];
  imex: string[];
  /** Mount paths that were not usable, one sentence each. */
  skipped: string[];
  /** True when at least one mount points into the device-list directory. */
  any: boolean;
}

/** Device and IMEX requests made as /dev/null mounts under /var/run/nvidia-container-devices, in spec order. */
export function deviceRequestsFromMounts(mounts: RequestInput["mounts"]): MountRequests {
  const out: MountRequests = { devices: [], imex: [], skipped: [], any: false };
  const seen = new Set<string>();
  for (const m of mounts) {
    if (m.source === undefined || cleanPath(m.source) !== "/dev/null") continue;
    const dest = cleanPath(m.destination);
    if (!dest.startsWith(deviceListMountRoot + "/")) continue;
    out.any = true;
    if (seen.has(dest)) continue;
    seen.add(dest);
    const rest = dest.slice(deviceListMountRoot.length).replace(/^\/+|\/+$/g, "");
    if (rest === "") continue;
    if (rest.startsWith("imex/")) {
      const id = rest.slice("imex/".length);
      if (id !== "") out.imex.push(id);
      continue;
    }
    if (rest.startsWith("cdi/")) {
      const r = rest.slice("cdi/".length);
      const parts = r.split("/");
      const name = parts.length === 3 ? `${parts[0]}/${parts[1]}=${parts[2]}` : r;
      if (isQualifiedName(name)) out.devices.push(name);
      else out.skipped.push(`The mount ${m.destination} is not a CDI device name (cdi/VENDOR/CLASS/NAME), so it is skipped.`);
      continue;
    }
    out.devices.push(rest);
  }
  return out;
}

type VisibleDevices = { kind: "all" } | { kind: "none" } | { kind: "void" } | { kind: "list"; ids: string[] };

/** NVIDIA's NewVisibleDevices: the first special token decides ("0,all" is all, "none,all" is none). */
function classifyTokens(tokens: readonly string[]): VisibleDevices {
  for (const t of tokens) {
    if (t === "all") return { kind: "all" };
    if (t === "none") return { kind: "none" };
    if (t === "" || t === "void") return { kind: "void" };
  }
  return { kind: "list", ids: [...tokens] };
}

function describeDevices(ids: readonly string[]): string {
  return ids.length === 1 ? `GPU ${ids[0]} is` : `GPUs ${ids.join(", ")} are`;
}

export function parseNvidiaRequests(input: RequestInput, opts: NvidiaRequestOptions = defaultNvidiaRequestOptions): RequestParseResult {
  const env = envMap(input.env);
  const explanation: string[] = [];
  const errors: string[] = [];
  const notes: string[] = [];
  const legacy = isLegacyCudaImage(env);
  const envAccepted = input.privileged || opts.acceptEnvvarUnprivileged;

  // --- Devices: volume mounts (when accepted) win over env vars. ---
  const mounts = deviceRequestsFromMounts(input.mounts);
  let selection: VisibleDevices = { kind: "void" };
  let source: RequestSource = "env";
  let decided = false;
  if (mounts.any && !opts.acceptDeviceListAsVolumeMounts) {
    notes.push(`Mounts under ${deviceListMountRoot} are ignored because accept-nvidia-visible-devices-as-volume-mounts is false.`);
  }
  if (opts.acceptDeviceListAsVolumeMounts) {
    notes.push(...mounts.skipped);
    if (mounts.devices.length) {
      selection = classifyTokens(mounts.devices);
      source = "mounts";
      decided = true;
      explanation.push(`The container mounts /dev/null at ${deviceListMountRoot}/{${mounts.devices.join(",")}} and volume-mount device lists are accepted, so the list comes from those mounts (no privilege needed) and NVIDIA_VISIBLE_DEVICES is not read.`);
    }
  }

  if (!decided) {
    const swarm = opts.swarmResource.filter((v) => env.has(v));
    const vars = swarm.length ? swarm : [visibleDevicesVar];
    const tokens: string[] = [];
    let isSet = false;
    for (const v of vars) {
      const value = env.get(v);
      if (value === undefined) continue;
      isSet = true;
      tokens.push(...splitList(value));
    }
    const shown = vars.map((v) => (env.has(v) ? `${v}=${env.get(v)}` : `${v} is unset`)).join(", ");
    if (swarm.length) explanation.push(`The swarm resource variable${swarm.length > 1 ? "s" : ""} ${swarm.join(", ")} ${swarm.length > 1 ? "are" : "is"} set, so ${visibleDevicesVar} is not read.`);
    if (!isSet && tokens.length === 0 && legacy) {
      selection = { kind: "all" };
      explanation.push(`${visibleDevicesVar} is unset and the image is a legacy CUDA image (CUDA_VERSION=${env.get("CUDA_VERSION")} without NVIDIA_REQUIRE_CUDA), so every GPU is injected.`);
    } else if (tokens.length === 0) {
      selection = { kind: "void" };
      notes.push(isSet ? `${shown}: the value is empty, so no GPU is requested.` : `${visibleDevicesVar} is unset, so no NVIDIA GPU is requested.`);
    } else if (tokens.includes("void")) {
      selection = { kind: "void" };
      notes.push(`${shown}: "void" means no NVIDIA GPU and no driver files; the container runs as with plain runc.`);
    } else {
      selection = classifyTokens(tokens);
      if (selection.kind === "all") explanation.push(`${shown}, so every GPU is injected.`);
      else if (selection.kind === "none") explanation.push(`${shown}, so no GPU is injected but the driver files for the capabilities are.`);
      else if (selection.kind === "list") explanation.push(`${shown}, so ${describeDevices(dedupe(selection.ids).unique)} injected.`);
    }
    if (selection.kind !== "void" && !envAccepted) {
      notes.push(`Ignoring devices requested by environment variable(s) in an unprivileged container (${shown}): accept-nvidia-visible-devices-envvar-when-unprivileged is false; run privileged or request the devices as volume mounts or CDI annotations.`);
      selection = { kind: "void" };
      explanation.length = 0;
    }
  }

  // --- IMEX channels: mounts win (when accepted); "all" from the env is discarded, as NVIDIA does. ---
  let imex: string[] = [];
  if (opts.acceptDeviceListAsVolumeMounts && mounts.imex.length) {
    imex = dedupe(mounts.imex).unique;
    explanation.push(`The container mounts /dev/null at ${deviceListMountRoot}/imex/{${imex.join(",")}}, so IMEX channel${imex.length > 1 ? "s" : ""} ${imex.join(", ")} ${imex.length > 1 ? "are" : "is"} requested.`);
  } else if (env.has(imexVar)) {
    const raw = env.get(imexVar) ?? "";
    const tokens = splitList(raw);
    const sel = tokens.length === 0 || tokens.includes("void") ? ({ kind: "void" } as VisibleDevices) : classifyTokens(tokens);
    if (!envAccepted && sel.kind !== "void") {
      notes.push(`${imexVar}=${raw} is ignored in an unprivileged container (accept-nvidia-visible-devices-envvar-when-unprivileged is false).`);
    } else if (sel.kind === "all") {
      notes.push(`${imexVar}=${raw}: "all" is discarded (as NVIDIA does, so images that never asked get no channels); list the channel ids instead.`);
    } else if (sel.kind === "none" || sel.kind === "void") {
      notes.push(`${imexVar}=${raw}, so no IMEX channel is requested.`);
    } else if (sel.kind === "list") {
      const bad = sel.ids.filter((id) => !/^\d+$/.test(id));
      if (bad.length) errors.push(`${imexVar}=${raw}: "${bad[0]}" is not an IMEX channel id (a number such as 0)`);
      else {
        imex = dedupe(sel.ids).unique;
        explanation.push(`${imexVar}=${raw}, so IMEX channel${imex.length > 1 ? "s" : ""} ${imex.join(", ")} ${imex.length > 1 ? "are" : "is"} requested.`);
      }
    }
  }

  if (selection.kind === "void") {
    if (imex.length) notes.push(`IMEX channels ${imex.join(", ")} are requested without any GPU, so they are ignored.`);
    return { requests: [], errors, notes };
  }

  // --- Device ids ---
  let devices: string[] = [];
  const cdiDevices: string[] = [];
  if (selection.kind === "all") devices = ["all"];
  else if (selection.kind === "list") {
    const { unique, repeated } = dedupe(selection.ids);
    if (repeated.length) explanation.push(`${repeated.join(", ")} ${repeated.length > 1 ? "are" : "is"} listed more than once and injected once.`);
    const place = source === "mounts" ? deviceListMountRoot : visibleDevicesVar;
    for (const id of unique) {
      if (id.includes("=")) {
        const q = parseQualifiedName(id);
        if ("error" in q) errors.push(`${place}: ${q.error}`);
        else cdiDevices.push(id);
      } else if (!deviceIdPattern.test(id)) {
        errors.push(`${place}: "${id}" is not a GPU id (an index like 0, a MIG index like 0:1, a GPU-… or MIG-… UUID, or a CDI name vendor.com/class=name)`);
      }
    }
    devices = unique;
    if (cdiDevices.length) explanation.push(`${cdiDevices.join(", ")} ${cdiDevices.length > 1 ? "are CDI device names; they are" : "is a CDI device name; it is"} resolved from the CDI specs.`);
  }

  // --- Driver capabilities ---
  const supportedAll = opts.supportedDriverCapabilities.includes("all");
  const supported: string[] = nvidiaDriverCapabilities.filter((c) => supportedAll || opts.supportedDriverCapabilities.includes(c));
  const rawCaps = env.get(capabilitiesVar);
  const capTokens = rawCaps === undefined ? [] : splitList(rawCaps);
  let capabilities: string[] = [];
  if (rawCaps === undefined && legacy) {
    capabilities = [...supported];
    explanation.push(`${capabilitiesVar} is unset in a legacy CUDA image, so every supported capability is enabled: ${capabilities.join(", ")}.`);
  } else if (capTokens.length === 0) {
    capabilities = defaultDriverCapabilities.filter((c) => supported.includes(c));
    explanation.push(`${capabilitiesVar} is ${rawCaps === undefined ? "unset" : "empty"}, so the default capabilities are enabled: ${capabilities.join(", ") || "none (the supported set has neither)"}.`);
  } else if (capTokens.includes("all")) {
    capabilities = [...supported];
    explanation.push(`${capabilitiesVar}=${rawCaps}, so every supported capability is enabled: ${capabilities.join(", ")}.`);
  } else {
    const unknown = capTokens.filter((c) => !(nvidiaDriverCapabilities as readonly string[]).includes(c));
    const unsupported = capTokens.filter((c) => !unknown.includes(c) && !supported.includes(c));
    if (unknown.length) {
      errors.push(`${capabilitiesVar}=${rawCaps}: unknown driver capability "${unknown[0]}" (known: ${nvidiaDriverCapabilities.join(", ")}, all)`);
    } else if (unsupported.length) {
      errors.push(`${capabilitiesVar}=${rawCaps}: unsupported capability "${unsupported[0]}" (this host allows ${supported.join(", ")}; see supported-driver-capabilities)`);
    } else {
      capabilities = dedupe(capTokens).unique.sort();
      explanation.push(`${capabilitiesVar}=${rawCaps}, so the driver files for ${capabilities.join(", ")} are injected.`);
    }
  }

  // --- Requirements ---
  const requirements: string[] = [];
  const disableVar = env.get("NVIDIA_DISABLE_REQUIRE");
  const disabledByEnv = disableVar !== undefined && parseGoBool(disableVar) === true;
  if (disableVar !== undefined && parseGoBool(disableVar) === undefined) {
    notes.push(`NVIDIA_DISABLE_REQUIRE=${disableVar} is not a boolean (true/false/1/0), so requirements are checked.`);
  }
  if (opts.disableRequire || disabledByEnv) {
    explanation.push(opts.disableRequire ? "disable-require is set in the config, so NVIDIA_REQUIRE_* constraints are not checked." : `NVIDIA_DISABLE_REQUIRE=${disableVar}, so NVIDIA_REQUIRE_* constraints are not checked.`);
  } else {
    const names = [...env.keys()].filter((k) => k.startsWith("NVIDIA_REQUIRE_") && !k.startsWith("NVIDIA_REQUIRE_JETPACK")).sort();
    for (const name of names) {
      const value = env.get(name) ?? "";
      if (value.trim() === "") continue;
      try {
        const expr = parseRequirement(value, name);
        requirements.push(value);
        const alternatives = expr.alternatives.map((a) => a.map((f) => f.text).join(" and "));
        explanation.push(`${name}=${value}: the host must satisfy ${alternatives.length > 1 ? `one of (${alternatives.join(") or (")})` : alternatives[0] ?? "nothing known"}.`);
        if (expr.ignored.length) notes.push(`${name}: ${expr.ignored.join(", ")} ${expr.ignored.length > 1 ? "name properties" : "names a property"} NVIDIA does not know, so ${expr.ignored.length > 1 ? "they are" : "it is"} skipped.`);
      } catch (e) {
        if (!isActkError(e)) throw e;
        errors.push(`${name}: ${e.message}`);
      }
    }
    if (legacy) {
      const cudaVersion = env.get("CUDA_VERSION") ?? "";
      const m = semverPattern.exec(cudaVersion);
      if (!m) {
        errors.push(`CUDA_VERSION=${cudaVersion}: invalid CUDA version (expected MAJOR[.MINOR[.PATCH]], e.g. 12.2.0)`);
      } else {
        const req = `cuda>=${m[1]}.${m[2] ?? "0"}`;
        requirements.push(req);
        explanation.push(`The image is a legacy CUDA image (CUDA_VERSION=${cudaVersion}), so it also requires ${req}.`);
      }
    }
  }

  // --- MIG config / monitor: hook-only, privileged only ---
  const mig = (name: string): string[] | null => {
    const value = env.get(name);
    if (value === undefined || value === "") return null;
    if (!input.privileged) {
      errors.push(`${name}=${value}: cannot set ${name} in an unprivileged container (run it privileged, or unset the variable)`);
      return null;
    }
    const list = splitList(value);
    explanation.push(`${name}=${value} in a privileged container, so MIG ${name.includes("CONFIG") ? "configuration" : "monitoring"} is allowed for ${list.join(", ") || "nothing"}.`);
    return list;
  };
  const migConfigDevices = mig("NVIDIA_MIG_CONFIG_DEVICES");
  const migMonitorDevices = mig("NVIDIA_MIG_MONITOR_DEVICES");

  if (errors.length) return { requests: [], errors, notes };
  const options = imex.length ? [`imexChannels=${imex.join(",")}`] : [];
  // NVIDIA's runtime adds these feature modes only for the exact value "enabled".
  for (const [name, option] of gatedFeatures) {
    const value = env.get(name);
    if (value === "enabled") {
      options.push(option);
      explanation.push(`${name}=enabled, so the ${option} files and devices are added as well.`);
    } else if (value !== undefined && value !== "") {
      notes.push(`${name}=${value} has no effect; only the value "enabled" turns it on.`);
    }
  }
  const request: DeviceRequest = {
    vendor: "nvidia",
    source,
    devices,
    capabilities,
    requirements,
    migConfigDevices,
    migMonitorDevices,
    options,
    ...(cdiDevices.length ? { cdiDevices } : {}),
    explanation,
  };
  return { requests: [request], errors, notes };
}
