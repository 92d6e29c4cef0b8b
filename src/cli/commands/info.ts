import type { Command } from "../command.js";
import { ExitCode } from "../../core/errors.js";
import type { DeviceNode } from "../../edits/container-edits.js";
import type { Discovery } from "../../vendors/vendor.js";

function nodeText(n: DeviceNode): string {
  return n.major !== undefined ? `${n.path} (${n.major}:${n.minor})` : n.path;
}

function publicDiscovery(d: Discovery): Discovery {
  // Only the Discovery contract: vendor-private extras (driver file lists) stay out of `info --json`.
  return { vendor: d.vendor, source: d.source, driverVersion: d.driverVersion, devices: d.devices, controlNodes: d.controlNodes, notes: d.notes };
}

export const infoCommand: Command = {
  name: "info",
  summary: "Show the accelerators, drivers and device nodes each vendor discovers",
  description: `
For every vendor plugin (or the one named by --vendor): where its facts come from
(procfs, sysfs, …), the driver version, each device with its index, UUID or id,
model, PCI bus id and device nodes, partitions (NVIDIA MIG) under their parent,
control nodes, and notes about what could not be determined.
Use --host-root DIR to look at a simulated host.`,
  options: {
    vendor: { type: "string", valueName: "ID", description: "only this vendor (nvidia, ascend, amd)" },
  },
  examples: ["actk info", "actk --host-root /tmp/h info --json", "actk info --vendor nvidia"],
  run({ values, ctx, out }) {
    const want = values.vendor as string | undefined;
    const vendors = ctx.vendors(want);
    const discoveries = vendors.map((v) => publicDiscovery(v.discover()));
    out.data({ hostRoot: ctx.host.root, vendors: discoveries }, () => {
      const lines: string[] = [];
      for (const d of discoveries) {
        lines.push(`${d.vendor}: source: ${d.source}, driver: ${d.driverVersion ?? "unknown"}, devices: ${d.devices.filter((x) => x.parent === undefined).length}`);
        for (const dev of d.devices) {
          const indent = dev.parent !== undefined ? "    " : "  ";
          const id = dev.uuid ? ` ${dev.uuid}` : "";
          lines.push(`${indent}${dev.parent !== undefined ? "MIG " : ""}${dev.index}:${id} ${dev.model ?? ""}${dev.busId ? ` [${dev.busId}]` : ""}`.trimEnd());
          lines.push(`${indent}  nodes: ${dev.deviceNodes.map(nodeText).join(", ") || "none"}`);
        }
        if (d.controlNodes.length) lines.push(`  control nodes: ${d.controlNodes.map(nodeText).join(", ")}`);
        for (const n of d.notes) lines.push(`  note: ${n}`);
      }
      if (discoveries.length === 0) lines.push("no vendor plugin is available (see `actk plugins`)");
      return lines.join("\n");
    });
    return ExitCode.ok;
  },
};
