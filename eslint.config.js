import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["**/vendors/nvidia/*", "**/vendors/ascend/*", "**/vendors/amd/*"],
          message: "Shared code never imports a vendor folder; go through the plugin registry." }],
      }],
    },
  },
  {
    // The registry index imports every vendor; tests and benchmarks may build vendors directly.
    files: ["src/plugins.ts", "**/*.test.ts", "test/**", "bench/**"],
    rules: { "no-restricted-imports": "off" },
  },
  // A vendor imports its own files and shared code, never another vendor.
  ...["nvidia", "ascend", "amd"].map((v) => ({
    files: [`src/vendors/${v}/**`],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["nvidia", "ascend", "amd"].filter((o) => o !== v).map((o) => `**/vendors/${o}/*`),
          message: "A vendor never imports another vendor; move shared code to src/host, src/edits or src/request." }],
      }],
    },
  })),
);
