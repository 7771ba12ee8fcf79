/**
 * The package as a user gets it: `npm pack` of a fresh build, installed in a
 * project outside the repository, type-checked and run from its documented
 * entry points only.
 */
import { freePort } from "../support/freePort.js"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import { builtinModules } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { type ProcessResult, runOrThrow, runProcess } from "../support/process.js"
import { spawnServer } from "../support/serverProcess.js"

const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
const consumerFixture = fileURLToPath(new URL("./consumer/main.ts", import.meta.url))
const tscBin = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc")
const timeout = 240_000

let tmp = ""
let consumer = ""
let tarEntries: ReadonlyArray<string> = []

const output = (result: ProcessResult) => `${result.stdout}${result.stderr}`

const tsc = (...args: ReadonlyArray<string>) => runProcess(process.execPath, [tscBin, ...args], { cwd: consumer })

const strictTsconfig = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
    types: ["node"],
    outDir: "out",
    rootDir: "."
  },
  files: ["main.ts"]
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-package-"))
  // The packed executable's code caches go with the rest of this test's files.
  process.env.EFFECT_MLOPS_COMPILE_CACHE = path.join(tmp, "compile-cache")
  await runOrThrow("npm", ["run", "build"], { cwd: repoRoot })
  const packed = await runOrThrow("npm", ["pack", "--json", "--pack-destination", tmp], { cwd: repoRoot })
  const [{ filename }] = JSON.parse(packed) as [{ filename: string }]
  const tarball = path.join(tmp, filename)
  tarEntries = (await runOrThrow("tar", ["-tzf", tarball], { cwd: tmp })).split("\n").filter(Boolean)

  consumer = path.join(tmp, "consumer")
  const installed = path.join(consumer, "node_modules", "effect-mlops")
  fs.mkdirSync(installed, { recursive: true })
  await runOrThrow("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"], { cwd: tmp })
  // Not `npm install`: it would fetch the peers and rebuild better-sqlite3 from
  // source for minutes. The repo's node_modules holds exactly the versions the
  // package is developed against, so the consumer links to them; Node and tsc
  // follow the links to their real paths, so there is one copy of `effect`.
  const repoModules = path.join(repoRoot, "node_modules")
  for (const entry of fs.readdirSync(repoModules)) {
    if (entry === "effect-mlops" || entry.startsWith(".")) continue
    fs.symlinkSync(path.join(repoModules, entry), path.join(consumer, "node_modules", entry))
  }
  fs.writeFileSync(
    path.join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2)
  )
  fs.writeFileSync(path.join(consumer, "tsconfig.json"), JSON.stringify(strictTsconfig, null, 2))
  fs.copyFileSync(consumerFixture, path.join(consumer, "main.ts"))
}, timeout)

afterAll(() => {
  if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true })
})

