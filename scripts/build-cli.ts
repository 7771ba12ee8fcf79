/**
 * build-cli: the `effect-mlops` executable in `dist/bin/`.
 *
 * - `effect-mlops.cjs`: `src/cli/bin.ts` and everything it imports (but
 *   `better-sqlite3`, a native addon) in one CommonJS script, the form
 *   Node 20 can load through V8's code cache.
 * - `effect-mlops.mjs`: `src/cli/launcher.ts`, the `bin` that loads it
 *   through that cache.
 * - `scalar-api-reference.js`: the script of the `/docs` page, which
 *   `@effect/platform` ships as a 3.4 MB string literal. Kept out of the
 *   bundle, the CLI reads it from this file on the first request for
 *   `/docs`; in the bundle, every process would hold its source in memory.
 *
 * Run with `npm run build:cli`.
 */
import * as esbuild from "esbuild"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { pathToFileURL } from "node:url"

const outdir = path.join("dist", "bin")
const scalarFile = "scalar-api-reference.js"
const platformScalar = path.join(
  path.dirname(createRequire(import.meta.url).resolve("@effect/platform/package.json")),
  "dist",
  "esm",
  "internal",
  "httpApiScalar.js"
)

const scalarFromFile: esbuild.Plugin = {
  name: "scalar-from-file",
  setup(build) {
    build.onLoad({ filter: /@effect[\\/]platform[\\/]dist[\\/]esm[\\/]internal[\\/]httpApiScalar\.js$/ }, () => ({
      contents: `export const javascript = require("node:fs").readFileSync(require("node:path").join(__dirname, ${JSON.stringify(scalarFile)}), "utf8")`,
      loader: "js"
    }))
  }
}

fs.rmSync(outdir, { recursive: true, force: true })

await esbuild.build({
  entryPoints: ["src/cli/bin.ts"],
  outfile: path.join(outdir, "effect-mlops.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minify: true,
  external: ["better-sqlite3"],
  // The sources resolve their package's files from import.meta.url.
  define: { "import.meta.url": "__import_meta_url" },
  banner: { js: 'var __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [scalarFromFile],
  logLevel: "warning"
})

const { javascript } = (await import(pathToFileURL(platformScalar).href)) as { readonly javascript: string }
fs.writeFileSync(path.join(outdir, scalarFile), javascript)

await esbuild.build({
  entryPoints: ["src/cli/launcher.ts"],
  outfile: path.join(outdir, "effect-mlops.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning"
})
fs.chmodSync(path.join(outdir, "effect-mlops.mjs"), 0o755)
