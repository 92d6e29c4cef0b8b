/**
 * Whether the host is an NVIDIA Tegra/Jetson SoC, as NVIDIA's toolkit tests it (without its NVML part):
 * a host fact both the runtime's auto mode and NVIDIA discovery ask about.
 */
import type { HostRoot } from "./host-root.js";

export function isTegra(host: HostRoot): boolean {
  if (host.exists("/etc/nv_tegra_release")) return true;
  const family = host.readTextIfExists("/sys/devices/soc0/family");
  return family !== undefined && family.trim().toLowerCase().startsWith("tegra");
}
