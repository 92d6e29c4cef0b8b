import { test } from "node:test";
import assert from "node:assert/strict";
import { helperArgs } from "./prestart.js";

const hooks: { name: string; path: string; args: string[]; want: string[] | undefined }[] = [
  { name: "actk-hook's own helper", path: "/usr/local/bin/actk-hook", args: ["actk-hook", "update-ldcache", "--folder", "/usr/lib64"], want: ["update-ldcache", "--folder", "/usr/lib64"] },
  { name: "NVIDIA's CDI hook name", path: "/usr/bin/nvidia-cdi-hook", args: ["nvidia-cdi-hook", "create-symlinks", "--link", "a::/b"], want: ["create-symlinks", "--link", "a::/b"] },
  { name: "nvidia-ctk hook …", path: "/usr/bin/nvidia-ctk", args: ["nvidia-ctk", "hook", "chmod", "--mode", "755", "--path", "/dev/dri"], want: ["chmod", "--mode", "755", "--path", "/dev/dri"] },
  { name: "some other program is not run", path: "/usr/bin/evil", args: ["evil", "update-ldcache"], want: undefined },
  { name: "a helper hook without a command is not run", path: "/usr/local/bin/actk-hook", args: ["actk-hook"], want: undefined },
];
for (const h of hooks) {
  test(`prestart runs vendor hooks in-process: ${h.name}`, () => {
    assert.deepEqual(helperArgs({ hookName: "createContainer", path: h.path, args: h.args }), h.want);
  });
}
