import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Component tests: the window's pieces rendered in jsdom, driven as a person would.
export default defineConfig({
  plugins: [react()],
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/testing/setup.ts"],
  },
});
