/**
 * The runnable programs, run as a user runs them (a Node process with tsx),
 * then the data they left behind read back through the public API.
 */
import { freePort } from "../support/freePort.js"
import { afterAll, assert, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  ArtifactStore,
  artifactPathFromUri,
  DatasetContextTag,
  ExperimentTracker,
  ModelRegistry,
  type Run
} from "effect-mlops"
import { makeBasicLayer } from "effect-mlops/layers"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type ProcessResult, runProcess } from "../support/process.js"

const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
const timeout = 240_000

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-programs-"))
const dataPath = path.join(tmp, "quickstart")

const runProgram = (program: string, args: ReadonlyArray<string> = []) =>
  runProcess(process.execPath, ["--import", "tsx", path.join("programs", program), ...args], {
    cwd: repoRoot,
    env: { MLOPS_DATA_DIR: dataPath }
  })

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

describe("programs/quickstart.ts", () => {
  const sweeps: Array<ProcessResult> = []

  beforeAll(async () => {
    // Sequential on purpose: the second run must find the first run's data.
    sweeps.push(await runProgram("quickstart.ts"))
    sweeps.push(await runProgram("quickstart.ts"))
  }, timeout)

  const withData = <A, E>(effect: Effect.Effect<A, E, ExperimentTracker | ModelRegistry | ArtifactStore>) =>
    effect.pipe(Effect.provide(makeBasicLayer({ dataPath })))

  /** Every run of the experiment, oldest first: the first sweep's six, then the second's. */
  const sweepRuns = Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const experiment = yield* tracker.getExperimentByName("penguins-softmax")
    const page = yield* tracker.searchRuns({
      experimentIds: [experiment.experimentId],
      orderBy: ["attributes.start_time ASC"]
    })
    return page.items
  })

  const latest = (run: Run, key: string) => run.data.metrics.find((metric) => metric.key === key)?.value ?? Number.NaN

  it("exits 0 twice and prints a table of six runs with a champion, then version 1 and version 2", () => {
    expect(sweeps.map((sweep) => ({ status: sweep.status, stderr: sweep.stderr }))).toEqual([
      { status: 0, stderr: "" },
      { status: 0, stderr: "" }
    ])
    const [first = "", second = ""] = sweeps.map((sweep) => sweep.stdout)
    for (const stdout of [first, second]) {
      const rows = stdout.split("\n").filter((line) => /^lr=\S+ l2=\S+ +[0-9a-f]{8} /.test(line))
      expect(rows).toHaveLength(6)
      expect(rows.filter((row) => row.includes("★"))).toHaveLength(1)
    }
    expect(first).toContain("★ penguins-classifier v1")
    expect(first).toContain("penguins-classifier version 1 ")
    expect(second).toContain("★ penguins-classifier v2")
    expect(second).toContain("penguins-classifier version 2 ")
  })

  it.effect("leaves twelve finished runs with their params and fifty validation accuracies each", () =>
    withData(
      Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const runs = yield* sweepRuns
        assert.strictEqual(runs.length, 12)
        for (const run of runs) {
          assert.strictEqual(run.info.status, "FINISHED")
          const params = new Map(run.data.params.map((param) => [param.key, param.value]))
          assert.includeMembers([...params.keys()], ["learning_rate", "l2", "epochs"])
          assert.strictEqual(params.get("epochs"), "50")
          const history = yield* tracker.getMetricHistory({ runId: run.info.runId, key: "val_accuracy" })
          assert.deepStrictEqual(
            history.items.map((metric) => metric.step),
            Array.from({ length: 50 }, (_, i) => i + 1)
          )
        }
      })
    )
  )

  it.effect("records the penguins dataset as each run's training input", () =>
    withData(
      Effect.gen(function* () {
        for (const run of yield* sweepRuns) {
          const training = run.inputs.filter((input) =>
            input.tags.some((tag) => tag.key === DatasetContextTag && tag.value === "training")
          )
          assert.deepStrictEqual(
            training.map((input) => input.dataset.name),
            ["palmer-penguins"]
          )
          const profile: unknown = JSON.parse(training[0]?.dataset.profile ?? "null")
          assert.deepInclude(profile, { num_rows: 344 })
        }
      })
    )
  )

  it.effect("stores each run's model.json as a parseable artifact", () =>
    withData(
      Effect.gen(function* () {
        const artifacts = yield* ArtifactStore
        for (const run of yield* sweepRuns) {
          const modelPath = yield* artifactPathFromUri(`${run.info.artifactUri}/model/model.json`)
          const bytes = yield* artifacts.getBytes(modelPath)
          const model: unknown = JSON.parse(new TextDecoder().decode(bytes))
          assert.isObject(model)
        }
      })
    )
  )

  // The program's rule: highest validation accuracy, ties broken by lower validation loss, the first one wins.
  const bestOf = (runs: ReadonlyArray<Run>) =>
    runs.reduce((a, b) =>
      latest(b, "val_accuracy") > latest(a, "val_accuracy") ||
      (latest(b, "val_accuracy") === latest(a, "val_accuracy") && latest(b, "val_loss") < latest(a, "val_loss"))
        ? b
        : a
    )

  it.effect("registers each sweep's best run as a version and moves champion from version 1 to 2", () =>
    withData(
      Effect.gen(function* () {
        const registry = yield* ModelRegistry
        const runs = yield* sweepRuns
        const versions = yield* registry.searchModelVersions({ filter: "name = 'penguins-classifier'" })
        assert.deepStrictEqual(Object.fromEntries(versions.items.map((version) => [version.version, version.runId])), {
          "1": bestOf(runs.slice(0, 6)).info.runId,
          "2": bestOf(runs.slice(6)).info.runId
        })

        const champion = yield* registry.getVersionByAlias("penguins-classifier", "champion")
        assert.strictEqual(champion.version, "2")
        assert.strictEqual(champion.runId, bestOf(runs.slice(6)).info.runId)

        const history = yield* registry.getAliasHistory("penguins-classifier", "champion")
        assert.deepStrictEqual(
          history.map((change) => [change.fromVersion, change.toVersion]),
          [
            [null, "1"],
            ["1", "2"]
          ]
        )
      })
    )
  )
})

