import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The Tauri window loads ui/dist; `npm run dev` serves the same on :5173.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "safari16", outDir: "dist", emptyOutDir: true },
});
