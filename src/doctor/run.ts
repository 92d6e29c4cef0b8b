/**
 * Run every doctor check. A check that throws is itself a finding (status
 * fail, with the error), never the end of the diagnosis: doctor is most
 * needed exactly when things are broken in ways nobody anticipated.
 */
import { toActkError } from "../core/errors.js";
import type { CheckResult, DoctorCheck, DoctorContext } from "./check.js";

export interface DoctorReport {
  checks: CheckResult[];
}

/** Whether `--check ID` selects the check `id`: the same id, or a group it starts (`cdi` selects `cdi.host`). */
export function selectsCheck(selector: string, id: string): boolean {
  return id === selector || id.startsWith(`${selector}.`);
}

export function runChecks(checks: readonly DoctorCheck[], ctx: DoctorContext, only?: readonly string[]): DoctorReport {
  const out: CheckResult[] = [];
  for (const check of checks) {
    if (only && only.length && !only.some((p) => selectsCheck(p, check.id))) continue;
    try {
      out.push(...check.run(ctx));
    } catch (e) {
      out.push({
        id: check.id,
        status: "fail",
        summary: `the check itself failed: ${toActkError(e).format()}`,
        fix: "run `actk doctor --debug` and report the error if it is not explained by the rest of this diagnosis",
      });
    }
  }
  return { checks: out };
}

export function worstStatus(report: DoctorReport): "ok" | "warn" | "fail" {
  if (report.checks.some((c) => c.status === "fail")) return "fail";
  if (report.checks.some((c) => c.status === "warn")) return "warn";
  return "ok";
}

/** Discovery is the expensive part; every check shares one result per vendor. */
export function memoizedDiscovery(): DoctorContext["discovery"] {
  const cache = new Map<string, ReturnType<DoctorContext["discovery"]>>();
  return (vendor) => {
    let d = cache.get(vendor.id);
    if (!d) {
      d = vendor.discover();
      cache.set(vendor.id, d);
    }
    return d;
  };
}
