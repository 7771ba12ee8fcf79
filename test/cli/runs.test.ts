import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ModelRegistry } from "../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { tempDir } from "../support/sqlite.js"
import { cli, cliOk, withStore } from "./harness.js"

// Three runs with different accuracies and learning rates, one experiment.
const seed = (data: string) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const experiment = yield* tracker.createExperiment({ name: "sweep" })
    const runs = []
    for (const [name, acc, lr] of [
      ["low", 0.5, "0.1"],
      ["mid", 0.8, "0.01"],
      ["high", 0.95, "0.01"]
    ] as const) {
      const run = yield* tracker.createRun({ experimentId: experiment.experimentId, runName: name })
      yield* tracker.logBatch(run.info.runId, {
        metrics: [{ key: "acc", value: acc, step: 1 }],
        params: [{ key: "lr", value: lr }]
      })
      runs.push(run.info.runId)
    }
    return { experimentId: experiment.experimentId, runs }
  }).pipe(withStore(data))

interface RunJson {
  readonly info: { readonly runId: string; readonly runName: string }
  readonly data: { readonly metrics: ReadonlyArray<{ key: string; value: number | string }> }
}

describe("effect-mlops runs", () => {
  it.scopedLive("lists the runs matching a filter, in the requested order, as JSON and as a table", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli")
      const { experimentId } = yield* seed(data)
      const filter = "params.lr = '0.01' AND metrics.acc > 0.7"
      const json = yield* cliOk(
        "runs",
        "list",
        "--data",
        data,
        "--experiment",
        experimentId,
        "--filter",
        filter,
        "--order-by",
        "metrics.acc ASC",
        "--json"
      )
      const runs = JSON.parse(json.stdout) as ReadonlyArray<RunJson>
      assert.deepStrictEqual(
        runs.map((run) => run.info.runName),
        ["mid", "high"]
      )

      // By name, descending, limited to one.
      const table = yield* cliOk(
        "runs",
        "list",
        "--data",
        data,
        "-e",
        "sweep",
        "--order-by",
        "metrics.acc DESC",
        "--max-results",
        "1"
      )
      const lines = table.stdout.trim().split("\n")
      assert.strictEqual(lines.length, 2)
      assert.match(lines[1] ?? "", /high\s+RUNNING\s+.*acc=0\.95/)
    })
  )

  it.scopedLive("fails with the filter's own message on a bad filter", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli")
      const { experimentId } = yield* seed(data)
      const result = yield* cli("runs", "list", "--data", data, "-e", experimentId, "--filter", "metrics.acc >")
      assert.strictEqual(result.code, 1)
      assert.match(result.stderr, /^error: invalid filter at position \d+/)
    })
  )

  it.scopedLive("shows a run, and exits 1 with the message for a missing or malformed run id", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli")
      const { runs } = yield* seed(data)
      const runId = runs[2] ?? ""
      const shown = yield* cliOk("runs", "show", runId, "--data", data)
      assert.include(shown.stdout, `run id:`)
      assert.include(shown.stdout, runId)
      assert.match(shown.stdout, /lr\s+0\.01/)
      const json = JSON.parse((yield* cliOk("runs", "show", runId, "--data", data, "--json")).stdout) as RunJson
      assert.strictEqual(json.info.runId, runId)

      const missing = "0".repeat(32)
      const notFound = yield* cli("runs", "show", missing, "--data", data)
      assert.strictEqual(notFound.code, 1)
      assert.strictEqual(notFound.stderr.trim(), `error: run ${missing} does not exist`)
      const malformed = yield* cli("runs", "show", "nope", "--data", data)
      assert.strictEqual(malformed.code, 1)
      assert.include(malformed.stderr, "a run id is 32 lowercase hex characters")
    })
  )

  it.scopedLive("bad flag values are usage errors (exit 2)", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli")
      assert.strictEqual((yield* cli("runs", "list", "--data", data)).code, 2)
      assert.strictEqual((yield* cli("runs", "list", "--data", data, "-e", "0", "--max-results", "lots")).code, 2)
      assert.strictEqual((yield* cli("runs", "list", "--data", data, "-e", "0", "--view", "archived")).code, 2)
      assert.strictEqual((yield* cli("runs", "show", "--data", data)).code, 2)
    })
  )
})

describe("effect-mlops models and aliases", () => {
  it.scopedLive("lists and shows models, and moves an alias", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli")
      const { runs } = yield* seed(data)
      yield* Effect.gen(function* () {
        const registry = yield* ModelRegistry
        yield* registry.createRegisteredModel({ name: "churn", description: "churn model" })
        for (const runId of runs.slice(0, 2)) {
          yield* registry.createModelVersion({ name: "churn", source: "mlflow-artifacts:/x", runId })
        }
      }).pipe(withStore(data))

      const list = yield* cliOk("models", "list", "--data", data)
      assert.match(list.stdout, /churn\s+.*churn model/)

      yield* cliOk("aliases", "set", "churn", "champion", "2", "--data", data)
      const shown = JSON.parse((yield* cliOk("models", "show", "churn", "--data", data, "--json")).stdout) as {
        model: { aliases: ReadonlyArray<{ alias: string; version: string }> }
        versions: ReadonlyArray<{ version: string; aliases: ReadonlyArray<string> }>
      }
      assert.deepStrictEqual(shown.model.aliases, [{ alias: "champion", version: "2" }])
      assert.deepStrictEqual(
        shown.versions.map((v) => [v.version, v.aliases]),
        [
          ["2", ["champion"]],
          ["1", []]
        ]
      )
      const table = yield* cliOk("models", "show", "churn", "--data", data)
      assert.match(table.stdout, /^2\s+None\s+READY\s+champion/m)

      const missingVersion = yield* cli("aliases", "set", "churn", "champion", "9", "--data", data)
      assert.strictEqual(missingVersion.code, 1)
      assert.strictEqual(missingVersion.stderr.trim(), 'error: version 9 of model "churn" does not exist')
      const missingModel = yield* cli("models", "show", "nope", "--data", data)
      assert.strictEqual(missingModel.code, 1)
      assert.strictEqual(missingModel.stderr.trim(), 'error: registered model "nope" does not exist')
    })
  )
})
