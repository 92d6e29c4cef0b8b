/**
 * ASCEND_VISIBLE_DEVICES, ASCEND_RUNTIME_OPTIONS, ASCEND_RUNTIME_MOUNTS,
 * ASCEND_ALLOW_LINK, ASCEND_VNPU_SPECS → DeviceRequests, as Huawei's
 * ascend-docker-runtime reads them (runtime/process/process.go,
 * hook/process/process.go), but strict: a value the runtime would reject or
 * silently ignore is an error naming the variable and the bad part, and the
 * device list is sorted and de-duplicated (the original only drops adjacent
 * repeats). Options: "NODRV", "VIRTUAL", "mounts=base,…", "allowLink=True",
 * "deviceType=Ascend910" (named devices), "vnpu=vir04".
 */
import { dedupe, expandRange, parseIndex, splitList } from "../../request/device-list.js";
import { envMap, type RequestInput, type RequestParseResult } from "../../request/types.js";

/** Largest index a range may reach (ascend-docker-runtime's limit). */
export const ascendMaxRangeIndex = 128;
/** The longest ASCEND_RUNTIME_OPTIONS / ASCEND_RUNTIME_MOUNTS value the runtime reads. */
export const ascendMaxValueLength = 128;
export const ascendRuntimeOptions = ["NODRV", "VIRTUAL"] as const;
/** Virtual NPU templates ascend-docker-runtime can create through DCMI. */
export const ascendVnpuSpecs = [
  "vir01", "vir02", "vir04", "vir08", "vir16", "vir02_1c", "vir03_1c_8g", "vir04_3c", "vir04_4c_dvpp",
  "vir04_3c_ndvpp", "vir05_1c_8g", "vir05_1c_16g", "vir06_1c_16g", "vir10_3c_16g", "vir10_3c_16g_nm",
  "vir10_3c_32g", "vir10_4c_16g_m", "vir12_3c_32g",
] as const;

const namedDevice = /^(?:Ascend(910|310B|310P|310)|npu)-(\d+)$/;
const mountListName = /^[a-z0-9_][a-z0-9_.-]*$/;

interface ParsedDevices {
  ids: number[];
  /** "Ascend910" … when the list used named forms with a chip name. */
  deviceType?: string;
  error?: string;
}

/** The ids of an ASCEND_VISIBLE_DEVICES value (comma list of ids, ranges a-b, or names like Ascend910-0). */
export function parseAscendVisibleDevices(value: string): ParsedDevices {
  const items = splitList(value);
  const ids: number[] = [];
  const named = value.includes("Ascend") || value.includes("npu");
  const types = new Set<string>();
  for (const item of items) {
    if (named) {
      const m = namedDevice.exec(item);
      const id = m ? parseIndex(m[2] as string) : undefined;
      if (!m || id === undefined) {
        return { ids: [], error: `"${item}" is not a named NPU (write Ascend910-0, Ascend310P-1, Ascend310B-0, Ascend310-0 or npu-0, and do not mix names with plain ids)` };
      }
      if (m[1] !== undefined) types.add(`Ascend${m[1]}`);
      ids.push(id);
    } else if (/^[\d-]+$/.test(item) && item.includes("-")) {
      const r = expandRange(item, ascendMaxRangeIndex);
      if ("error" in r) return { ids: [], error: r.error };
      ids.push(...r);
    } else {
      const id = parseIndex(item);
      if (id === undefined) {
        const hint = item.toLowerCase() === "all" ? " (ascend-docker-runtime has no \"all\"; list the ids, e.g. 0-7)" : " (write ids like 0,1, ranges like 0-3, or names like Ascend910-0)";
        return { ids: [], error: `"${item}" is not an NPU id${hint}` };
      }
      ids.push(id);
    }
  }
  if (types.size > 1) return { ids: [], error: `the list mixes chip types ${[...types].join(" and ")}; a host has one chip type` };
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  return { ids: sorted, ...(types.size ? { deviceType: [...types][0] } : {}) };
}

