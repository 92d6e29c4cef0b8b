import type { PluginRegistration } from "../core/registry.js";
import { containerdPlugin } from "./containerd/index.js";
import { crioPlugin } from "./crio/index.js";
import { dockerPlugin } from "./docker/index.js";
import { podmanPlugin } from "./podman/index.js";

/** Engine plugins (docker, containerd, crio, podman), registered as "actk.engine.v1". */
export const enginePlugins: PluginRegistration[] = [dockerPlugin, containerdPlugin, crioPlugin, podmanPlugin];
