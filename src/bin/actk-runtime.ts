// Placeholder until the runtime shim lands: pass everything to runc.
import { spawnSync } from "node:child_process";

const r = spawnSync("runc", process.argv.slice(2), { stdio: "inherit" });
process.exitCode = r.status ?? 1;