describe("the npm tarball", () => {
  it("ships the built entry points, their sources for the source maps, README and LICENSE, and no tests, benchmarks or programs", () => {
    const files = tarEntries.map((entry) => entry.replace(/^package\//, ""))
    expect(files).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "LICENSE",
        "src/index.ts",
        "layers/index.ts",
        "dist/src/index.js",
        "dist/src/index.d.ts",
        "dist/layers/index.js",
        "dist/layers/index.d.ts",
        "dist/src/testing/index.js",
        "dist/src/testing/index.d.ts",
        "dist/ui/index.html"
      ])
    )
    const unwanted = files.filter(
      (file) =>
        /^(test|bench|programs|examples|data)\//.test(file) ||
        (file.endsWith(".ts") && !/^(src|layers|dist)\//.test(file)) ||
        file.startsWith("node_modules/")
    )
    expect(unwanted).toEqual([])
  })

  it("ships source maps whose sources are in the package", () => {
    const installed = path.join(consumer, "node_modules", "effect-mlops")
    const maps = tarEntries.map((entry) => entry.replace(/^package\//, "")).filter((file) => file.endsWith(".map"))
    expect(maps.length).toBeGreaterThan(0)
    const missing = maps.flatMap((map) => {
      const { sources } = JSON.parse(fs.readFileSync(path.join(installed, map), "utf8")) as { sources: Array<string> }
      return sources
        .map((source) => path.resolve(path.dirname(path.join(installed, map)), source))
        .filter((source) => !fs.existsSync(source))
    })
    expect(missing).toEqual([])
  })

  it("declares effect and @effect/* as peer dependencies, and every package its code imports", () => {
    const installed = path.join(consumer, "node_modules", "effect-mlops")
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as {
      readonly dependencies?: Record<string, string>
      readonly peerDependencies?: Record<string, string>
    }
    const peers = Object.keys(manifest.peerDependencies ?? {})
    const dependencies = Object.keys(manifest.dependencies ?? {})
    expect(peers).toContain("effect")
    expect(dependencies.filter((name) => name === "effect" || name.startsWith("@effect/"))).toEqual([])

    const imported = new Set<string>()
    // Statements only (tsc emits them at the start of a line), not the import examples in TSDoc comments.
    const specifier = /^(?:import|export)\b[^;\n]*?\bfrom\s*["']([^"'.][^"']*)["'];?$/gm
    for (const file of fs.readdirSync(path.join(installed, "dist"), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".js")) continue
      for (const match of fs.readFileSync(path.join(installed, "dist", file), "utf8").matchAll(specifier)) {
        const name = match[1] ?? ""
        if (name.startsWith("node:") || builtinModules.includes(name)) continue
        imported.add(name.startsWith("@") ? name.split("/").slice(0, 2).join("/") : (name.split("/")[0] ?? name))
      }
    }
    expect(imported.has("effect")).toBe(true)
    expect([...imported].filter((name) => !peers.includes(name) && !dependencies.includes(name))).toEqual([])
  })
})

describe("a consumer project", () => {
  it(
    "type-checks against the packed declarations under strict settings, the declarations themselves included",
    async () => {
      // skipLibCheck off checks our .d.ts files too; DOM because @effect/platform's declarations name DOM types.
      const result = await tsc("--noEmit", "-p", ".", "--skipLibCheck", "false", "--lib", "ES2022,DOM")
      expect(output(result)).toBe("")
      expect(result.status).toBe(0)
    },
    timeout
  )

  it(
    "gets real types, not any: misuse of the API is a compile error",
    async () => {
      const misuse = [
        'import { Effect } from "effect"',
        'import { ExperimentTracker, type RunId } from "effect-mlops"',
        'import { makeBasicLayer } from "effect-mlops/layers"',
        "export const logText = (runId: RunId) =>",
        '  Effect.flatMap(ExperimentTracker, (tracker) => tracker.logMetric(runId, { key: "loss", value: "high" }))',
        "export const noPath = makeBasicLayer({})"
      ]
      fs.writeFileSync(path.join(consumer, "misuse.ts"), `${misuse.join("\n")}\n`)
      fs.writeFileSync(
        path.join(consumer, "tsconfig.misuse.json"),
        JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { noEmit: true }, files: ["misuse.ts"] })
      )
      const result = await tsc("-p", "tsconfig.misuse.json")
      const errors = output(result)
        .split("\n")
        .filter((line) => line.includes("error TS"))
      const at = (line: number, text: string) => `misuse.ts(${line},${(misuse[line - 1] ?? "").indexOf(text) + 1})`
      expect(result.status).not.toBe(0)
      expect(errors.map((line) => line.replace(/\).*$/, ")"))).toEqual([at(5, "value:"), at(6, "{}")])
      expect(errors[0]).toContain("Type 'string' is not assignable to type 'number'")
      expect(errors[1]).toContain("not assignable to parameter of type 'BasicLayerOptions'")
    },
    timeout
  )

  it(
    "compiles and runs a tracked program on makeBasicLayer, TestLayer and a custom composition",
    async () => {
      const compiled = await tsc("-p", ".")
      expect(output(compiled)).toBe("")
      const dataPath = path.join(tmp, "data")
      const result = await runProcess(process.execPath, [path.join("out", "main.js"), dataPath], { cwd: consumer })
      expect(result.stderr).toBe("")
      expect(result.status).toBe(0)
      const lines = result.stdout.trim().split("\n")
      const expected = {
        status: "FINISHED",
        params: { learning_rate: "0.1" },
        loss: [0.5, 0.25],
        weights: "weights",
        championVersion: "1",
        championIsRun: true,
        missingAlias: "AliasNotFound"
      }
      expect(JSON.parse(lines[lines.length - 1] ?? "")).toEqual({
        basic: expected,
        test: expected,
        custom: expected,
        invalidPath: true,
        sameTestLayer: true,
        memoryLayers: ["artifactStore", "datasets", "experimentTracker", "loggedModels", "modelRegistry"]
      })
      expect(fs.existsSync(path.join(dataPath, "basic", "mlops.db"))).toBe(true)
      expect(fs.readdirSync(path.join(dataPath, "basic", "artifacts"))).not.toEqual([])
      expect(fs.existsSync(path.join(dataPath, "custom", "metadata.db"))).toBe(true)
    },
    timeout
  )

  it("imports only the documented entry points", () => {
    const source = fs.readFileSync(consumerFixture, "utf8")
    const specifiers = [...source.matchAll(/^import .* from "([^"]+)"$/gm)].map((match) => match[1])
    expect(new Set(specifiers)).toEqual(
      new Set(["node:path", "effect", "effect-mlops", "effect-mlops/layers", "effect-mlops/testing"])
    )
  })

  it("cannot reach modules the package does not export", async () => {
    const result = await runProcess(
      process.execPath,
      ["--input-type=module", "-e", 'await import("effect-mlops/dist/src/core/limits.js")'],
      { cwd: consumer }
    )
    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED")
  })
})

