import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Effect, Schema } from "effect"
import { Datasets } from "../../core/data/Datasets.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { DatasetContextTag, DatasetInput, DatasetRef, Tag } from "../../core/tracking/model.js"
import { defined, KeyValue, optional, Repeated, RunRef, requireRunId } from "./request.js"
import { empty, endpoint } from "./route.js"

/** MLflow's `Dataset` message: known by reference only, its content is never sent. */
const DatasetMessage = Schema.Struct({
  name: Schema.String,
  digest: Schema.String,
  source_type: Schema.String,
  source: Schema.String,
  schema: optional(Schema.String),
  profile: optional(Schema.String)
})

const DatasetInputMessage = Schema.Struct({
  tags: optional(Repeated(KeyValue)),
  dataset: DatasetMessage
})

const LogInputs = Schema.Struct({
  ...RunRef,
  datasets: optional(Repeated(DatasetInputMessage))
  // `models` (MLflow 3 model inputs) is not recorded: the core keeps no model inputs of runs yet.
})

type DatasetInputMessage = typeof DatasetInputMessage.Type

/** An empty schema or profile is unset: MLflow's client sends `""` for "none". */
const toDatasetInput = (input: DatasetInputMessage): DatasetInput =>
  new DatasetInput({
    dataset: new DatasetRef({
      name: input.dataset.name,
      digest: input.dataset.digest,
      sourceType: input.dataset.source_type,
      source: input.dataset.source,
      ...defined({ schema: input.dataset.schema || undefined, profile: input.dataset.profile || undefined })
    }),
    tags: (input.tags ?? []).map((tag) => new Tag(tag))
  })

/**
 * `runs/log-inputs`: the datasets are recorded on the run, then registered
 * as metadata-only versions in `Datasets` (a known digest is the existing
 * version), so the data catalogue and lineage see what MLflow clients log.
 * MLflow accepts any dataset name; a name the catalogue cannot hold is
 * still recorded on the run but not catalogued.
 */
export const InputRoutes = HttpLayerRouter.addAll(
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const datasets = yield* Datasets
    const catalogue = (input: DatasetInput) =>
      datasets
        .registerMetadata({
          name: input.dataset.name,
          digest: input.dataset.digest,
          source: input.dataset.source,
          sourceType: input.dataset.sourceType,
          ...defined({
            schema: input.dataset.schema,
            profile: input.dataset.profile,
            context: input.tags.find((tag) => tag.key === DatasetContextTag)?.value
          })
        })
        .pipe(
          Effect.catchAll((error) =>
            Effect.logDebug(`dataset "${input.dataset.name}" not catalogued: ${error.message}`)
          )
        )
    return endpoint("POST", "/runs/log-inputs", LogInputs, (m) =>
      Effect.gen(function* () {
        const runId = yield* requireRunId(m)
        const inputs = (m.datasets ?? []).map(toDatasetInput)
        yield* tracker.logInputs(runId, inputs)
        yield* Effect.forEach(inputs, catalogue, { discard: true })
        return empty
      })
    )
  })
)
