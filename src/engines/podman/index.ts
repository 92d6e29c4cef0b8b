/** The podman engine plugin: a containers.conf.d drop-in, or a hooks.d file. */
import { PluginType, type PluginRegistration } from "../../core/registry.js";
import type { Engine } from "../engine.js";
import { planPodman } from "./plan.js";

export const podmanEngine: Engine = {
  id: "podman",
  defaultConfigPath: "/etc/containers/containers.conf",
  defaultDropInPath: "/etc/containers/containers.conf.d/99-actk.conf",
  restartCommand: "",
  inputs: (opts) => (opts.configMode === "oci-hook" ? [opts.ociHookPath] : [opts.dropInPath || opts.configPath]),
  plan: planPodman,
};

export const podmanPlugin: PluginRegistration<Engine> = { type: PluginType.engine, id: "podman", init: () => podmanEngine };
