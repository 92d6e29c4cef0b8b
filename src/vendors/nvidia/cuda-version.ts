/**
 * The CUDA version a driver supports (what `nvidia-smi` prints as "CUDA
 * Version" and cuDriverGetVersion returns), by driver branch. Source: the
 * CUDA Toolkit release notes, table "CUDA Toolkit and Corresponding Driver
 * Versions" (docs/hardware-facts.md, NVIDIA). libcuda.so's file version is the
 * driver version, not the CUDA version.
 */
const cudaByBranch: readonly [branch: number, cuda: string][] = [
  [450, "11.0"], [455, "11.1"], [460, "11.2"], [465, "11.3"], [470, "11.4"], [495, "11.5"], [510, "11.6"],
  [515, "11.7"], [520, "11.8"], [525, "12.0"], [530, "12.1"], [535, "12.2"], [545, "12.3"], [550, "12.4"],
  [555, "12.5"], [560, "12.6"], [565, "12.7"], [570, "12.8"], [575, "12.9"], [580, "13.0"],
];

/** "550.54.15" → "12.4"; undefined for an unknown or malformed version. */
export function cudaVersionForDriver(driverVersion: string): string | undefined {
  const major = Number(/^(\d+)\./.exec(driverVersion)?.[1]);
  if (!Number.isFinite(major)) return undefined;
  let found: string | undefined;
  for (const [branch, cuda] of cudaByBranch) if (major >= branch) found = cuda;
  return found;
}
