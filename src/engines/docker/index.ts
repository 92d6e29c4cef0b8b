/** The docker engine plugin: daemon.json. */
import { PluginType, type PluginRegistration } from "../../core/registry.js";
import type { Engine } from "../engine.js";
import { verifyDocker } from "./file.js";
import { planDocker } from "./plan.js";

export const dockerEngine: Engine = {
  id: "docker",
  defaultConfigPath: "/etc/docker/daemon.json",
  defaultDropInPath: "",
  restartCommand: "systemctl restart docker",
  inputs: (opts) => [opts.configPath],
  plan: planDocker,
  verify: verifyDocker,
};

export const dockerPlugin: PluginRegistration<Engine> = { type: PluginType.engine, id: "docker", init: () => dockerEngine };
