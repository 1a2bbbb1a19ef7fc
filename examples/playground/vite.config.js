// Vite bundles the playground into dist/: two pages (the playground and the
// benchmark page), the wasm module as an asset, the policies from
// ../../policies inlined at build time. `base: "./"` makes every URL
// relative, so dist/ works from any static server and any sub-path.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  server: { host: "127.0.0.1", fs: { allow: [resolve(import.meta.dirname, "../..")] } },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    // The wasm module stays a file of its own (never inlined as base64).
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, "index.html"),
        bench: resolve(import.meta.dirname, "bench.html"),
      },
    },
  },
});
