#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=65536 node --max-semi-space-size=4 --max-old-space-size=256 --no-parallel-scavenge
/**
 * The `effect-mlops` executable as installed: it runs the bundled CLI
 * (`effect-mlops.cjs` beside it, built from `bin.ts` by
 * `scripts/build-cli.ts`) through V8's code cache, which Node 20 offers to
 * scripts but not to ES modules (`module.enableCompileCache` came in Node
 * 22). Compiling the 2.8 MB bundle and the functions a server runs while
 * starting took about a third of its start; from the cache they are
 * deserialized instead (`/readyz` from spawn 0.75–1.15 s instead of
 * 1.1–1.9 s in bench/http.ts's runs).
 *
 * One cache file per command, Node version, V8 flags and bundle, in
 * `$EFFECT_MLOPS_COMPILE_CACHE` (default: `effect-mlops/compile-cache` in
 * the user's cache directory, `$XDG_CACHE_HOME` or `~/.cache`; not the
 * shared temporary directory, where another user could plant code). It is
 * written when missing or rejected by V8: two seconds after start (a server
 * has started by then, so its start-up functions are in it) or at exit,
 * whichever comes first; the directory keeps the 16 newest. A directory
 * that cannot be written, or `NODE_DISABLE_COMPILE_CACHE=1`, only costs the
 * speed.
 *
 * `server` has one more: the build starts the server it built once and
 * ships that start's cache beside the bundle (`effect-mlops.server.cache`),
 * so the first start after a build or an install loads it instead of
 * compiling. V8 accepts it only from the same V8 version and flags and for
 * a script of the same length (it checks those itself); from another Node
 * version it is rejected and the user's own cache is written as above.
 *
 * The V8 flags keep a long-running server small: requests allocate short-
 * lived objects, and 4 MB semi-spaces plus a capped old space make
 * V8 collect them instead of growing the heap (peak RSS under the ingest
 * bench 135–139 MB; 1 MB semi-spaces save 7 MB of it but scavenge almost
 * every 1000-point request, about 0.4 ms more each; see bench/http.ts). A
 * scavenge finds little alive in 4 MB, so the main thread scavenges alone:
 * waking V8's helper threads made each scavenge take longer (about 1.05
 * against 0.7 ms under run creation, 2.3 against 1.8 ms under ingest, on
 * two cores). Run `node --max-old-space-size=N <bin>` to raise the cap.
 * `MALLOC_TRIM_THRESHOLD_` fixes glibc's threshold for handing the top of
 * its heap back to the system at 64 KB (by default it starts at 128 KB and
 * rises as large blocks are freed, as ingest's request bodies are): 5–7 MB
 * less peak RSS under ingest, about what the WAL checkpoints' worker thread
 * costs (`layers/walCheckpoints.ts`). Other C libraries ignore it.
 * Two seconds after start, once the cache is written or loaded, V8 is told
 * to optimize hot functions sooner ({@link servingInterruptBudget}).
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as v8 from "node:v8"
import * as vm from "node:vm"

/** How long start-up lasts: a server has started by then. */
const startUp = 2000

/**
 * V8's interrupt budget once start-up is over, an eighth of its default
 * (67,584 bytes of bytecode run between two looks at whether a function is
 * hot): a server's request paths get optimized after a few hundred
 * requests instead of a few thousand. From process start it cost the
 * server's start 105–170 ms (more functions optimized while starting), so
 * it is set once start-up is over. Changed any earlier, it would also
 * change the flags a code cache written by this process records, and V8
 * would reject that cache in every later start.
 */
const servingInterruptBudget = 8192

const bundle = path.join(path.dirname(fileURLToPath(import.meta.url)), "effect-mlops.cjs")

const cacheFile = (): string | undefined => {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === "1") return undefined
  const stat = fs.statSync(bundle)
  const key = createHash("sha256")
    .update(
      JSON.stringify([
        process.version,
        process.arch,
        // V8 rejects a cache made under other flags, wherever they were given.
        process.execArgv,
        process.env.NODE_OPTIONS ?? "",
        stat.size,
        stat.mtimeMs,
        process.argv[2] ?? ""
      ])
    )
    .digest("hex")
    .slice(0, 32)
  const directory =
    process.env.EFFECT_MLOPS_COMPILE_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "effect-mlops", "compile-cache")
  return path.join(directory, `${key}.bin`)
}

const readCache = (file: string | undefined): Buffer | undefined => {
  if (file === undefined) return undefined
  try {
    return fs.readFileSync(file)
  } catch {
    return undefined
  }
}

/** How many cache files a directory keeps: every build or install makes new ones, so the oldest go. */
const keptFiles = 16

const pruneCache = (directory: string): void => {
  const files = fs
    .readdirSync(directory)
    .filter((name) => name.endsWith(".bin"))
    .map((name) => {
      const file = path.join(directory, name)
      return { file, mtimeMs: fs.statSync(file).mtimeMs }
    })
    .sort((a, b) => b.mtimeMs - a.mtimeMs)
  for (const { file } of files.slice(keptFiles)) fs.rmSync(file, { force: true })
}

/** Written whole under a temporary name, then renamed: a concurrent start never reads half a file. */
const writeCache = (file: string, script: vm.Script): void => {
  const partial = `${file}.${process.pid}`
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    fs.writeFileSync(partial, script.createCachedData())
    fs.renameSync(partial, file)
    pruneCache(path.dirname(file))
  } catch {
    // Read-only, full, or pruned by a concurrent start: the next start compiles again. Asynchronous, so it never throws.
    fs.rm(partial, { force: true }, () => {})
  }
}

/** The cache `scripts/build-cli.ts` made for `server`, read when the user has none of their own. */
const shippedCache = (file: string | undefined): Buffer | undefined =>
  file !== undefined && process.argv[2] === "server"
    ? readCache(path.join(path.dirname(bundle), "effect-mlops.server.cache"))
    : undefined

const file = cacheFile()
// esbuild writes ASCII (it escapes the rest), for which latin1 is the fastest exact decoding.
const source = fs.readFileSync(bundle, "latin1")
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  cachedData: readCache(file) ?? shippedCache(file),
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
})
let written = file === undefined || script.cachedDataRejected === false
const write = () => {
  if (written || file === undefined) return
  written = true
  writeCache(file, script)
}
process.once("exit", write)
setTimeout(() => {
  write()
  v8.setFlagsFromString(`--interrupt-budget=${servingInterruptBudget}`)
}, startUp).unref()
const run: (...args: ReadonlyArray<unknown>) => void = script.runInThisContext()
const module = { exports: {} }
run(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle))
