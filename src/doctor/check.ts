/**
 * What a doctor check is. Checks are plugins (type "actk.doctor.v1") so a
 * vendor or engine can contribute the checks only it knows how to make,
 * without shared code importing it. A check never changes the host: it
 * reports, and its `fix` says what the operator should run or edit.
 */
import type { HostRoot } from "../host/host-root.js";
import type { LoadedConfig } from "../config/types.js";
import type { Vendor, Discovery } from "../vendors/vendor.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  /** Stable id for scripts, "<area>.<what>[.<subject>]", e.g. "driver.nvidia.nodes". */
  id: string;
  status: CheckStatus;
  /** What was found, one sentence. */
  summary: string;
  /** The exact command or edit that fixes it; absent when status is ok. */
  fix?: string;
  /** Supporting facts (one per line) shown with --debug and in --json. */
  details?: string[];
}

export interface DoctorContext {
  host: HostRoot;
  config: LoadedConfig;
  /** The config could not be loaded: checks that need it get defaults; toolkit.config reports why. */
  configError?: string;
  vendors: readonly Vendor[];
  /** Discovery of each vendor, computed once and shared by every check. */
  discovery(vendor: Vendor): Discovery;
  /** Time used for "restarted since" comparisons (injectable for tests). */
  now: Date;
}

export interface DoctorCheck {
  /** Prefix of the ids this check reports (also its plugin id). */
  readonly id: string;
  /** One line for `actk doctor --list`. */
  readonly description: string;
  run(ctx: DoctorContext): CheckResult[];
}
