import { main } from "../cli/main.js";

// `actk … | head` closes stdout early; that is the reader's choice, not an actk error.
// Commands that change files finish their work (writes do not depend on stdout).
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
});

process.exitCode = await main(process.argv.slice(2));
