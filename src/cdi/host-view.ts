/**
 * A spec generated under --host-root, made to read as the host itself sees
 * it: host paths moved from the root to "/", the host-root record dropped and
 * the content hash recomputed. `actk install --host-root /host` writes specs
 * this way, and `actk cdi refresh` compares against them the same way.
 */
import type { HostRoot } from "../host/host-root.js";
import { annotationKeys, contentHash } from "./generate.js";
import type { CdiSpec } from "./spec.js";
import { transformRoot } from "./transform.js";

export function asHostSees(spec: CdiSpec, header: readonly string[], host: HostRoot): { spec: CdiSpec; header: string[] } {
  if (host.isRealHost) return { spec, header: [...header] };
  const moved = transformRoot(spec, host.root, "/");
  const hash = contentHash(moved);
  if (moved.annotations) {
    const a = { ...moved.annotations };
    delete a[annotationKeys.hostRoot];
    if (a[annotationKeys.contentHash] !== undefined) a[annotationKeys.contentHash] = hash;
    moved.annotations = a;
  }
  const fixed = header
    .filter((h) => !h.startsWith(`${annotationKeys.hostRoot}:`))
    .map((h) => (h.startsWith(`${annotationKeys.contentHash}:`) ? `${annotationKeys.contentHash}: ${hash}` : h));
  return { spec: moved, header: fixed };
}
