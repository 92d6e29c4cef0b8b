// Bundles each entry point into one ESM file so start-up never walks node_modules.
import { build } from "esbuild";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, copyFileSync } from "node:fs";
import { compileNativeLauncher } from "./native-launcher.mjs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
mkdirSync("dist/bin", { recursive: true });
mkdirSync("dist/lib", { recursive: true });

// Node-side programs. actk-runtime's Node part lives in dist/lib: dist/bin/actk-runtime is a
// POSIX sh launcher (src/runtime/launcher.sh) when present, so non-GPU containers never start Node.
const hasLauncher = existsSync("src/runtime/launcher.sh");
// hot: started per container (the runtime's JS part, the hook), so start-up cost is per container.
const entries = [
  { in: "src/bin/actk.ts", out: "dist/bin/actk", cli: true },
  { in: "src/bin/actk-hook.ts", out: "dist/bin/actk-hook", hot: true },
  { in: "src/bin/actk-runtime.ts", out: hasLauncher ? "dist/lib/actk-runtime.mjs" : "dist/bin/actk-runtime", hot: true, runtime: true },
];

// In the per-container programs, node:crypto and node:child_process are loaded on first use:
// on Bun their modules pull in the stream machinery (≈15–30 ms each), and most runs never call them.
/**
 * Stand-in exports that forward each call (or `new`) to the function of the same name on the
 * module `target` evaluates to, so the module is loaded (or a getter read) only when called.
 */
const forwarders = (names, target) =>
  names.map((k) => `export function ${k}(...a) { return new.target ? new (${target}.${k})(...a) : ${target}.${k}.apply(this, a); }`);

const lazyBuiltins = ["node:crypto", "node:child_process"];
// The CLI does the same (cdi generate, info and explain never spawn), and so with node:net, which only
// `actk runtime`'s helper socket uses.
const lazyBuiltinsCli = [...lazyBuiltins, "node:net"];
function lazyBuiltinsPluginFor(modules) {
  return {
    name: "lazy-builtins",
    setup(b) {
      const filter = new RegExp(`^(${modules.map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`);
      b.onResolve({ filter }, (a) => (a.namespace === "lazy-builtin" ? { path: a.path, external: true } : { path: a.path, namespace: "lazy-builtin" }));
      b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, async (a) => {
        const real = await import(a.path);
        const names = Object.keys(real).filter((k) => k !== "default" && /^[A-Za-z_$][\w$]*$/.test(k) && typeof real[k] === "function");
        const lines = [`let m; const load = () => (m ??= require(${JSON.stringify(a.path)}));`, ...forwarders(names, "load()")];
        lines.push(`export default new Proxy({}, { get: (_, k) => load()[k] });`);
        return { contents: lines.join("\n"), loader: "js" };
      });
    },
  };
}
const lazyBuiltinsPlugin = lazyBuiltinsPluginFor(lazyBuiltins);

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

// In the CLI, the other Node built-ins are taken with the bundle's `require` instead of `import`: an ESM
// import of a built-in builds its ESM facade, which reads every export (node:fs's ReadStream getter alone
// loads the whole stream machinery, ≈4 ms). The stand-in module exports the same names: plain values as
// they are, getters (node:util's parseArgs, node:fs's opendir) as functions that read the getter on call.
// A getter whose value is not a function (fs.promises) has no stand-in, and using it fails the build.
const requireHere = createRequire(import.meta.url);
const requiredBuiltinsPlugin = {
  name: "required-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => (a.namespace === "required-builtin" ? { path: a.path, external: true } : { path: a.path, namespace: "required-builtin" }));
    b.onLoad({ filter: /.*/, namespace: "required-builtin" }, (a) => {
      const real = requireHere(a.path);
      const ident = (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== "default";
      const props = Object.entries(Object.getOwnPropertyDescriptors(real)).filter(([k, d]) => ident(k) && d.enumerable);
      const plain = props.filter(([, d]) => !d.get).map(([k]) => k);
      const getters = props.filter(([k, d]) => d.get && typeof real[k] === "function").map(([k]) => k);
      const lines = [`const m = require(${JSON.stringify(a.path)});`, "export default m;"];
      if (plain.length) lines.push(`export const { ${plain.join(", ")} } = m;`);
      lines.push(...forwarders(getters, "m"));
      return { contents: lines.join("\n"), loader: "js" };
    });
  },
};

