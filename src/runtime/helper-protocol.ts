/**
 * The line the sh launcher (launcher.sh) writes to the runtime helper's FIFO,
 * and how the helper reads it. One request per line, fields separated by tabs
 * (the launcher never sends a value holding a tab or a newline, and keeps the
 * line under PIPE_BUF so concurrent launchers' writes never interleave).
 * The helper answers by signal to the launcher's pid: SIGUSR1 (config.json is
 * edited: exec the low-level runtime) or SIGUSR2 (do it yourself: the JS part
 * runs as without a helper, and reports any error itself).
 *
 * Keep in step with launcher.sh; docs/runtime.md "Runtime helper".
 */

export const HELPER_PROTOCOL = "actk-helper-1";

/** Where the helper listens unless ACTK_RUNTIME_HELPER names another directory (or `off`). */
export const defaultHelperDir = "/run/actk/runtime-helper";

/** Env vars whose values steer the JS part; the launcher sends its own, and the helper edits as they say. */
export const helperEnvKeys = [
  "ACTK_CONFIG_FILE", "ACTK_HOST_ROOT", "XDG_CONFIG_HOME", "ACTK_RUNTIME_MODE", "ACTK_RUNTIME_ALIAS_MODE", "ACTK_RUNTIME_LDCACHE",
  "ACTK_RUNTIME_LOG_FILE",
] as const;

export interface HelperRequest {
  /** The launcher's pid: the answer goes there. */
  pid: number;
  /** Absolute bundle directory. */
  bundle: string;
  /** The launcher's $0 (mode from the program name, actk-hook beside it). */
  self: string;
  /** The low-level runtime the launcher will exec, for the log. */
  runtime: string;
  /** runc's --debug was given: log at debug level, as the JS part would. */
  debug: boolean;
  /** The launcher's values of helperEnvKeys; an empty value means unset. */
  env: Partial<Record<(typeof helperEnvKeys)[number], string>>;
}

/** Tag, pid, bundle, $0, low-level runtime, debug; then the env values. */
const fixedFields = 6;

/** A request line (without its newline), or a reason it is not one. */
export function parseHelperRequest(line: string): HelperRequest | { error: string } {
  const f = line.split("\t");
  if (f[0] !== HELPER_PROTOCOL) return { error: `not a ${HELPER_PROTOCOL} request` };
  if (f.length !== fixedFields + helperEnvKeys.length) return { error: `${f.length} fields, expected ${fixedFields + helperEnvKeys.length}` };
  const pid = Number(f[1]);
  if (!Number.isInteger(pid) || pid <= 1) return { error: `bad pid "${f[1] ?? ""}"` };
  const bundle = f[2] ?? "";
  if (!bundle.startsWith("/")) return { error: `bundle "${bundle}" is not absolute` };
  const env: HelperRequest["env"] = {};
  helperEnvKeys.forEach((k, i) => {
    const v = f[fixedFields + i];
    if (v) env[k] = v;
  });
  return { pid, bundle, self: f[3] ?? "", runtime: f[4] ?? "", debug: f[5] === "1", env };
}

/** The line launcher.sh writes (tests and the benchmark use it to check the two agree). */
export function formatHelperRequest(r: HelperRequest): string {
  return [HELPER_PROTOCOL, String(r.pid), r.bundle, r.self, r.runtime, r.debug ? "1" : "0", ...helperEnvKeys.map((k) => r.env[k] ?? "")].join("\t");
}
