/**
 * Whether this process works for a container start (actk-runtime's JS part and actk-hook, which
 * scripts/build.mjs marks with ACTK_HOT_PATH, and the runtime helper, which marks itself): every
 * millisecond there is paid by each container, so plugins skip what only the CLI needs (NVIDIA's
 * NVML, whose init can take seconds) unless a request asks for it.
 */
declare const ACTK_HOT_PATH: boolean;

let startPath = typeof ACTK_HOT_PATH === "boolean" && ACTK_HOT_PATH;

export function onContainerStartPath(): boolean {
  return startPath;
}

/** For a long-running process that serves container starts (the runtime helper). */
export function markContainerStartPath(): void {
  startPath = true;
}