describe("the packed executable", () => {
  const bin = () => path.join(consumer, "node_modules", "effect-mlops", "dist", "bin", "effect-mlops.mjs")

  /** The packed server on a fresh data directory in `tmp`, and a GET of one of its paths. */
  const servePacked = (dataName: string) =>
    Effect.gen(function* () {
      const port = yield* freePort
      yield* spawnServer(path.join(tmp, dataName), port, { executable: bin() })
      return (route: string) =>
        Effect.promise(async () => {
          const response = await fetch(`http://127.0.0.1:${port}${route}`)
          return { status: response.status, type: response.headers.get("content-type"), text: await response.text() }
        })
    })

  it("is declared as the package's bin and runs from the install", async () => {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(consumer, "node_modules", "effect-mlops", "package.json"), "utf8")
    ) as { readonly bin?: Record<string, string> }
    expect(manifest.bin).toEqual({ "effect-mlops": "./dist/bin/effect-mlops.mjs" })
    const version = await runProcess(bin(), ["--version"], { cwd: consumer })
    expect(version.status).toBe(0)
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/)
  })

  describe("code cache", () => {
    const runVersion = (cacheDir: string) =>
      runProcess(bin(), ["--version"], { cwd: consumer, env: { EFFECT_MLOPS_COMPILE_CACHE: cacheDir } })
    const cacheFiles = (cacheDir: string) => fs.readdirSync(cacheDir).map((name) => path.join(cacheDir, name))

    it("is written by the first run and loaded, unchanged, by the next", async () => {
      const cacheDir = path.join(tmp, "compile-cache-reuse")
      expect((await runVersion(cacheDir)).status).toBe(0)
      const [file = "", ...others] = cacheFiles(cacheDir)
      expect(others).toEqual([])
      expect(fs.statSync(file).size).toBeGreaterThan(100_000)
      const written = fs.statSync(file).mtimeMs
      expect((await runVersion(cacheDir)).status).toBe(0)
      expect(cacheFiles(cacheDir)).toEqual([file])
      expect(fs.statSync(file).mtimeMs).toBe(written)
    })

    it("keeps the 16 newest files of its directory", async () => {
      const cacheDir = path.join(tmp, "compile-cache-prune")
      fs.mkdirSync(cacheDir)
      const stale = Array.from({ length: 20 }, (_, i) => path.join(cacheDir, `stale-${i}.bin`))
      stale.forEach((file, i) => {
        fs.writeFileSync(file, "from an older build")
        fs.utimesSync(file, 1_000_000 + i, 1_000_000 + i)
      })
      expect((await runVersion(cacheDir)).status).toBe(0)
      const kept = fs.readdirSync(cacheDir)
      expect(kept).toHaveLength(16)
      expect(kept.filter((name) => !name.startsWith("stale-"))).toHaveLength(1)
      // The oldest went first.
      expect(kept).not.toContain("stale-0.bin")
      expect(kept).toContain("stale-19.bin")
    })

    it(
      "shipped for the server, is loaded by its first start, which writes none of its own",
      () =>
        Effect.runPromise(
          Effect.gen(function* () {
            const cacheDir = path.join(tmp, "compile-cache-shipped")
            const shipped = path.join(path.dirname(bin()), "effect-mlops.server.cache")
            expect(fs.statSync(shipped).size).toBeGreaterThan(100_000)
            const server = yield* spawnServer(path.join(tmp, "shipped-cache-data"), yield* freePort, {
              executable: bin(),
              env: { EFFECT_MLOPS_COMPILE_CACHE: cacheDir }
            })
            server.child.kill("SIGINT")
            expect(yield* Effect.promise(() => server.exited)).toBe(0)
            // V8 rejecting it (another V8, other flags, another bundle) would have had the launcher write one.
            expect(fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []).toEqual([])
          }).pipe(Effect.scoped)
        ),
      timeout
    )

    it(
      "written by a server that ran past start-up, when V8 turns to optimizing sooner, is loaded by its next start",
      () =>
        Effect.runPromise(
          Effect.gen(function* () {
            const cacheDir = path.join(tmp, "compile-cache-server")
            // Other V8 flags than the shipped cache's: V8 rejects that one, so the server writes its own.
            const env = { EFFECT_MLOPS_COMPILE_CACHE: cacheDir, NODE_OPTIONS: "--stack-trace-limit=20" }
            const servePastStartUp = (dataName: string) =>
              Effect.scoped(
                Effect.gen(function* () {
                  const server = yield* spawnServer(path.join(tmp, dataName), yield* freePort, {
                    executable: bin(),
                    env
                  })
                  yield* Effect.sleep("2500 millis")
                  server.child.kill("SIGINT")
                  expect(yield* Effect.promise(() => server.exited)).toBe(0)
                })
              )
            yield* servePastStartUp("server-cache-first")
            const [file = "", ...others] = cacheFiles(cacheDir)
            expect(others).toEqual([])
            const written = fs.statSync(file).mtimeMs
            // Had the cache recorded the flags as changed after start-up, V8 would reject it and it would be rewritten.
            yield* servePastStartUp("server-cache-next")
            expect(cacheFiles(cacheDir)).toEqual([file])
            expect(fs.statSync(file).mtimeMs).toBe(written)
          })
        ),
      timeout
    )

    it("rejected by V8 (here: corrupt), is replaced while the command still runs", async () => {
      const cacheDir = path.join(tmp, "compile-cache-corrupt")
      expect((await runVersion(cacheDir)).status).toBe(0)
      const [file = ""] = cacheFiles(cacheDir)
      fs.writeFileSync(file, "not a code cache")
      const result = await runVersion(cacheDir)
      expect(result.status).toBe(0)
      expect(result.stdout).toMatch(/\d+\.\d+\.\d+/)
      expect(fs.statSync(file).size).toBeGreaterThan(100_000)
    })
  })

  it(
    "creates and lists experiments in a data directory, and fails a bad flag with exit code 2",
    async () => {
      const data = path.join(tmp, "cli-data")
      const created = await runProcess(bin(), ["experiments", "create", "packed", "--data", data], { cwd: consumer })
      expect(output(created)).not.toMatch(/error/i)
      expect(created.status).toBe(0)
      const listed = await runProcess(bin(), ["experiments", "list", "--data", data, "--json"], { cwd: consumer })
      expect(listed.status).toBe(0)
      expect(JSON.stringify(JSON.parse(listed.stdout))).toContain('"packed"')
      const usage = await runProcess(bin(), ["experiments", "list", "--no-such-flag"], { cwd: consumer })
      expect(usage.status).toBe(2)
    },
    timeout
  )

  it(
    "serves the web UI shipped in the package at / and at the app's own paths",
    () =>
      Effect.runPromise(
        Effect.gen(function* () {
          const get = yield* servePacked("ui-data")
          const page = yield* get("/experiments/1")
          expect(page.status).toBe(200)
          expect(page.text).toContain('<div id="app">')
          const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1] ?? "/assets/missing.js"
          const asset = yield* get(script)
          expect(asset.status).toBe(200)
          expect(asset.type).toMatch(/javascript/)
        }).pipe(Effect.scoped)
      ),
    timeout
  )

  it(
    "serves the API reference at /docs with Scalar's script, shipped beside the executable",
    () =>
      Effect.runPromise(
        Effect.gen(function* () {
          const get = yield* servePacked("docs-data")
          const page = yield* get("/docs")
          expect(page.status).toBe(200)
          expect(page.text).toContain("@scalar/api-reference")
          expect(page.text).toContain('"openapi":"3.1.0"')
        }).pipe(Effect.scoped)
      ),
    timeout
  )
})