describe("programs/custom-composition.ts", () => {
  it(
    "runs on SQLite metadata with in-memory artifacts and prints the finished run",
    async () => {
      const target = path.join(tmp, "custom")
      const result = await runProgram("custom-composition.ts", [target])
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" })
      expect(result.stdout.trim()).toBe("run demo FINISHED score=0.87 (models registered: 0)")
      expect(fs.existsSync(path.join(target, "metadata.db"))).toBe(true)
    },
    timeout
  )
})

describe("npm start (programs/quickstart.ts --serve)", () => {
  it(
    "prints the URL after the sweep and serves its results over the API until stopped",
    async () => {
      const port = await Effect.runPromise(freePort)
      const child = spawn(process.execPath, ["--import", "tsx", path.join("programs", "quickstart.ts"), "--serve"], {
        cwd: repoRoot,
        env: { ...process.env, NO_COLOR: "1", MLOPS_DATA_DIR: path.join(tmp, "served"), PORT: String(port) },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk
      })
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve))
      try {
        const url = `http://127.0.0.1:${port}`
        await expect
          .poll(() => stdout, { timeout: 180_000, interval: 200 })
          .toContain(`Serving these results at ${url}`)
        await expect
          .poll(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status, { timeout: 30_000 })
          .toBe(200)
        const experiment = (await (
          await fetch(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=penguins-softmax`)
        ).json()) as { experiment?: { name?: string } }
        expect(experiment.experiment?.name).toBe("penguins-softmax")
        expect(stdout.indexOf("Sweep of")).toBeLessThan(stdout.indexOf("Serving these results"))
      } finally {
        child.kill("SIGTERM")
      }
      expect(await exited).toBe(0)
    },
    timeout
  )
})

describe("programs/generate-runs.ts", () => {
  const generated = path.join(tmp, "generated")
  const generate = (args: ReadonlyArray<string>) =>
    runProcess(process.execPath, ["--import", "tsx", path.join("programs", "generate-runs.ts"), ...args], {
      cwd: repoRoot,
      env: { MLOPS_DATA_DIR: generated }
    })

  it(
    "writes the runs it names, each with its metrics, params and tag, and a run of long histories",
    async () => {
      const result = await generate(["--runs", "30", "--metrics", "5", "--long-metrics", "2", "--points", "2500"])
      expect(result.status).toBe(0)
      const found = await Effect.runPromise(
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const experiments = yield* tracker.searchExperiments({ filter: "name LIKE 'generated-%'" })
          const runs = experiments.items.find((e) => e.name.startsWith("generated-30-runs"))
          const long = experiments.items.find((e) => e.name.startsWith("generated-long-histories"))
          const page = yield* tracker.searchRuns({ experimentIds: [runs!.experimentId] })
          const [longRun] = (yield* tracker.searchRuns({ experimentIds: [long!.experimentId] })).items
          const history = yield* tracker.getMetricHistory({ runId: longRun!.info.runId, key: "loss_1" })
          return { page, longRun: longRun!, history }
        }).pipe(Effect.provide(makeBasicLayer({ dataPath: generated })))
      )
      expect(found.page.items).toHaveLength(30)
      expect(found.page.items.every((r) => r.data.metrics.length === 5 && r.data.params.length === 3)).toBe(true)
      expect(found.longRun.data.metrics.map((m) => m.key).sort()).toEqual(["loss_0", "loss_1"])
      expect(found.history.items).toHaveLength(2500)
    },
    timeout
  )

  it("refuses a count that is not a non-negative integer with exit code 2", async () => {
    const result = await generate(["--runs", "many"])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain("--runs takes a non-negative integer")
  })
})