export function parseAscendRequests(input: RequestInput): RequestParseResult {
  const env = envMap(input.env);
  const errors: string[] = [];
  const notes: string[] = [];
  const explanation: string[] = [];
  const visible = env.get("ASCEND_VISIBLE_DEVICES");
  const optionVars = ["ASCEND_RUNTIME_OPTIONS", "ASCEND_RUNTIME_MOUNTS", "ASCEND_ALLOW_LINK", "ASCEND_VNPU_SPECS"].filter((v) => env.has(v));

  if (visible === undefined || visible.trim() === "" || visible.trim() === "void") {
    const why = visible === undefined ? "ASCEND_VISIBLE_DEVICES is unset" : `ASCEND_VISIBLE_DEVICES=${visible}`;
    if (visible !== undefined || optionVars.length) {
      notes.push(`${why}, so no Ascend NPU is requested${optionVars.length ? ` (${optionVars.join(", ")} ${optionVars.length > 1 ? "have" : "has"} no effect)` : ""}.`);
    }
    return { requests: [], errors, notes };
  }

  const parsed = parseAscendVisibleDevices(visible);
  if (parsed.error) errors.push(`ASCEND_VISIBLE_DEVICES=${visible}: ${parsed.error}`);
  else if (parsed.ids.length === 0) {
    notes.push(`ASCEND_VISIBLE_DEVICES=${visible} names no device, so no Ascend NPU is requested.`);
    return { requests: [], errors, notes };
  } else {
    const repeated = splitList(visible).length > parsed.ids.length && !visible.includes("-");
    explanation.push(`ASCEND_VISIBLE_DEVICES=${visible}, so NPU${parsed.ids.length > 1 ? "s" : ""} ${parsed.ids.join(", ")} (${parsed.ids.map((i) => `/dev/davinci${i}`).join(", ")}) ${parsed.ids.length > 1 ? "are" : "is"} injected${repeated ? ", sorted and each once" : ""}.`);
    if (parsed.deviceType) explanation.push(`The devices are named as ${parsed.deviceType}, so the host's chip must be an ${parsed.deviceType}.`);
  }

  const options: string[] = [];
  const runtimeOptions = env.get("ASCEND_RUNTIME_OPTIONS");
  if (runtimeOptions !== undefined && runtimeOptions.trim() !== "") {
    if (runtimeOptions.length > ascendMaxValueLength) {
      errors.push(`ASCEND_RUNTIME_OPTIONS is ${runtimeOptions.length} characters long; at most ${ascendMaxValueLength} are allowed`);
    } else {
      const items = splitList(runtimeOptions);
      const bad = items.find((o) => !(ascendRuntimeOptions as readonly string[]).includes(o));
      if (bad !== undefined) errors.push(`ASCEND_RUNTIME_OPTIONS=${runtimeOptions}: unknown option "${bad}" (allowed: ${ascendRuntimeOptions.join(", ")})`);
      else {
        for (const o of ascendRuntimeOptions) if (items.includes(o)) options.push(o);
        if (options.includes("NODRV")) explanation.push("ASCEND_RUNTIME_OPTIONS has NODRV, so no driver files are mounted (device nodes still are).");
        if (options.includes("VIRTUAL")) explanation.push("ASCEND_RUNTIME_OPTIONS has VIRTUAL, so the host's /dev/vdavinciN nodes appear as /dev/davinciN.");
      }
    }
  }

  const mountsValue = env.get("ASCEND_RUNTIME_MOUNTS");
  let mountLists = ["base"];
  if (mountsValue !== undefined && mountsValue.trim() !== "") {
    if (mountsValue.length > ascendMaxValueLength) {
      errors.push(`ASCEND_RUNTIME_MOUNTS is ${mountsValue.length} characters long; at most ${ascendMaxValueLength} are allowed`);
    } else {
      const names = splitList(mountsValue).map((n) => n.toLowerCase());
      const bad = names.find((n) => !mountListName.test(n) || n.includes(".."));
      if (bad !== undefined) {
        errors.push(`ASCEND_RUNTIME_MOUNTS=${mountsValue}: "${bad}" is not a mount list name (a file-name stem of /etc/ascend-docker-runtime.d/NAME.list: letters, digits, "_", "-", ".", no "/" or "..")`);
      } else if (names.length) {
        mountLists = dedupe(names).unique;
      }
    }
  }
  options.push(`mounts=${mountLists.join(",")}`);
  explanation.push(`${mountsValue === undefined || mountsValue.trim() === "" ? "ASCEND_RUNTIME_MOUNTS is unset, so the" : `ASCEND_RUNTIME_MOUNTS=${mountsValue}, so the`} files listed in ${mountLists.map((n) => `/etc/ascend-docker-runtime.d/${n}.list`).join(", ")} are mounted${options.includes("NODRV") ? " (but NODRV skips them)" : ""}.`);

  const allowLink = env.get("ASCEND_ALLOW_LINK");
  if (allowLink !== undefined && allowLink !== "") {
    if (allowLink.toLowerCase() === "true") {
      options.push("allowLink=True");
      explanation.push(`ASCEND_ALLOW_LINK=${allowLink}, so mount sources that are symbolic links are allowed.`);
    } else if (allowLink.toLowerCase() !== "false") {
      errors.push(`ASCEND_ALLOW_LINK=${allowLink}: expected True or False`);
    }
  }

  if (parsed.deviceType) options.push(`deviceType=${parsed.deviceType}`);

  const vnpu = env.get("ASCEND_VNPU_SPECS");
  if (vnpu !== undefined && vnpu !== "") {
    if (!(ascendVnpuSpecs as readonly string[]).includes(vnpu)) {
      errors.push(`ASCEND_VNPU_SPECS=${vnpu}: unknown virtual NPU template (allowed: ${ascendVnpuSpecs.join(", ")})`);
    } else if (parsed.ids.length !== 1 || (parsed.ids[0] ?? 0) >= 256) {
      errors.push(`ASCEND_VNPU_SPECS=${vnpu} needs exactly one device below 256 in ASCEND_VISIBLE_DEVICES (it has ${parsed.ids.length})`);
    } else {
      options.push(`vnpu=${vnpu}`);
      explanation.push(`ASCEND_VNPU_SPECS=${vnpu}, so a virtual NPU of that template is carved out of NPU ${parsed.ids[0]}.`);
    }
  }

  if (errors.length) return { requests: [], errors, notes };
  return {
    requests: [{
      vendor: "ascend",
      source: "env",
      devices: parsed.ids.map(String),
      capabilities: [],
      requirements: [],
      migConfigDevices: null,
      migMonitorDevices: null,
      options,
      explanation,
    }],
    errors,
    notes,
  };
}
