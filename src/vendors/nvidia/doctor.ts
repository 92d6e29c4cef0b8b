/**
 * NVIDIA-only doctor checks. Without nvidia-persistenced the driver tears the
 * GPU state down when the last client exits, so every container start pays
 * the GPU initialisation again (hundreds of ms per GPU, seconds on large
 * systems) — the most common "slow container start" report.
 */
import { PluginType, type PluginRegistration } from "../../core/registry.js";
import type { CheckResult, DoctorCheck } from "../../doctor/check.js";
import { NVIDIA_VENDOR } from "./discover.js";

export const nvidiaPersistenceCheck: DoctorCheck = {
  id: "driver.nvidia.persistence",
  description: "nvidia-persistenced keeps GPUs initialised between containers",
  run(ctx) {
    const vendor = ctx.vendors.find((v) => v.id === NVIDIA_VENDOR);
    if (!vendor || !ctx.discovery(vendor).devices.length) return [];
    const id = "driver.nvidia.persistence";
    if (ctx.host.exists("/run/nvidia-persistenced/socket")) {
      return [{ id, status: "ok", summary: "nvidia-persistenced is running (/run/nvidia-persistenced/socket exists)" }];
    }
    const r: CheckResult = {
      id, status: "warn",
      summary: "nvidia-persistenced is not running: each container start re-initialises the GPUs it uses (slow starts)",
      fix: "systemctl enable --now nvidia-persistenced",
    };
    return [r];
  },
};

export const nvidiaDoctorPlugins: PluginRegistration<DoctorCheck>[] = [
  { type: PluginType.doctorCheck, id: nvidiaPersistenceCheck.id, requires: [PluginType.vendor], init: () => nvidiaPersistenceCheck },
];
