/**
 * `npm start`: a hyperparameter sweep of a softmax-regression classifier on
 * the Palmer penguins, tracked on BasicLayer (SQLite + local artifacts under
 * MLOPS_DATA_DIR, default ./mlops-data). Every run logs params, per-epoch
 * metrics, the dataset as its input and the trained model as an artifact;
 * the best run's model becomes a new version of a registered model with the
 * alias `champion`. Running it again adds runs and a version. With
 * `--serve` (as `npm start` runs it) the tracking server then serves the
 * results.
 */
import * as path from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, Console, Effect, Layer } from "effect"
import {
  ArtifactStore,
  artifactPathFromUri,
  DataSource,
  Datasets,
  ModelRegistry,
  type RunId,
  Tracking,
  toDatasetInput
} from "../src/index.js"
import { BasicLayer } from "../layers/index.js"
import { makeServerLayer } from "../src/http/index.js"
import { trainEpochs } from "./quickstart/logistic.js"
import { loadPenguins, penguinExamples, penguinsCsvPath, splitExamples } from "./quickstart/penguins.js"

const experimentName = "penguins-softmax"
const modelName = "penguins-classifier"
const epochs = 50
const splitSeed = 42
const validationFraction = 0.3
const grid = [0.03, 0.3].flatMap((learningRate) => [0.001, 0.1, 1].map((l2) => ({ learningRate, l2 })))

interface TrialResult {
  readonly runId: RunId
  readonly runName: string
  readonly learningRate: number
  readonly l2: number
  readonly valAccuracy: number
  readonly valLoss: number
  readonly modelSource: string
}

/** A plain text table: padded columns under a header and a rule. */
const formatTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

const program = Effect.gen(function* () {
  const dataPath = yield* Config.string("MLOPS_DATA_DIR").pipe(Config.withDefault("./mlops-data"))
  const dataset = yield* loadPenguins()
  const examples = penguinExamples(dataset)
  const split = splitExamples(examples, { seed: splitSeed, validationFraction })
  // Register the CSV as a dataset version (content digest, schema and profile),
  // so every run can reference exactly the data it trained on.
  const datasets = yield* Datasets
  const penguins = yield* datasets.register({
    name: "palmer-penguins",
    source: DataSource.file(path.relative(process.cwd(), penguinsCsvPath))
  })
  // One input per run: the split into training and validation rows happens in code (seed 42, logged as params).
  const inputs = [toDatasetInput(penguins, { context: "training" })]
  const artifacts = yield* ArtifactStore

  const trial = ({ learningRate, l2 }: (typeof grid)[number]) =>
    Tracking.withRun(
      { experiment: experimentName, runName: `lr=${learningRate} l2=${l2}`, tags: { model: "softmax-regression" } },
      (run) =>
        Effect.gen(function* () {
          yield* Tracking.logParams({
            learning_rate: learningRate,
            l2,
            epochs,
            features: examples.featureNames.length,
            split_seed: splitSeed,
            validation_fraction: validationFraction
          })
          yield* Tracking.logInputs(inputs)
          let last: { valAccuracy: number; valLoss: number } = { valAccuracy: 0, valLoss: Number.POSITIVE_INFINITY }
          let model: unknown
          for (const epoch of trainEpochs({
            xTrain: split.train.x,
            yTrain: split.train.y,
            xVal: split.validation.x,
            yVal: split.validation.y,
            classes: examples.classes,
            featureNames: examples.featureNames,
            learningRate,
            epochs,
            l2,
            seed: 1
          })) {
            const { trainLoss, trainAccuracy, valLoss, valAccuracy } = epoch.metrics
            yield* Tracking.logMetrics(
              { train_loss: trainLoss, train_accuracy: trainAccuracy, val_loss: valLoss, val_accuracy: valAccuracy },
              { step: epoch.epoch }
            )
            last = { valAccuracy, valLoss }
            model = epoch.model
          }
          const modelDir = `${run.info.artifactUri}/model`
          const modelPath = yield* artifactPathFromUri(`${modelDir}/model.json`)
          yield* artifacts.putBytes(modelPath, JSON.stringify(model))
          return {
            runId: run.info.runId,
            runName: run.info.runName,
            learningRate,
            l2,
            ...last,
            modelSource: modelDir
          } satisfies TrialResult
        })
    )

  const results = yield* Effect.forEach(grid, trial)
  const best = results.reduce((a, b) =>
    b.valAccuracy > a.valAccuracy || (b.valAccuracy === a.valAccuracy && b.valLoss < a.valLoss) ? b : a
  )

  const registry = yield* ModelRegistry
  yield* registry
    .createRegisteredModel({ name: modelName, description: "Palmer penguins species classifier" })
    .pipe(Effect.catchTag("RegisteredModelAlreadyExists", () => Effect.void))
  const version = yield* registry.createModelVersion({
    name: modelName,
    source: best.modelSource,
    runId: best.runId
  })
  yield* registry.setAlias(modelName, "champion", version.version)

  yield* Console.log(`\nSweep of ${results.length} runs in experiment "${experimentName}":\n`)
  yield* Console.log(
    formatTable(
      ["run", "run id", "learning_rate", "l2", "val accuracy", "val loss", "champion"],
      results.map((r) => [
        r.runName,
        r.runId.slice(0, 8),
        String(r.learningRate),
        String(r.l2),
        r.valAccuracy.toFixed(3),
        r.valLoss.toFixed(3),
        r === best ? `★ ${modelName} v${version.version}` : ""
      ])
    )
  )
  yield* Console.log(
    [
      "",
      `${modelName} version ${version.version} (run ${best.runName}) now has alias "champion".`,
      `Dataset palmer-penguins v${penguins.version}: ${penguins.profile?.rowCount} rows, ` +
        `${penguins.schema?.columns.length} columns, digest ${penguins.digest.slice(0, 12)}…, logged as every run's input.`,
      `Data lives in ${path.resolve(dataPath)} (mlops.db + artifacts/). Run again to add runs and a version.`
    ].join("\n")
  )
})

// With --serve (what `npm start` passes) the results stay browsable: the
// tracking server runs over the same data directory until Ctrl-C.
const serve = Effect.gen(function* () {
  const port = yield* Config.port("PORT").pipe(Config.withDefault(5000))
  const url = `http://127.0.0.1:${port}`
  yield* Console.log(
    `\nServing these results at ${url} (API reference at ${url}/docs; MLflow clients: MLFLOW_TRACKING_URI=${url}). Ctrl-C to stop.`
  )
  return yield* Layer.launch(makeServerLayer({ port }))
})

const main = process.argv.includes("--serve") ? Effect.zipRight(program, serve) : program

main.pipe(Effect.provide(Layer.mergeAll(BasicLayer, NodeContext.layer)), NodeRuntime.runMain)
