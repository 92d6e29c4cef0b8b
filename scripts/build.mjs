// Bundles each entry point into one ESM file so start-up never walks node_modules.
import { build } from "esbuild";
import { chmodSync, mkdirSync, readFileSync, existsSync, copyFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
mkdirSync("dist/bin", { recursive: true });
mkdirSync("dist/lib", { recursive: true });

// Node-side programs. actk-runtime's Node part lives in dist/lib: dist/bin/actk-runtime is a
// POSIX sh launcher (src/runtime/launcher.sh) when present, so non-GPU containers never start Node.
const hasLauncher = existsSync("src/runtime/launcher.sh");
const entries = [
  { in: "src/bin/actk.ts", out: "dist/bin/actk" },
  { in: "src/bin/actk-hook.ts", out: "dist/bin/actk-hook" },
  { in: "src/bin/actk-runtime.ts", out: hasLauncher ? "dist/lib/actk-runtime.mjs" : "dist/bin/actk-runtime" },
];

await Promise.all(
  entries.map((e) =>
    build({
      entryPoints: [e.in],
      outfile: e.out,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: false,
      legalComments: "none",
      define: { ACTK_VERSION: JSON.stringify(pkg.version) },
      banner: {
        js: "#!/usr/bin/env node\nimport { createRequire as __actkCreateRequire } from 'node:module'; const require = __actkCreateRequire(import.meta.url);",
      },
      logLevel: "warning",
    }),
  ),
);
for (const e of entries) chmodSync(e.out, 0o755);
if (hasLauncher) {
  copyFileSync("src/runtime/launcher.sh", "dist/bin/actk-runtime");
  chmodSync("dist/bin/actk-runtime", 0o755);
}
