/**
 * The device-access-after-daemon-reload trap. With the systemd cgroup driver,
 * `systemctl daemon-reload` re-applies each container scope's device policy
 * from what systemd knows; devices a hook granted outside the OCI spec are
 * revoked unless systemd can resolve them through /dev/char/MAJOR:MINOR.
 * Containers whose devices are in the OCI spec (jit/cdi) are not exposed.
 */
import type { HostRoot } from "../../host/host-root.js";
import { discoveryCharNodes, planDevCharLinks, type CharNodeRef } from "../../host/dev-char-links.js";
import type { CheckResult, DoctorCheck, DoctorContext } from "../check.js";

const hookDirs = ["/etc/containers/oci/hooks.d", "/usr/share/containers/oci/hooks.d"];
const legacyHookNames = ["actk-hook", "nvidia-container-runtime-hook", "nvidia-container-toolkit", "ascend-docker-hook"];
const binDirs = ["/usr/local/bin", "/usr/bin", "/usr/sbin", "/bin"];

/** Ways out-of-band device grants are configured on this host, one sentence each. */
export function outOfBandGrants(host: HostRoot, ctx: Pick<DoctorContext, "config">): string[] {
  const found: string[] = [];
  if (ctx.config.config.runtime.mode === "legacy") found.push("actk runtime.mode is legacy (devices granted by a prestart hook)");
  for (const dir of hookDirs) {
    for (const e of host.readdir(dir)) {
      if (!e.name.endsWith(".json")) continue;
      const text = host.readTextIfExists(`${dir}/${e.name}`) ?? "";
      const name = legacyHookNames.find((n) => text.includes(n));
      if (name) found.push(`OCI hook ${dir}/${e.name} runs ${name}`);
    }
  }
  for (const dir of binDirs) {
    if (host.exists(`${dir}/nvidia-container-runtime-hook`)) {
      found.push(`${dir}/nvidia-container-runtime-hook is installed (docker --gpus uses it)`);
      break;
    }
  }
  return found;
}

export const reloadTrapCheck: DoctorCheck = {
  id: "systemd.dev-char",
  description: "containers cannot lose device access on `systemctl daemon-reload`",
  run(ctx) {
    const nodes: CharNodeRef[] = ctx.vendors.flatMap((v) => discoveryCharNodes(ctx.discovery(v)));
    if (!nodes.length) return [];
    const id = "systemd.dev-char";
    const missing = planDevCharLinks(ctx.host, nodes, { createAll: true }).filter((l) => l.action !== "keep");
    if (!missing.length) return [{ id, status: "ok", summary: `all ${nodes.length} accelerator nodes have /dev/char links; a daemon-reload keeps device access` }];
    const grants = outOfBandGrants(ctx.host, ctx);
    const systemd = ctx.host.exists("/run/systemd/system");
    if (!grants.length) {
      return [{ id, status: "ok", summary: `devices are declared in OCI specs (jit/CDI); a daemon-reload cannot revoke them (${missing.length} /dev/char links missing, not needed)` }];
    }
    const result: CheckResult = {
      id,
      status: systemd ? "warn" : "ok",
      summary: `${grants.join("; ")}, and ${missing.length} /dev/char links are missing (${missing.slice(0, 3).map((l) => l.link).join(", ")}${missing.length > 3 ? ", …" : ""})` +
        (systemd ? ": with the systemd cgroup driver, `systemctl daemon-reload` revokes those devices from running containers (\"Failed to initialize NVML: Unknown Error\")" : "; systemd is not running, so nothing revokes them"),
      details: missing.map((l) => `${l.link} -> ${l.target}`),
    };
    if (systemd) result.fix = "actk system create-dev-char-symlinks --create-all (and run it from a udev rule at boot), or switch to CDI: actk runtime configure --cdi.enabled";
    return [result];
  },
};
