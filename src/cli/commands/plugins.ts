import type { Command } from "../command.js";
import { formatTable } from "../output.js";

export const pluginsCommand: Command = {
  name: "plugins",
  summary: "List plugins (vendors, engines) with their status and errors",
  description: "A plugin that failed to initialise is listed with its error; the others keep working.",
  examples: ["actk plugins", "actk plugins --json"],
  run({ ctx, out }) {
    const rows = ctx.plugins.records.map((r) => ({
      type: r.type, id: r.id, requires: [...r.requires], status: r.status, error: r.error ?? null,
    }));
    out.data({ plugins: rows }, () =>
      formatTable(["TYPE", "ID", "STATUS", "ERROR"], rows.map((r) => [r.type, r.id, r.status, r.error ?? ""])),
    );
    return 0;
  },
};
