/**
 * podman in e2e tests. Its default RLIMIT_NOFILE/NPROC exceed the hard limits of the CI
 * container, and runc then fails to prlimit() the container's init with EPERM; explicit
 * limits below the hard limits work, so every `podman run` passes these.
 */
export const podmanRunLimits: readonly string[] = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];
