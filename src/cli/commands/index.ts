/** Every top-level command, in the order `actk --help` lists them. */
import type { Command } from "../command.js";
import { pluginsCommand } from "./plugins.js";
import { simCommand } from "./sim.js";
import { infoCommand } from "./info.js";
import { systemCommand } from "./system.js";
import { cdiCommand } from "./cdi.js";
import { explainCommand } from "./explain.js";
import { configCommand } from "./config.js";
import { doctorCommand } from "./doctor.js";
import { runtimeCommand } from "./runtime.js";
import { installCommand, uninstallCommand } from "./install.js";

export const commands: Command[] = [pluginsCommand, simCommand, infoCommand, systemCommand, cdiCommand, explainCommand, configCommand, doctorCommand, runtimeCommand, installCommand, uninstallCommand];
