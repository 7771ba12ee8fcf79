import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { BasicLayer } from "../../layers/Basic.js"
import { TestLayer } from "../../layers/Test.js"
import { ArtifactStore } from "../../src/core/artifacts/ArtifactStore.js"
import { ModelRegistry } from "../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { tempDir } from "../support/sqlite.js"

/** BasicLayer with `MLOPS_DATA_DIR` set to `dataDir`; every provide of it is a separate build. */
const basicAt = (dataDir: string) =>
  BasicLayer.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ MLOPS_DATA_DIR: dataDir }))))

describe("BasicLayer", () => {
  it.scoped("creates the MLOPS_DATA_DIR directory, even nested and missing, with mlops.db and artifacts/", () =>
    Effect.gen(function* () {
      const root = yield* tempDir("effect-mlops-basic")
      const dataDir = path.join(root, "not", "yet", "there")
      yield* Layer.build(basicAt(dataDir)).pipe(Effect.scoped)
      assert.isTrue(fs.statSync(path.join(dataDir, "mlops.db")).isFile())
      assert.isTrue(fs.statSync(path.join(dataDir, "artifacts")).isDirectory())
    })
  )

  it.scoped("keeps experiments, runs, metrics, models and artifacts from one build to the next", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDir("effect-mlops-basic")
      const runId = yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const registry = yield* ModelRegistry
        const artifacts = yield* ArtifactStore
        const experiment = yield* tracker.createExperiment({ name: "persisted" })
        const run = yield* tracker.createRun({ experimentId: experiment.experimentId, runName: "first" })
        yield* tracker.logBatch(run.info.runId, {
          metrics: [{ key: "loss", value: 0.25, step: 3 }],
          params: [{ key: "lr", value: "0.1" }]
        })
        yield* registry.createRegisteredModel({ name: "persisted-model" })
        yield* artifacts.putBytes("notes/readme.txt", "kept")
        return run.info.runId
      }).pipe(Effect.provide(basicAt(dataDir)))

      yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const registry = yield* ModelRegistry
        const artifacts = yield* ArtifactStore
        const run = yield* tracker.getRun(runId)
        assert.strictEqual(run.info.runName, "first")
        assert.strictEqual((yield* tracker.getExperimentByName("persisted")).experimentId, run.info.experimentId)
        assert.deepStrictEqual(
          run.data.metrics.map((m) => [m.key, m.step, m.value]),
          [["loss", 3, 0.25]]
        )
        assert.deepStrictEqual(
          run.data.params.map((p) => [p.key, p.value]),
          [["lr", "0.1"]]
        )
        assert.strictEqual((yield* registry.getRegisteredModel("persisted-model")).name, "persisted-model")
        assert.strictEqual(new TextDecoder().decode(yield* artifacts.getBytes("notes/readme.txt")), "kept")
      }).pipe(Effect.provide(basicAt(dataDir)))
    })
  )

  it.scoped("stores artifacts under <dataPath>/artifacts", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDir("effect-mlops-basic")
      yield* Effect.flatMap(ArtifactStore, (artifacts) => artifacts.putBytes("1/run/model/weights.bin", "w")).pipe(
        Effect.provide(basicAt(dataDir))
      )
      const onDisk = path.join(dataDir, "artifacts", "files", "1", "run", "model", "weights.bin")
      assert.strictEqual(fs.readFileSync(onDisk, "utf8"), "w")
    })
  )
})

describe("TestLayer", () => {
  it.effect("starts empty on every build: data of one build is invisible in another", () =>
    Effect.gen(function* () {
      const created = yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const artifacts = yield* ArtifactStore
        yield* artifacts.putBytes("a.txt", "a")
        return yield* tracker.createExperiment({ name: "isolated" })
      }).pipe(Effect.provide(TestLayer))
      assert.strictEqual(created.name, "isolated")

      yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const artifacts = yield* ArtifactStore
        const missing = yield* Effect.flip(tracker.getExperimentByName("isolated"))
        assert.strictEqual(missing._tag, "ExperimentNotFound")
        assert.deepStrictEqual(yield* artifacts.list(""), [])
      }).pipe(Effect.provide(TestLayer))
    })
  )
})
