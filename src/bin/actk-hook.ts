// actk-hook: OCI prestart hook and per-container helper hooks (src/hook/main.ts).
import { hookMain } from "../hook/main.js";

process.exitCode = hookMain(process.argv[1] ?? "actk-hook", process.argv.slice(2));
