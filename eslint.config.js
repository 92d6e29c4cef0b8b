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
    // Vendor folders may import their own files; the registry index imports every vendor.
    files: ["src/vendors/**", "src/plugins.ts", "**/*.test.ts", "test/**", "bench/**"],
    rules: { "no-restricted-imports": "off" },
  },
);
