import { test } from "node:test";
import assert from "node:assert/strict";
import type { CdiSpec } from "./spec.js";
import { rerootPath, transformRoot } from "./transform.js";

test("paths are rerooted only at a component boundary", () => {
  const cases: [string, string, string, string][] = [
    ["/run/nvidia/driver/usr/lib/x.so", "/run/nvidia/driver", "/", "/usr/lib/x.so"],
    ["/run/nvidia/driver", "/run/nvidia/driver", "/", "/"],
    ["/run/nvidia/driver-2/x", "/run/nvidia/driver", "/", "/run/nvidia/driver-2/x"],
    ["/dev/nvidia0", "/", "/host", "/host/dev/nvidia0"],
    ["/usr/lib/x.so", "/usr", "/opt/usr", "/opt/usr/lib/x.so"],
    ["/other", "/usr", "/opt", "/other"],
  ];
  for (const [p, from, to, want] of cases) assert.equal(rerootPath(p, from, to), want, `${p} ${from}→${to}`);
});

const spec: CdiSpec = {
  cdiVersion: "0.5.0", kind: "nvidia.com/gpu",
  devices: [{ name: "0", containerEdits: { deviceNodes: [{ path: "/dev/nvidia0" }] } }],
  containerEdits: {
    mounts: [{ hostPath: "/driver/usr/lib/libcuda.so.1", containerPath: "/usr/lib/libcuda.so.1" }],
    hooks: [
      { hookName: "createContainer", path: "/driver/usr/bin/hook", args: ["hook", "create-symlinks", "--link", "/driver/a::/driver/b"] },
      { hookName: "prestart", path: "/driver/usr/bin/hook", args: ["hook", "--folder", "/driver/usr/lib"] },
    ],
  },
};

test("transform root rewrites host paths and host-side hook args, keeps container paths and the version", () => {
  const out = transformRoot(spec, "/driver", "/");
  assert.equal(out.cdiVersion, "0.5.0");
  assert.equal(out.devices[0]!.containerEdits.deviceNodes![0]!.hostPath, "/dev/nvidia0");
  assert.equal(out.devices[0]!.containerEdits.deviceNodes![0]!.path, "/dev/nvidia0");
  assert.deepEqual(out.containerEdits!.mounts![0], { hostPath: "/usr/lib/libcuda.so.1", containerPath: "/usr/lib/libcuda.so.1" });
  assert.equal(out.containerEdits!.hooks![0]!.path, "/usr/bin/hook");
  assert.deepEqual(out.containerEdits!.hooks![0]!.args, ["hook", "create-symlinks", "--link", "/driver/a::/driver/b"], "createContainer args are container paths");
  assert.deepEqual(out.containerEdits!.hooks![1]!.args, ["hook", "--folder", "/usr/lib"]);
  assert.deepEqual(transformRoot(spec, "/x", "/x"), spec);
});

test("transform root relative to the container rewrites container paths", () => {
  const out = transformRoot(spec, "/usr/lib", "/usr/lib64", "container");
  assert.equal(out.containerEdits!.mounts![0]!.containerPath, "/usr/lib64/libcuda.so.1");
  assert.equal(out.containerEdits!.mounts![0]!.hostPath, "/driver/usr/lib/libcuda.so.1");
});
