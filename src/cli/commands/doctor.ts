import type { Command } from "../command.js";
import { ActkError, ExitCode } from "../../core/errors.js";
import { formatTable } from "../output.js";
import type { CheckResult } from "../../doctor/check.js";
import { PluginType } from "../../core/registry.js";
import { defaultConfig } from "../../config/defaults.js";
import type { DoctorCheck } from "../../doctor/check.js";
import { memoizedDiscovery, runChecks, selectsCheck, worstStatus } from "../../doctor/run.js";

export const doctorCommand: Command = {
  name: "doctor",
  summary: "Diagnose why accelerator containers fail, with the fix for each problem",
  description:
    "Runs every check (driver and device nodes, CDI specs, engines and their actk configuration,\n" +
    "the toolkit itself, the daemon-reload trap) and prints check, status (ok/warn/fail), what was\n" +
    "found and the exact command or edit that fixes it. Nothing is changed.\n" +
    "With --host-root R it inspects the simulated host under R as a whole.\n" +
    "Exit status: 0 when no check fails (warnings allowed), 1 when any check fails.",
  options: {
    check: { type: "string", multiple: true, valueName: "ID", description: "run only checks whose id is ID or starts with ID. (`--list` shows the ids)" },
    list: { type: "boolean", description: "list the checks and exit" },
  },
  examples: ["actk doctor", "actk doctor --json", "actk doctor --check cdi --check devices", "actk --host-root /tmp/h doctor"],
  run({ values, ctx, out }) {
    const configError = ctx.loadConfigOrFallback(() => ({ config: defaultConfig(), source: "defaults (the config file is invalid)", format: "defaults" }));
    const checks = ctx.plugins.all<DoctorCheck>(PluginType.doctorCheck);
    if (values.list) {
      out.data({ checks: checks.map((c) => ({ id: c.id, description: c.description })) }, () =>
        formatTable(["CHECK", "DESCRIPTION"], checks.map((c) => [c.id, c.description])));
      return 0;
    }
    const only = (values.check as string[] | undefined) ?? [];
    const unknown = only.filter((p) => !checks.some((c) => selectsCheck(p, c.id)));
    if (unknown.length) {
      // A mistyped id would otherwise run nothing and pass.
      const groups = [...new Set(checks.map((c) => c.id.split(".")[0] as string))];
      throw new ActkError(`no check has the id ${unknown.map((u) => `"${u}"`).join(", ")} (groups: ${groups.join(", ")})`, {
        exitCode: ExitCode.usage, fix: "`actk doctor --list` shows every check id",
      });
    }
    const report = runChecks(checks, {
      host: ctx.host,
      config: ctx.loadedConfig,
      ...(configError ? { configError } : {}),
      vendors: ctx.vendors(),
      discovery: memoizedDiscovery(),
      now: new Date(),
    }, only);
    const failedPlugins = ctx.plugins.records.filter((r) => r.status === "error");
    for (const p of failedPlugins) {
      report.checks.push({ id: `plugins.${p.id}`, status: "warn", summary: `plugin ${p.type}.${p.id} failed to initialise: ${p.error ?? "unknown error"}`, fix: "see `actk plugins`" });
    }
    out.data({ checks: report.checks.map((c) => ({ id: c.id, status: c.status, summary: c.summary, fix: c.fix ?? null })) }, () => {
      const table = formatFindings(report.checks);
      const counts = (["ok", "warn", "fail"] as const).map((s) => `${report.checks.filter((c) => c.status === s).length} ${s}`).join(", ");
      const details = values.debug ? report.checks.filter((c) => c.details?.length).map((c) => `\n${c.id}:\n  ${c.details?.join("\n  ")}`).join("") : "";
      return `${table}\n${counts}${details}`;
    });
    return worstStatus(report) === "fail" ? 1 : 0;
  },
};

/** One row per finding; the fix goes on its own line under what was found, so long text stays readable. */
function formatFindings(checks: readonly CheckResult[]): string {
  const w = Math.max(5, ...checks.map((c) => c.id.length));
  const lines = [`${"CHECK".padEnd(w)}  STATUS  FOUND / FIX`];
  for (const c of checks) {
    lines.push(`${c.id.padEnd(w)}  ${(c.status === "ok" ? "ok" : c.status.toUpperCase()).padEnd(6)}  ${c.summary}`);
    if (c.fix) lines.push(`${"".padEnd(w)}          fix: ${c.fix}`);
  }
  return lines.join("\n") + "\n";
}
