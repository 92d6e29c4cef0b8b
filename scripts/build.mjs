// Bundles each entry point into one ESM file so start-up never walks node_modules.
import { build } from "esbuild";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
mkdirSync("dist/bin", { recursive: true });
mkdirSync("dist/lib", { recursive: true });

// Node-side programs. actk-runtime's Node part lives in dist/lib: dist/bin/actk-runtime is a
// POSIX sh launcher (src/runtime/launcher.sh) when present, so non-GPU containers never start Node.
const hasLauncher = existsSync("src/runtime/launcher.sh");
// hot: started per container (the runtime's JS part, the hook), so start-up cost is per container.
const entries = [
  { in: "src/bin/actk.ts", out: "dist/bin/actk" },
  { in: "src/bin/actk-hook.ts", out: "dist/bin/actk-hook", hot: true },
  { in: "src/bin/actk-runtime.ts", out: hasLauncher ? "dist/lib/actk-runtime.mjs" : "dist/bin/actk-runtime", hot: true, runtime: true },
];

// In the per-container programs, node:crypto and node:child_process are loaded on first use:
// on Bun their modules pull in the stream machinery (≈15–30 ms each), and most runs never call them.
const lazyBuiltins = ["node:crypto", "node:child_process"];
const lazyBuiltinsPlugin = {
  name: "lazy-builtins",
  setup(b) {
    const filter = new RegExp(`^(${lazyBuiltins.map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`);
    b.onResolve({ filter }, (a) => (a.namespace === "lazy-builtin" ? { path: a.path, external: true } : { path: a.path, namespace: "lazy-builtin" }));
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, async (a) => {
      const real = await import(a.path);
      const names = Object.keys(real).filter((k) => k !== "default" && /^[A-Za-z_$][\w$]*$/.test(k) && typeof real[k] === "function");
      const lines = [`let m; const load = () => (m ??= require(${JSON.stringify(a.path)}));`];
      for (const k of names) {
        lines.push(`export function ${k}(...a) { return new.target ? new (load().${k})(...a) : load().${k}.apply(this, a); }`);
      }
      lines.push(`export default new Proxy({}, { get: (_, k) => load()[k] });`);
      return { contents: lines.join("\n"), loader: "js" };
    });
  },
};

// The runtime initialises only the host and vendor plugins (src/runtime/main.ts), but checks the
// config against every plugin's defaults, as the CLI does. So in its bundle, the engine and
// doctor plugin lists that src/plugins.ts imports are replaced by their registrations' data
// (type, id, requires, default config), taken from the real modules at build time, with an init
// that fails: their code (TOML/JSONC editors, checks) is never parsed per container.
const stubbed = {
  "./engines/index.js": "enginePlugins",
  "./doctor/builtin.js": "builtinDoctorPlugins",
  "./vendors/nvidia/doctor.js": "nvidiaDoctorPlugins",
};
async function registrationData() {
  const probe = path.join(mkdtempSync(path.join(tmpdir(), "actk-build-")), "probe.mjs");
  try {
    await build({
      stdin: {
        contents: Object.entries(stubbed).map(([f, n]) => `export { ${n} } from ${JSON.stringify(f.replace("./", "./src/"))};`).join("\n"),
        resolveDir: process.cwd(), loader: "ts",
      },
      outfile: probe, bundle: true, platform: "node", format: "esm", logLevel: "warning",
      banner: { js: "import { createRequire as __actkCreateRequire } from 'node:module'; const require = __actkCreateRequire(import.meta.url);" },
    });
    const m = await import(pathToFileURL(probe).href);
    const data = {};
    for (const [f, n] of Object.entries(stubbed)) {
      data[f] = m[n].map((r) => ({ type: r.type, id: r.id, ...(r.requires ? { requires: r.requires } : {}), ...(r.config !== undefined ? { config: r.config } : {}) }));
    }
    return data;
  } finally {
    rmSync(path.dirname(probe), { recursive: true, force: true });
  }
}
const runtimeOnlyPlugins = (data) => ({
  name: "runtime-only-plugins",
  setup(b) {
    b.onResolve({ filter: /^\.\/(engines\/index|doctor\/builtin|vendors\/nvidia\/doctor)\.js$/ }, (a) =>
      a.importer.endsWith(`${path.sep}src${path.sep}plugins.ts`) ? { path: a.path, namespace: "runtime-stub" } : undefined);
    b.onLoad({ filter: /.*/, namespace: "runtime-stub" }, (a) => ({
      loader: "js",
      contents: `const init = () => { throw new Error("this plugin is not part of actk-runtime"); };\n` +
        `export const ${stubbed[a.path]} = ${JSON.stringify(data[a.path])}.map((r) => ({ ...r, init }));\n`,
    }));
  },
});
const pluginData = await registrationData();

// The runtime's JS part is split: what only cdi mode needs (src/runtime/cdi-lib.ts, with the YAML
// parser) goes to a chunk beside it that is loaded on demand. Old chunks are removed first.
const split = (e) => e.runtime && e.out.endsWith(".mjs");
for (const f of readdirSync("dist/lib")) if (/^actk-runtime-.*\.mjs$/.test(f)) rmSync(path.join("dist/lib", f));

await Promise.all(
  entries.map((e) =>
    build({
      ...(split(e)
        ? {
          entryPoints: { [path.basename(e.out, ".mjs")]: e.in }, outdir: path.dirname(e.out), splitting: true,
          outExtension: { ".js": ".mjs" }, chunkNames: "actk-runtime-[name]-[hash]",
        }
        : { entryPoints: [e.in], outfile: e.out }),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: false,
      legalComments: "none",
      // ACTK_HOT_PATH: the per-container programs load NVML only for requests that need it (src/vendors/nvidia/nvml.ts).
      define: { ACTK_VERSION: JSON.stringify(pkg.version), ACTK_HOT_PATH: String(Boolean(e.hot)) },
      // koffi (NVML's FFI) is a native addon, required at run time only when NVML is used.
      external: ["koffi"],
      // `// @bun` tells Bun the file is plain JS already, so it skips its transpiler (≈60 ms for a
      // 900 kB bundle); Node reads it as a comment.
      banner: {
        js: `#!/usr/bin/env node\n${e.hot ? "// @bun\n" : ""}import { createRequire as __actkCreateRequire } from 'node:module'; const require = __actkCreateRequire(import.meta.url);`,
      },
      plugins: [...(e.hot ? [lazyBuiltinsPlugin] : []), ...(e.runtime ? [runtimeOnlyPlugins(pluginData)] : [])],
      logLevel: "warning",
    }),
  ),
);
for (const e of entries) chmodSync(e.out, 0o755);
if (hasLauncher) {
  copyFileSync("src/runtime/launcher.sh", "dist/bin/actk-runtime");
  chmodSync("dist/bin/actk-runtime", 0o755);
}
