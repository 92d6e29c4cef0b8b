/** The CRI-O engine plugin: a crio.conf.d drop-in, or a hooks.d file. */
import { PluginType, type PluginRegistration } from "../../core/registry.js";
import type { Engine } from "../engine.js";
import { planCrio } from "./plan.js";

export const crioEngine: Engine = {
  id: "crio",
  defaultConfigPath: "/etc/crio/crio.conf",
  defaultDropInPath: "/etc/crio/crio.conf.d/99-actk.conf",
  restartCommand: "systemctl restart crio",
  inputs: (opts) => (opts.configMode === "oci-hook" ? [opts.ociHookPath] : [opts.configPath, ...(opts.dropInPath ? [opts.dropInPath] : [])]),
  plan: planCrio,
};

export const crioPlugin: PluginRegistration<Engine> = { type: PluginType.engine, id: "crio", init: () => crioEngine };
