/**
 * The one place that knows every plugin. Shared code asks the registry built
 * here for vendors and engines; it never imports their folders.
 */
import { Registry, PluginType } from "./core/registry.js";
import type { HostRoot } from "./host/host-root.js";
import { nvidiaPlugin } from "./vendors/nvidia/index.js";
import { nvidiaDoctorPlugins } from "./vendors/nvidia/doctor.js";
import { ascendPlugin } from "./vendors/ascend/index.js";
import { amdPlugin } from "./vendors/amd/index.js";
import { enginePlugins } from "./engines/index.js";
import { builtinDoctorPlugins } from "./doctor/builtin.js";

export function createRegistry(host: HostRoot): Registry {
  const registry = new Registry();
  registry.register({ type: PluginType.host, id: "root", init: () => host });
  registry.register(nvidiaPlugin);
  registry.register(ascendPlugin);
  registry.register(amdPlugin);
  for (const e of enginePlugins) registry.register(e);
  for (const d of [...builtinDoctorPlugins, ...nvidiaDoctorPlugins]) registry.register(d);
  return registry;
}
