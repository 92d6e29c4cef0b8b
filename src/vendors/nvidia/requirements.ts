/**
 * Check a request's NVIDIA_REQUIRE_* constraints against the host, as
 * nvidia-container-cli does: `cuda` and `driver` are host-wide, `arch` and
 * `brand` are checked for every selected GPU. Every expression must hold; one
 * that does not is an ActkError naming the constraint, the host's value and
 * the way out (NVIDIA_DISABLE_REQUIRE).
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import { describeFailure, evaluateRequirement, parseRequirement, type RequirementFacts } from "../../request/requirements.js";
import type { DeviceRequest } from "../../request/types.js";

export interface NvidiaHostFacts {
  driverVersion?: string;
  cudaVersion?: string;
  devices: { arch?: string; brand?: string; model?: string }[];
}

const fix =
  "run the container on a host whose driver meets the requirement (update the NVIDIA driver), " +
  "or skip the check with NVIDIA_DISABLE_REQUIRE=true in the container (or disable-require in the config)";

export function checkNvidiaRequirements(request: DeviceRequest, facts: NvidiaHostFacts): void {
  if (request.requirements.length === 0) return;
  const base: RequirementFacts = { driver: facts.driverVersion, cuda: facts.cudaVersion };
  // With no device facts, arch and brand are unknown and (like libnvidia-container without a device) not checked.
  const perDevice: { facts: RequirementFacts; label: string }[] = facts.devices.length
    ? facts.devices.map((d, i) => ({ facts: { ...base, arch: d.arch, brand: d.brand }, label: `GPU ${i}${d.model ? ` (${d.model})` : ""}` }))
    : [{ facts: base, label: "" }];
  for (const text of request.requirements) {
    const expression = parseRequirement(text, "NVIDIA_REQUIRE_*");
    for (const { facts: f, label } of perDevice) {
      const result = evaluateRequirement(expression, f);
      if (result.met) continue;
      const unmet = result.failures.map(describeFailure);
      const which = unmet.length > 1 ? `none of its alternatives holds: ${unmet.join("; ")}` : `unsatisfied condition: ${unmet[0]}`;
      throw new ActkError(`the container's requirement "${text}" is not met${label ? ` by ${label}` : ""}: ${which}`, {
        place: "NVIDIA_REQUIRE_*",
        exitCode: ExitCode.failed,
        fix,
      });
    }
  }
}
