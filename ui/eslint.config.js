import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

export default tseslint.config(
  { ignores: ["dist", "node_modules"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ["**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
    },
  },
  {
    // End-to-end tests run in Node; the functions they pass to the page run in the window.
    files: ["e2e/**/*.mjs"],
    languageOptions: {
      globals: { process: "readonly", fetch: "readonly", setTimeout: "readonly", Buffer: "readonly", document: "readonly", window: "readonly", requestAnimationFrame: "readonly" },
    },
  },
);
