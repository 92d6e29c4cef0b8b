/** Every top-level command, in the order `actk --help` lists them. */
import type { Command } from "../command.js";
import { pluginsCommand } from "./plugins.js";
import { doctorCommand } from "./doctor.js";

export const commands: Command[] = [pluginsCommand, doctorCommand];
