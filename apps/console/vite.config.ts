import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The server sends a strict CSP (script-src 'self', no inline script, no eval): nothing here may
// add an inline script. The modulepreload polyfill is one, so it is off (every browser the
// console supports has modulepreload).
export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
});
