import type { PluginRegistration } from "../core/registry.js";

/** Engine plugins (docker, containerd, crio, podman); filled in by the engines module. */
export const enginePlugins: PluginRegistration[] = [];
