/**
 * Vendor-neutral: every device and control node a vendor's discovery expects
 * exists as a character device with the numbers the driver registered in
 * /proc/devices. A missing /dev/nvidia-uvm or a node left behind with old
 * numbers after a module reload is the classic "nvidia-smi works, CUDA
 * fails" failure.
 */
import type { DeviceNode } from "../../edits/container-edits.js";
import { inspectDeviceNode } from "../../host/device-node.js";
import type { CheckResult, DoctorCheck, DoctorContext } from "../check.js";

function nodeProblem(ctx: DoctorContext, n: DeviceNode, control: boolean): { summary: string; fix: string } | undefined {
  // n.path is the node as the host sees it; hostPath may already carry the host root.
  const st = inspectDeviceNode(ctx.host, n.path);
  const want = n.major !== undefined && n.minor !== undefined ? `${n.major}:${n.minor}` : undefined;
  const mknod = want ? `mknod -m ${(n.fileMode ?? 0o666).toString(8)} ${n.path} c ${n.major} ${n.minor}` : undefined;
  if (st.state === "missing") {
    return {
      summary: `${n.path} is missing${want ? ` (expected c ${want})` : ""}`,
      fix: mknod ? (control ? `actk system create-device-nodes --control-devices (or: ${mknod})` : `load the driver, or: ${mknod}`) : "load the driver module",
    };
  }
  if (st.state === "other") return { summary: `${n.path} is ${st.what}, not a character device`, fix: mknod ? `rm ${n.path} && ${mknod}` : `remove ${n.path} and reload the driver` };
  if (want && `${st.major}:${st.minor}` !== want) {
    return {
      summary: `${n.path} is c ${st.major}:${st.minor} but the driver uses ${want} (left over from an earlier module load)`,
      fix: `rm ${n.path} && ${mknod}, then \`actk cdi refresh\``,
    };
  }
  return undefined;
}

/** The first few items and a count of the rest: a summary must stay readable with 40 missing nodes. */
function listSome(items: string[], max = 3): string {
  const head = items.slice(0, max).join("; ");
  return items.length > max ? `${head}; and ${items.length - max} more (all of them with --debug)` : head;
}

export const deviceNodesCheck: DoctorCheck = {
  id: "devices",
  description: "device and control nodes exist with the numbers in /proc/devices",
  run(ctx) {
    const out: CheckResult[] = [];
    for (const vendor of ctx.vendors) {
      const d = ctx.discovery(vendor);
      const all = [...d.controlNodes, ...d.devices.flatMap((dev) => dev.deviceNodes), ...(d.missingNodes ?? [])];
      // A GPU's node is shared by its MIG partitions: check each path once.
      const nodes = all.filter((n, i) => all.findIndex((o) => o.path === n.path) === i);
      if (!d.devices.length && !nodes.length) continue;
      const id = `devices.${vendor.id}`;
      const control = new Set([...d.controlNodes, ...(d.missingNodes ?? [])].map((n) => n.path));
      const problems = nodes.map((n) => nodeProblem(ctx, n, control.has(n.path))).filter((p): p is NonNullable<typeof p> => !!p);
      if (!problems.length) {
        out.push({ id, status: "ok", summary: `${nodes.length} ${vendor.id} device nodes present with the driver's numbers` });
        continue;
      }
      out.push({
        id,
        status: "fail",
        summary: listSome(problems.map((p) => p.summary)),
        fix: listSome([...new Set(problems.map((p) => p.fix))]),
        details: problems.map((p) => `${p.summary} → ${p.fix}`),
      });
    }
    return out;
  },
};

export const driverCheck: DoctorCheck = {
  id: "driver",
  description: "each vendor's driver is loaded and its devices and version are known",
  run(ctx) {
    return ctx.vendors.map((vendor): CheckResult => {
      const d = ctx.discovery(vendor);
      const id = `driver.${vendor.id}`;
      const notes = d.notes.length ? ` (${d.notes.join("; ")})` : "";
      if (!d.devices.length) {
        return { id, status: "ok", summary: `no ${vendor.id} device found; nothing to inject for this vendor${notes}` };
      }
      const top = d.devices.filter((x) => !x.parent).length;
      const parts = d.devices.length - top;
      const what = `${top} device${top === 1 ? "" : "s"}${parts ? ` and ${parts} partition${parts === 1 ? "" : "s"}` : ""} (source: ${d.source})`;
      if (!d.driverVersion) {
        return {
          id, status: "warn",
          summary: `${what}, but the driver version could not be determined${notes}`,
          fix: "check that the driver's user-space libraries are installed and listed in ld.so.cache (run ldconfig)",
        };
      }
      return { id, status: "ok", summary: `driver ${d.driverVersion}, ${what}` };
    });
  },
};
