/** Every top-level command, in the order `actk --help` lists them. */
import type { Command } from "../command.js";
import { pluginsCommand } from "./plugins.js";

export const commands: Command[] = [pluginsCommand];
