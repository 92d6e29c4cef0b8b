/**
 * `actk runtime helper`: run the per-host runtime helper in the foreground
 * (systemd's actk-runtime-helper.service runs it), or report on one.
 */
import { ActkError, ExitCode } from "../../core/errors.js";
import { defaultHelperDir } from "../../runtime/helper-protocol.js";
import { runHelper } from "../../runtime/helper.js";
import { runningHelper } from "../../runtime/helper-pid.js";
import type { Command } from "../command.js";

export const helperCommand: Command = {
  name: "helper",
  summary: "Run the runtime helper that edits bundles for actk-runtime without a JS start per container",
  description: `
Listens on DIR/requests (a FIFO, mode 0600, in a directory of mode 0700) and writes its pid to
DIR/pid. actk-runtime's launcher, for a \`create\` that asks for a device, writes one line there
and waits for a signal instead of starting bun or Node: a GPU container's start then costs a few
milliseconds more than bare runc instead of a JS engine's start.
Nothing the host or the config says is kept: each request reads the config and discovers the
host afresh (for the devices it names), with the ACTK_CONFIG_FILE, ACTK_HOST_ROOT and
ACTK_RUNTIME_* values of the launcher that sent it (the engine's environment), exactly as the
launcher's own JS part would. Runs on Node or Bun (the unit \`actk install --with-node\` writes
uses the bun it installs: a request takes about two thirds of Node's time there).
Any error, a helper that is not running, or one that does not answer within
ACTK_RUNTIME_HELPER_TIMEOUT seconds (default 5) makes the launcher do the work itself, so the
helper is never required.
The launcher looks in ACTK_RUNTIME_HELPER (default ${defaultHelperDir}; \`off\` never asks).
Stops on SIGTERM or SIGINT, removing its pid file and FIFO.
--status prints the pid of the helper serving DIR and exits 0, or exits 1 when none runs.`,
  options: {
    dir: { type: "string", valueName: "DIR", description: `directory of the FIFO and pid file (default: ACTK_RUNTIME_HELPER, else ${defaultHelperDir})` },
    status: { type: "boolean", description: "report whether a helper serves DIR (exit 0) or not (exit 1); start nothing" },
  },
  examples: ["actk runtime helper", "actk runtime helper --status --json", "systemctl enable --now actk-runtime-helper.service"],
  async run(inv) {
    const envDir = inv.ctx.env.ACTK_RUNTIME_HELPER;
    const dir = (inv.values.dir as string | undefined) ?? (envDir && envDir !== "off" ? envDir : defaultHelperDir);
    if (!dir.startsWith("/")) throw new ActkError(`"${dir}" is not an absolute path`, { place: "--dir", exitCode: ExitCode.usage, fix: "give --dir an absolute path" });
    if (inv.values.status) {
      const pid = runningHelper(dir);
      inv.out.data({ dir, running: pid !== undefined, pid: pid ?? null }, () => (pid ? `runtime helper running: pid ${pid}, ${dir}/requests` : `no runtime helper serves ${dir}`));
      return pid ? ExitCode.ok : ExitCode.failed;
    }
    for (const flag of ["host-root", "config-file"]) {
      if (inv.ctx.global[flag] !== undefined) {
        throw new ActkError(`the helper does not take --${flag}: it follows each request's ACTK_HOST_ROOT and ACTK_CONFIG_FILE (the engine's environment)`, {
          place: `--${flag}`, exitCode: ExitCode.usage, fix: `drop --${flag}; set it in the engine's environment instead`,
        });
      }
    }
    await runHelper({ dir, logger: inv.ctx.logger, env: inv.ctx.env });
    return ExitCode.ok;
  },
};
