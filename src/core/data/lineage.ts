import { type Effect, Schema } from "effect"
import type { Forbidden } from "../errors.js"
import { method } from "../spans.js"
import type { RunWriteError } from "../tracking/ExperimentTracker.js"
import { ExperimentTracker } from "../tracking/ExperimentTracker.js"
import { DatasetContextTag, DatasetInput, DatasetRef, type RunId, Tag } from "../tracking/model.js"
import { Datasets } from "./Datasets.js"
import type { DatasetNotFound, DatasetVersionNotFound } from "./errors.js"
import { type ColumnType, DatasetProfile, DatasetSchema, type DatasetVersion, type VersionKey } from "./model.js"

/** MLflow's column types (`mlflow.types.DataType`), so the MLflow UI can show the schema. */
const mlflowTypes: Record<ColumnType, string> = {
  integer: "long",
  number: "double",
  boolean: "boolean",
  datetime: "datetime",
  string: "string",
  json: "string",
  null: "string"
}

const encodeSchema = Schema.encodeSync(DatasetSchema)
const encodeProfile = Schema.encodeSync(DatasetProfile)

/**
 * The schema as JSON: MLflow's `mlflow_colspec` next to our own `columns`,
 * so MLflow clients and `Schema.parseJson(DatasetSchema)` both read it.
 */
const schemaJson = (schema: DatasetSchema): string =>
  JSON.stringify({
    mlflow_colspec: schema.columns.map((c) => ({ type: mlflowTypes[c.type], name: c.name, required: !c.nullable })),
    ...encodeSchema(schema)
  })

/** The profile as JSON: MLflow's `num_rows`/`num_elements` next to ours; `Schema.parseJson(DatasetProfile)` reads it. */
const profileJson = (profile: DatasetProfile): string =>
  JSON.stringify({
    num_rows: profile.rowCount,
    num_elements: profile.rowCount * profile.columns.length,
    ...encodeProfile(profile)
  })

/**
 * A dataset version as a run input (MLflow's `DatasetInput`): name, digest,
 * source, and schema and profile as JSON strings, tagged with its context
 * (`options.context`, else the version's own).
 *
 * @example
 * ```ts
 * yield* tracker.logInputs(runId, [toDatasetInput(version, { context: "training" })])
 * ```
 */
export const toDatasetInput = (version: DatasetVersion, options: { readonly context?: string } = {}): DatasetInput => {
  const context = options.context ?? version.context
  const schema = version.schema === null ? version.rawSchema : schemaJson(version.schema)
  const profile = version.profile === null ? version.rawProfile : profileJson(version.profile)
  return new DatasetInput({
    dataset: new DatasetRef({
      name: version.name,
      digest: version.digest,
      sourceType: version.sourceType,
      source: version.source,
      ...(schema === null ? {} : { schema }),
      ...(profile === null ? {} : { profile })
    }),
    tags: context === null ? [] : [new Tag({ key: DatasetContextTag, value: context })]
  })
}

/**
 * Logs a registered dataset version as an input of a run, so the run — and
 * any model version registered from it — leads back to the data.
 *
 * @example
 * ```ts
 * const v1 = yield* datasets.register({ name: "customers", source: DataSource.file("customers.csv") })
 * yield* logDatasetInput(run.info.runId, v1, { context: "training" })
 * ```
 */
export const logDatasetInput = method("Datasets.logDatasetInput")(function* (
  runId: RunId,
  version: VersionKey,
  options: { readonly context?: string } = {}
): Effect.fn.Return<
  void,
  RunWriteError | DatasetNotFound | DatasetVersionNotFound | Forbidden,
  Datasets | ExperimentTracker
> {
  const datasets = yield* Datasets
  const tracker = yield* ExperimentTracker
  const stored = yield* datasets.getVersion(version.name, version.version)
  yield* tracker.logInputs(runId, [toDatasetInput(stored, options)])
})
