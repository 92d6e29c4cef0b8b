// actk-runtime's Node entry (dist/lib/actk-runtime.mjs); dist/bin/actk-runtime is the sh launcher.
import { runtimeMain } from "../runtime/main.js";

process.exitCode = await runtimeMain({
  argv: process.argv.slice(2),
  env: process.env,
  self: process.env.ACTK_RUNTIME_SELF ?? process.argv[1] ?? "actk-runtime",
});
