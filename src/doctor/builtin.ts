/** The vendor-neutral doctor checks, registered as plugins like vendor- and engine-contributed ones. */
import { PluginType, type PluginRegistration } from "../core/registry.js";
import type { DoctorCheck } from "./check.js";
import { deviceNodesCheck, driverCheck } from "./checks/device-nodes.js";
import { toolkitCheck } from "./checks/toolkit.js";
import { reloadTrapCheck } from "./checks/reload-trap.js";
import { cdiCheck } from "./checks/cdi.js";
import { engineCheckPlugin } from "./checks/engines.js";

const builtin: DoctorCheck[] = [driverCheck, deviceNodesCheck, cdiCheck, reloadTrapCheck, toolkitCheck];

export const builtinDoctorPlugins: PluginRegistration<DoctorCheck>[] = [
  ...builtin.map((check): PluginRegistration<DoctorCheck> => ({
    type: PluginType.doctorCheck,
    id: check.id,
    init: () => check,
  })),
  engineCheckPlugin,
];
