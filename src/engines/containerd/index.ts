/** The containerd engine plugin: config.toml (v1/v2 in place, v3 via a drop-in). */
import { PluginType, type PluginRegistration } from "../../core/registry.js";
import type { Engine } from "../engine.js";
import { detectContainerdMajor, verifyContainerd } from "./file.js";
import { planContainerd } from "./plan.js";

export const containerdEngine: Engine = {
  id: "containerd",
  defaultConfigPath: "/etc/containerd/config.toml",
  defaultDropInPath: "/etc/containerd/conf.d/99-actk.toml",
  restartCommand: "systemctl restart containerd",
  detectMajor: detectContainerdMajor,
  inputs: (opts) => (opts.dropInPath ? [opts.configPath, opts.dropInPath] : [opts.configPath]),
  plan: planContainerd,
  verify: verifyContainerd,
};

export const containerdPlugin: PluginRegistration<Engine> = { type: PluginType.engine, id: "containerd", init: () => containerdEngine };
