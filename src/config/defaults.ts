import type { ActkConfig } from "./types.js";

/** Defaults for every key; the schema module turns these into the commented default file. */
export function defaultConfig(): ActkConfig {
  return {
    runtime: {
      mode: "auto",
      runtimes: ["docker-runc", "runc", "crun"],
      logFile: "/var/log/actk-runtime.log",
      logLevel: "info",
    },
    hook: {
      path: "/usr/local/bin/actk-hook",
      logFile: "/var/log/actk-hook.log",
    },
    cdi: {
      specDirs: ["/etc/cdi", "/var/run/cdi"],
      annotationPrefixes: ["cdi.k8s.io/"],
      defaultKind: { nvidia: "nvidia.com/gpu", ascend: "ascend.com/npu", amd: "amd.com/gpu" },
    },
    plugins: {},
  };
}
