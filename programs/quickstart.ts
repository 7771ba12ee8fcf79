/**
 * `npm start`: a hyperparameter sweep of a softmax-regression classifier on
 * the Palmer penguins, tracked on BasicLayer (SQLite + local artifacts under
 * MLOPS_DATA_DIR, default ./mlops-data). Every run logs params, per-epoch
 * metrics, the dataset as its input and the trained model as an artifact;
 * the best run's model becomes a new version of a registered model with the
 * alias `champion`. Running it again adds runs and a version.
 */
import * as path from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, Console, Effect, Layer } from "effect"
import {
  ArtifactStore,
  artifactPathFromUri,
  DatasetContextTag,
  DatasetInput,
  DatasetRef,
  ModelRegistry,
  type RunId,
  Tag,
  Tracking
} from "../src/index.js"
import { BasicLayer } from "../layers/index.js"
import { trainEpochs } from "./quickstart/logistic.js"
import { loadPenguins, penguinExamples, penguinsCsvPath, splitExamples } from "./quickstart/penguins.js"

const experimentName = "penguins-softmax"
const modelName = "penguins-classifier"
const epochs = 50
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

const program = Effect.gen(function* () {
  const dataPath = yield* Config.string("MLOPS_DATA_DIR").pipe(Config.withDefault("./mlops-data"))
  const dataset = yield* loadPenguins()
  const examples = penguinExamples(dataset)
  const split = splitExamples(examples, { seed: 42, validationFraction: 0.3 })
  const datasetRef = new DatasetRef({
    name: "palmer-penguins",
    digest: dataset.digest.slice(0, 16),
    sourceType: "local",
    source: JSON.stringify({ uri: path.relative(process.cwd(), penguinsCsvPath) }),
    schema: JSON.stringify({ features: examples.featureNames, target: "species", classes: examples.classes }),
    profile: JSON.stringify({ num_rows: dataset.rows.length, num_examples: examples.y.length })
  })
  const inputs = ["training", "validation"].map(
    (context) => new DatasetInput({ dataset: datasetRef, tags: [new Tag({ key: DatasetContextTag, value: context })] })
  )
  const artifacts = yield* ArtifactStore

  const trial = ({ learningRate, l2 }: (typeof grid)[number]) =>
    Tracking.withRun(
      { experiment: experimentName, runName: `lr=${learningRate} l2=${l2}`, tags: { model: "softmax-regression" } },
      (run) =>
        Effect.gen(function* () {
          yield* Tracking.logParams({ learning_rate: learningRate, l2, epochs, features: examples.featureNames.length })
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
  yield* Console.table(
    results.map((r) => ({
      run: r.runName,
      "run id": r.runId.slice(0, 8),
      learning_rate: r.learningRate,
      l2: r.l2,
      "val accuracy": r.valAccuracy.toFixed(3),
      "val loss": r.valLoss.toFixed(3),
      champion: r === best ? `★ ${modelName} v${version.version}` : ""
    }))
  )
  yield* Console.log(
    `\n${modelName} version ${version.version} (run ${best.runName}) now has alias "champion".` +
      `\nData lives in ${path.resolve(dataPath)} (mlops.db + artifacts/). Run again to add runs and a version.`
  )
})

program.pipe(Effect.provide(Layer.mergeAll(BasicLayer, NodeContext.layer)), NodeRuntime.runMain)
