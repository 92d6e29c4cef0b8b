/**
 * The toolkit's own state: its config loads, the hook it writes into specs and
 * engine configs exists and is executable, its log files can be written, which
 * actk-runtime launcher it has, and (on the real host) whether the runtime helper runs.
 */
import * as fs from "node:fs";
import path from "node:path";
import type { CheckResult, DoctorCheck } from "../check.js";
import { defaultHelperDir } from "../../runtime/helper-protocol.js";
import { runningHelper } from "../../runtime/helper-pid.js";
import { isExecutableFile } from "../../core/executable.js";
import { launcherFile, runningDistDir } from "../../install/layout.js";

/**
 * Which actk-runtime launcher engines run: the one in this actk's own dist (an install's copy,
 * /usr/local/lib/actk, is the same file; a checkout's dist/ when actk runs from one).
 */
export function runtimeLauncherResult(distDir: string, arch: string = process.arch): CheckResult | undefined {
  const file = path.join(distDir, "bin", "actk-runtime");
  let head: Buffer;
  try {
    const fd = fs.openSync(file, "r");
    try {
      head = Buffer.alloc(64);
      head = head.subarray(0, fs.readSync(fd, head, 0, head.length, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined; // not a build (actk run from its sources): nothing to say
  }
  const kind = launcherFile(head, arch);
  const script = path.join(distDir, "lib", "actk-runtime.sh");
  switch (kind.kind) {
    case "foreign":
      return {
        id: "toolkit.runtime-launcher", status: "fail",
        summary: `${file} is a native launcher for another architecture (ELF machine ${kind.machine}, this host is ${arch}): engines cannot run it`,
        fix: "build actk on this architecture (npm run build), or without the native launcher (ACTK_LAUNCHER=sh npm run build), and install again",
      };
    case "native":
      return isExecutableFile(script)
        ? { id: "toolkit.runtime-launcher", status: "ok", summary: `${file} is the native launcher: no shell starts for containers that ask for no device` }
        : {
          id: "toolkit.runtime-launcher", status: "fail",
          summary: `${file} is the native launcher, but ${script} is missing or not executable: every create that asks for a device fails`,
          fix: "install actk again (actk install), which copies lib/ with bin/",
        };
    case "sh":
      return {
        id: "toolkit.runtime-launcher", status: "ok",
        summary: `${file} is the sh launcher: each runtime call starts a shell (≈0.5–1.5 ms); a build with a C compiler (gcc libc6-dev) adds the native launcher, which does not`,
      };
  }
}

function writableDir(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export const toolkitCheck: DoctorCheck = {
  id: "toolkit",
  description: "actk's config is valid, its hook is executable, its log files are writable",
  run(ctx) {
    const out: CheckResult[] = [];
    if (ctx.configError) {
      out.push({ id: "toolkit.config", status: "fail", summary: ctx.configError, fix: "correct the file as the message says, then run `actk config show`" });
    } else {
      out.push({ id: "toolkit.config", status: "ok", summary: `config from ${ctx.config.source}` });
    }
    const cfg = ctx.config.config;
    const hook = cfg.hook.path;
    const st = ctx.host.stat(hook);
    if (!st) {
      out.push({
        id: "toolkit.hook", status: "warn",
        summary: `hook ${hook} (hook.path) does not exist; specs and legacy mode that reference it will fail`,
        fix: "run `actk install` (it puts actk-hook there), or point hook.path at the actk-hook you have: actk config --set hook.path=$(command -v actk-hook) --in-place",
      });
    } else if (!st.isFile() || (st.mode & 0o111) === 0) {
      out.push({ id: "toolkit.hook", status: "fail", summary: `hook ${hook} is not an executable file`, fix: `chmod 0755 ${hook}` });
    } else {
      out.push({ id: "toolkit.hook", status: "ok", summary: `hook ${hook} is executable` });
    }
    // Config key names, as the operator writes them in the file and with `actk config --set`.
    const logs = [["runtime.log-file", cfg.runtime.logFile], ["hook.log-file", cfg.hook.logFile]] as const;
    for (const [key, file] of logs) {
      if (!file) continue;
      const dir = path.dirname(ctx.host.hostPath(file));
      const ok = fs.existsSync(ctx.host.hostPath(file)) ? writableDir(ctx.host.hostPath(file)) : writableDir(dir);
      out.push(ok
        ? { id: `toolkit.log.${key.split(".")[0]}`, status: "ok", summary: `${key} ${file} is writable` }
        : { id: `toolkit.log.${key.split(".")[0]}`, status: "warn", summary: `${key} ${file} cannot be written; failures will not be logged`, fix: `mkdir -p ${path.posix.dirname(ctx.host.hostPath(file))} (as root), or: actk config --set ${key}=PATH --in-place` });
    }
    const launcher = runtimeLauncherResult(runningDistDir());
    if (launcher) out.push(launcher);
    // The helper lives in the real host's /run and /proc: nothing to say about a simulated host.
    if (ctx.host.isRealHost) {
      const env = process.env.ACTK_RUNTIME_HELPER;
      if (env === "off") {
        out.push({ id: "toolkit.runtime-helper", status: "ok", summary: "runtime helper off (ACTK_RUNTIME_HELPER=off)" });
      } else {
        const dir = env || defaultHelperDir;
        const pid = runningHelper(dir);
        out.push(pid
          ? { id: "toolkit.runtime-helper", status: "ok", summary: `runtime helper pid ${pid} serves ${dir}` }
          : {
            id: "toolkit.runtime-helper", status: "warn",
            summary: `no runtime helper serves ${dir}: each device container's create starts a JS engine (tens of ms with bun, hundreds with Node)`,
            fix: "systemctl enable --now actk-runtime-helper.service (installed by `actk install`), or run `actk runtime helper`",
          });
      }
    }
    return out;
  },
};
