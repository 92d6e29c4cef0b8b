import { spawnSync } from "node:child_process";
import type { Command } from "../command.js";
import { ActkError, ExitCode } from "../../core/errors.js";
import { createDeviceNodes, type PlannedNode } from "../../host/create-device-nodes.js";
import { formatTable } from "../output.js";
import { createDevCharSymlinksCommand } from "./dev-char-symlinks.js";

/** NVIDIA's control nodes: fixed minors, majors from /proc/devices (docs/hardware-facts.md, NVIDIA). */
export const nvidiaControlNodes: readonly PlannedNode[] = [
  { path: "/dev/nvidiactl", majorNames: ["nvidia", "nvidia-frontend"], minor: 255 },
  { path: "/dev/nvidia-modeset", majorNames: ["nvidia", "nvidia-frontend"], minor: 254 },
  { path: "/dev/nvidia-uvm", majorNames: ["nvidia-uvm"], minor: 0 },
  { path: "/dev/nvidia-uvm-tools", majorNames: ["nvidia-uvm"], minor: 1 },
];
export const nvidiaKernelModules = ["nvidia", "nvidia-uvm", "nvidia-modeset"] as const;
const MODPROBE = "/sbin/modprobe";

const createDeviceNodesCommand: Command = {
  name: "create-device-nodes",
  summary: "Create missing NVIDIA control device nodes (/dev/nvidiactl, nvidia-uvm, …)",
  description: `
Udev does not create NVIDIA's nodes; without nvidia-modprobe (or nvidia-persistenced) they can
be missing after boot, and containers then fail to find /dev/nvidia-uvm. With --control-devices
this creates /dev/nvidiactl (major of "nvidia"/"nvidia-frontend", minor 255), /dev/nvidia-modeset
(254), /dev/nvidia-uvm (major of "nvidia-uvm", 0) and /dev/nvidia-uvm-tools (1), with the majors
read from /proc/devices, mode 0666; existing paths are left alone. Under --host-root the nodes
go into that tree. --load-kernel-modules first runs ${MODPROBE} for ${nvidiaKernelModules.join(", ")}
(only on the real host; under --host-root it says what it would run).
Exit codes: 0 done (or nothing to do), 4 a major is missing or a node could not be made.`,
  options: {
    "control-devices": { type: "boolean", description: "create the control device nodes" },
    "load-kernel-modules": { type: "boolean", description: `load ${nvidiaKernelModules.join(", ")} with ${MODPROBE} first` },
    "dry-run": { type: "boolean", description: "only say what would be done" },
  },
  examples: ["actk system create-device-nodes --control-devices", "actk --host-root /tmp/h system create-device-nodes --control-devices --dry-run --json"],
  run({ values, ctx, out }) {
    const dryRun = values["dry-run"] === true;
    const modules: { module: string; action: string }[] = [];
    if (values["load-kernel-modules"] === true) {
      for (const m of nvidiaKernelModules) {
        if (dryRun || !ctx.host.isRealHost) {
          modules.push({ module: m, action: `would run ${MODPROBE} ${m}${ctx.host.isRealHost ? "" : " (not run: --host-root is not the real host)"}` });
          continue;
        }
        const r = spawnSync(MODPROBE, [m], { encoding: "utf8", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
        if (r.status !== 0) {
          throw new ActkError(`failed to load kernel module ${m}: ${(r.stderr || r.error?.message || "").trim()}`, {
            exitCode: ExitCode.host, fix: "install the NVIDIA driver's kernel modules (or check `dmesg`)",
          });
        }
        modules.push({ module: m, action: "loaded" });
      }
    }
    const nodes = values["control-devices"] === true ? createDeviceNodes(ctx.host, nvidiaControlNodes, { dryRun }) : [];
    if (values["control-devices"] !== true && values["load-kernel-modules"] !== true) {
      out.info("nothing to do: pass --control-devices and/or --load-kernel-modules");
    }
    out.data({ hostRoot: ctx.host.root, dryRun, modules, nodes }, () => {
      const lines = modules.map((m) => `${m.module}: ${m.action}`);
      if (nodes.length) lines.push(formatTable(["PATH", "MAJOR:MINOR", "ACTION", "DETAIL"], nodes.map((n) => [n.path, `${n.major ?? "?"}:${n.minor}`, n.action, n.detail ?? ""])).trimEnd());
      return lines.join("\n") || "nothing done";
    });
    return nodes.some((n) => n.action === "no major") ? ExitCode.host : ExitCode.ok;
  },
};

export const systemCommand: Command = {
  name: "system",
  summary: "Host set-up tasks (device nodes, kernel modules)",
  subcommands: [createDeviceNodesCommand, createDevCharSymlinksCommand],
  examples: ["actk system create-device-nodes --dry-run", "actk system create-dev-char-symlinks --create-all"],
};
