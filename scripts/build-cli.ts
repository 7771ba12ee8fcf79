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
 * - `effect-mlops.server.cache`: V8's code cache of one start of the
 *   server just built, which the launcher loads on a first start (see
 *   `launcher.ts`). Starting the server is also the build's smoke test: a
 *   bundle that cannot serve fails the build.
 *
 * Run with `npm run build:cli`; `npm install` in a clone runs it too
 * (`prepare`), so the executable is there without a full build.
 */
import * as esbuild from "esbuild"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { untilReady } from "./untilReady.js"

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
const executable = path.join(outdir, "effect-mlops.mjs")
fs.chmodSync(executable, 0o755)

/**
 * Starts the built server on a scratch data directory with a cache
 * directory of its own, stops it once ready (the launcher writes its cache
 * at exit), and keeps that cache beside the bundle. Spawned as a user runs
 * it, through the shebang's flags and without `NODE_OPTIONS`, since V8
 * rejects a cache made under other flags.
 */
const warmServerCache = async (): Promise<void> => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-build-"))
  try {
    const cacheDir = path.join(scratch, "compile-cache")
    const { NODE_OPTIONS: _, NODE_DISABLE_COMPILE_CACHE: __, ...env } = process.env
    const child = spawn(executable, ["server", "--data", path.join(scratch, "data"), "--port", "0"], {
      env: { ...env, EFFECT_MLOPS_COMPILE_CACHE: cacheDir, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "inherit"]
    })
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    const url = await new Promise<string>((resolve, reject) => {
      let output = ""
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk
        const listening = /Listening on (http:\/\/[^\s"]+)/.exec(output)
        if (listening?.[1] !== undefined) resolve(listening[1])
      })
      void exited.then((code) => reject(new Error(`the built server exited (${code}) before listening:\n${output}`)))
    })
    await untilReady(url, 10)
    child.kill("SIGINT")
    const code = await exited
    if (code !== 0) throw new Error(`the built server exited with ${code} on SIGINT`)
    const [written, ...others] = fs.readdirSync(cacheDir)
    if (written === undefined || others.length > 0) throw new Error(`expected one code cache in ${cacheDir}`)
    fs.copyFileSync(path.join(cacheDir, written), path.join(outdir, "effect-mlops.server.cache"))
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true })
  }
}

await warmServerCache()
