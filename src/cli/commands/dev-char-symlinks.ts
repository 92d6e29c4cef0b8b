import type { Command } from "../command.js";
import { ActkError, ExitCode } from "../../core/errors.js";
import { formatTable } from "../output.js";
import { applyDevCharLinks, discoveryCharNodes, planDevCharLinks, type CharNodeRef } from "../../host/dev-char-links.js";

/** `actk system create-dev-char-symlinks`: wired into the `system` command group. */
export const createDevCharSymlinksCommand: Command = {
  name: "create-dev-char-symlinks",
  summary: "Create /dev/char/MAJOR:MINOR links for accelerator nodes (keeps access after daemon-reload)",
  description:
    "With the systemd cgroup driver, `systemctl daemon-reload` revokes devices that were granted to a\n" +
    "container outside its OCI spec (legacy hooks, docker --gpus) unless systemd finds them through\n" +
    "/dev/char/MAJOR:MINOR. This creates those links for every device and control node the vendor\n" +
    "plugins discover. Without --create-all only nodes that exist are linked; with it, links are made\n" +
    "for every node the driver will create, so a udev rule at boot can run it before any node exists.",
  options: {
    "create-all": { type: "boolean", description: "also link nodes that do not exist yet (from /proc/devices and the driver's facts)" },
    "dev-char-path": { type: "string", valueName: "DIR", default: "/dev/char", description: "where the links go" },
    "dry-run": { type: "boolean", description: "print what would be linked, change nothing" },
    vendor: { type: "string", valueName: "ID", default: "all", description: "limit to vendors (nvidia, ascend, amd; comma list)" },
  },
  examples: ["actk system create-dev-char-symlinks --create-all", "actk system create-dev-char-symlinks --dry-run --json"],
  run({ values, ctx, out }) {
    const devCharPath = values["dev-char-path"] as string;
    if (!devCharPath.startsWith("/")) {
      // The links' relative targets are computed from the host path; a relative one would dangle.
      throw new ActkError(`"${devCharPath}" is not an absolute path`, { place: "--dev-char-path", exitCode: ExitCode.usage, fix: "give the directory as the host sees it, e.g. /dev/char" });
    }
    const nodes: CharNodeRef[] = ctx.vendors(values.vendor as string).flatMap((v) => discoveryCharNodes(v.discover()));
    const plan = planDevCharLinks(ctx.host, nodes, { createAll: Boolean(values["create-all"]), devCharPath });
    const warnings = values["dry-run"] ? [] : applyDevCharLinks(ctx.host, plan);
    for (const w of warnings) out.warn(w);
    const verb = values["dry-run"] ? "would " : "";
    out.data({ dryRun: Boolean(values["dry-run"]), links: plan, warnings }, () =>
      plan.length
        ? formatTable(["LINK", "TARGET", "ACTION"], plan.map((l) => [l.link, l.target, `${verb}${l.action}${l.note ? ` (${l.note})` : ""}`]))
        : "no accelerator device nodes found; nothing to link",
    );
    return 0;
  },
};
