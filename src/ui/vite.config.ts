import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

/**
 * The web UI's build: `npm run build:ui` writes `dist/ui`, which the
 * tracking server serves at `/`. Everything is bundled; nothing loads from a CDN.
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: fileURLToPath(new URL("../../dist/ui", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // uPlot and Preact together stay far below this; a bigger bundle is a regression.
    chunkSizeWarningLimit: 300
  }
})