// In the CLI, packages that only some commands call (the YAML parser: cdi list/validate/refresh and doctor;
// the TOML and JSONC editors: runtime configure, install) are built into dist/lib/actk-cli-<name>.cjs and
// required on their first call, so commands that never call them (cdi generate, info, explain) do not parse
// ≈540 kB of code at start-up. Calls stay synchronous: the CLI bundle imports a stub whose functions load
// the real module. The names a stub exports are read from the built file; an import of a name it lacks
// (a non-function export) fails the build.
const lazyCliPackages = { "yaml": "yaml", "@decimalturn/toml-patch": "toml-patch", "jsonc-parser/lib/esm/main.js": "jsonc-parser" };
for (const f of readdirSync("dist/lib")) if (/^actk-cli-.*\.cjs$/.test(f)) rmSync(path.join("dist/lib", f));
const lazyCliExports = {};
for (const [spec, name] of Object.entries(lazyCliPackages)) {
  const outfile = `dist/lib/actk-cli-${name}.cjs`;
  await build({
    stdin: { contents: `export * from ${JSON.stringify(spec)};`, resolveDir: process.cwd(), loader: "js" },
    outfile, bundle: true, platform: "node", format: "cjs", target: "node20", legalComments: "none", logLevel: "warning", minifyWhitespace: true, minifySyntax: true,
  });
  const real = requireHere(path.resolve(outfile));
  lazyCliExports[spec] = { file: `../lib/${path.basename(outfile)}`, names: Object.keys(real).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && typeof real[k] === "function") };
}
const lazyCliPackagesPlugin = {
  name: "lazy-cli-packages",
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(lazyCliPackages).map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`);
    b.onResolve({ filter }, (a) => ({ path: a.path, namespace: "lazy-cli-package" }));
    b.onResolve({ filter: /^\.\.\/lib\/actk-cli-.*\.cjs$/ }, (a) => ({ path: a.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: "lazy-cli-package" }, (a) => {
      const { file, names } = lazyCliExports[a.path];
      // `require` is the bundle's own (the banner's createRequire), so the path is relative to dist/bin/actk.
      const lines = [`let m; const load = () => (m ??= require(${JSON.stringify(file)}));`];
      lines.push(...forwarders(names, "load()"));
      return { contents: lines.join("\n"), loader: "js" };
    });
  },
};

// The runtime's JS part is split: what only cdi mode needs (src/runtime/cdi-lib.ts, with the YAML
// parser) goes to a chunk beside it that is loaded on demand. Old chunks are removed first.
const split = (e) => e.runtime && e.out.endsWith(".mjs");
for (const f of readdirSync("dist/lib")) if (/^actk-runtime-.*\.mjs$/.test(f)) rmSync(path.join("dist/lib", f));

const results = await Promise.all(
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
      // The CLI's start-up is mostly V8 parsing its bundle: without whitespace and with shorter syntax there is
      // ≈20% less to parse (≈5 ms). Names are kept, so --debug stack traces still name the functions.
      ...(e.cli ? { minifyWhitespace: true, minifySyntax: true } : {}),
      // ACTK_HOT_PATH: the per-container programs load NVML only for requests that need it (src/core/start-path.ts).
      define: { ACTK_VERSION: JSON.stringify(pkg.version), ACTK_HOT_PATH: String(Boolean(e.hot)) },
      // koffi (NVML's FFI) is a native addon, required at run time only when NVML is used.
      external: ["koffi"],
      // `// @bun` tells Bun the file is plain JS already, so it skips its transpiler (≈60 ms for a
      // 900 kB bundle); Node reads it as a comment.
      banner: {
        js: `#!/usr/bin/env node\n${e.hot ? "// @bun\n" : ""}import { createRequire as __actkCreateRequire } from 'node:module'; const require = __actkCreateRequire(import.meta.url);`,
      },
      plugins: [
        ...(e.hot ? [lazyBuiltinsPlugin] : []), ...(e.runtime ? [runtimeOnlyPlugins(pluginData)] : []),
        // Order matters: the first plugin that resolves a built-in takes it.
        ...(e.cli ? [lazyBuiltinsPluginFor(lazyBuiltinsCli), requiredBuiltinsPlugin, lazyCliPackagesPlugin] : []),
      ],
      logLevel: "warning",
    }),
  ),
);
// A name missing from a stand-in module (a getter that is not a function, say fs.promises) is only a warning
// in esbuild, and undefined at run time: fail the build instead.
const missing = results.filter((_, i) => entries[i].cli).flatMap((r) => r.warnings)
  .filter((w) => /"(required-builtin|lazy-builtin|lazy-cli-package):/.test(w.text));
if (missing.length) throw new Error(`the CLI uses names its stand-in modules do not export:\n${missing.map((w) => w.text).join("\n")}`);
for (const e of entries) chmodSync(e.out, 0o755);
if (hasLauncher) {
  // dist/lib/actk-runtime.sh is the whole launcher; dist/bin/actk-runtime is the native launcher
  // (src/runtime/launcher.c: its fast path, no shell per call) when this machine can compile it,
  // else a copy of the sh launcher. docs/runtime.md "The launcher".
  copyFileSync("src/runtime/launcher.sh", "dist/lib/actk-runtime.sh");
  chmodSync("dist/lib/actk-runtime.sh", 0o755);
  const native = buildNativeLauncher("src/runtime/launcher.c", "dist/bin/actk-runtime");
  if (!native.built) {
    if (process.env.CI === "true" && process.env.ACTK_LAUNCHER !== "sh") {
      throw new Error(`the native launcher did not build in CI (${native.why}). Fix: install gcc and libc6-dev (scripts/install-test-deps.sh)`);
    }
    if (process.env.ACTK_LAUNCHER !== "sh") console.warn(`build: dist/bin/actk-runtime is the sh launcher: ${native.why} (docs/runtime.md "The launcher")`);
    copyFileSync("src/runtime/launcher.sh", "dist/bin/actk-runtime");
    chmodSync("dist/bin/actk-runtime", 0o755);
  }
}

/** The native launcher (scripts/native-launcher.mjs), unless ACTK_LAUNCHER=sh (a build for another architecture, or to measure the sh launcher). */
function buildNativeLauncher(src, out) {
  if (process.env.ACTK_LAUNCHER === "sh") return { built: false, why: "ACTK_LAUNCHER=sh" };
  return compileNativeLauncher(src, out);
}
