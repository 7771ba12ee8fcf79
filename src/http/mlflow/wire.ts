import type { FileEntry } from "../../core/artifacts/model.js"
import type { LoggedModel, LoggedModelMetric, ModelOutput } from "../../core/models/model.js"
import type { ModelVersion, RegisteredModel } from "../../core/registry/model.js"
import type { DatasetInput, Experiment, Metric, Run, RunInfo } from "../../core/tracking/model.js"

/*
 * MLflow's protobuf-to-JSON shapes: snake_case names, ids and model versions
 * as strings, int64 timestamps as numbers, doubles with "NaN"/"Infinity"
 * strings. Unset fields and empty repeated fields are omitted, which is what
 * MLflow's server does (proto2: a field set to "" is still sent).
 */

/** A JSON object as sent on the wire. */
export type Json = { readonly [key: string]: unknown }

/** A double as protobuf JSON writes it: JSON has no NaN or infinities. */
export const double = (value: number): number | string =>
  Number.isFinite(value) ? value : Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity"

/** `{ [key]: items }`, or nothing when `items` is empty (spread it into a message). */
export const repeated = <A>(key: string, items: ReadonlyArray<A>): Json => (items.length === 0 ? {} : { [key]: items })

/** `{ [key]: value }`, or nothing when the value is unset (spread it into a message). */
export const present = (key: string, value: unknown): Json =>
  value === undefined || value === null ? {} : { [key]: value }

/** A key/value message (`ExperimentTag`, `RunTag`, `Param`, `InputTag`, ...). */
const keyValue = (pair: { readonly key: string; readonly value: string }): Json => ({
  key: pair.key,
  value: pair.value
})

/** `Experiment`. */
export const experiment = (e: Experiment): Json => ({
  experiment_id: e.experimentId,
  name: e.name,
  artifact_location: e.artifactLocation,
  lifecycle_stage: e.lifecycleStage,
  last_update_time: e.lastUpdateTime,
  creation_time: e.creationTime,
  ...repeated("tags", e.tags.map(keyValue))
})

/** `RunInfo`, with the deprecated `run_uuid` next to `run_id` as MLflow still sends it. */
export const runInfo = (info: RunInfo): Json => ({
  run_uuid: info.runId,
  experiment_id: info.experimentId,
  run_name: info.runName,
  user_id: info.userId,
  status: info.status,
  start_time: info.startTime,
  ...present("end_time", info.endTime),
  artifact_uri: info.artifactUri,
  lifecycle_stage: info.lifecycleStage,
  run_id: info.runId
})

/** `Metric`. */
export const metric = (m: Metric): Json => ({
  key: m.key,
  value: double(m.value),
  timestamp: m.timestamp,
  step: m.step
})

/** `DatasetInput`; an empty schema or profile counts as unset, as MLflow stores it. */
export const datasetInput = (input: DatasetInput): Json => {
  const d = input.dataset
  return {
    ...repeated("tags", input.tags.map(keyValue)),
    dataset: {
      name: d.name,
      digest: d.digest,
      source_type: d.sourceType,
      source: d.source,
      ...(d.schema ? { schema: d.schema } : {}),
      ...(d.profile ? { profile: d.profile } : {})
    }
  }
}

/** `ModelOutput`: a logged model a run produced, at a step. */
export const modelOutput = (o: ModelOutput): Json => ({ model_id: o.modelId, step: o.step })

/**
 * `Run`. `runs/create` answers without `outputs` (`outputs` undefined);
 * `runs/get` and `runs/search` always send `outputs`, `{}` when the run
 * produced no logged model.
 */
export const run = (r: Run, outputs: ReadonlyArray<ModelOutput> | undefined): Json => ({
  info: runInfo(r.info),
  data: {
    ...repeated("metrics", r.data.metrics.map(metric)),
    ...repeated("params", r.data.params.map(keyValue)),
    ...repeated("tags", r.data.tags.map(keyValue))
  },
  inputs: repeated("dataset_inputs", r.inputs.map(datasetInput)),
  ...(outputs === undefined ? {} : { outputs: repeated("model_outputs", outputs.map(modelOutput)) })
})

/** A logged model's metric point: MLflow's `Metric` with the model id and, when known, run and dataset. */
const loggedModelMetric = (modelId: string, m: LoggedModelMetric): Json => ({
  key: m.key,
  value: double(m.value),
  timestamp: m.timestamp,
  step: m.step,
  ...present("dataset_name", m.datasetName),
  ...present("dataset_digest", m.datasetDigest),
  model_id: modelId,
  ...present("run_id", m.runId)
})

/**
 * `LoggedModel` (MLflow 3): `info` with its tags, `data` with params and
 * metric points. `model_type` is sent even when empty, as MLflow does;
 * an empty status message is unset.
 */
export const loggedModel = (m: LoggedModel): Json => ({
  info: {
    model_id: m.modelId,
    experiment_id: m.experimentId,
    name: m.name,
    creation_timestamp_ms: m.creationTimestamp,
    last_updated_timestamp_ms: m.lastUpdatedTimestamp,
    artifact_uri: m.artifactLocation,
    status: m.status,
    model_type: m.modelType,
    ...present("source_run_id", m.sourceRunId),
    ...(m.statusMessage === "" ? {} : { status_message: m.statusMessage }),
    ...repeated("tags", m.tags.map(keyValue))
  },
  data: {
    ...repeated("params", m.params.map(keyValue)),
    ...repeated(
      "metrics",
      m.metrics.map((point) => loggedModelMetric(m.modelId, point))
    )
  }
})

/**
 * `ModelVersion`. MLflow fills `aliases` only where it reads them
 * (get, get-by-alias, get-latest-versions, transition-stage, update), not in
 * `model-versions/search` or a registered model's `latest_versions`.
 * `user_id` is never sent: MLflow's REST API does not record one.
 */
export const modelVersion = (v: ModelVersion, options: { readonly aliases: boolean }): Json => ({
  name: v.name,
  version: v.version,
  creation_timestamp: v.creationTimestamp,
  last_updated_timestamp: v.lastUpdatedTimestamp,
  current_stage: v.currentStage,
  description: v.description,
  source: v.source,
  ...present("run_id", v.runId),
  status: v.status,
  ...(v.statusMessage === "" ? {} : { status_message: v.statusMessage }),
  ...repeated("tags", v.tags.map(keyValue)),
  run_link: v.runLink,
  ...(options.aliases ? repeated("aliases", v.aliases) : {})
})

/** `RegisteredModel` with its latest version per stage; an empty description is unset. */
export const registeredModel = (m: RegisteredModel, latestVersions: ReadonlyArray<ModelVersion>): Json => ({
  name: m.name,
  creation_timestamp: m.creationTimestamp,
  last_updated_timestamp: m.lastUpdatedTimestamp,
  ...(m.description === "" ? {} : { description: m.description }),
  ...repeated(
    "latest_versions",
    latestVersions.map((v) => modelVersion(v, { aliases: false }))
  ),
  ...repeated("tags", m.tags.map(keyValue)),
  ...repeated(
    "aliases",
    m.aliases.map((a) => ({ alias: a.alias, version: a.version }))
  )
})

/** `FileInfo`, its path relative to `base` (a store path such as `1/<run>/artifacts`). */
export const fileInfo = (entry: FileEntry, base: string): Json => ({
  path: base === "" ? entry.path : entry.path.slice(base.length + 1),
  is_dir: entry.isDir,
  ...present("file_size", entry.size)
})

/** A page of results: `{ [key]: items, next_page_token }`, both omitted when empty. */
export const page = (key: string, items: ReadonlyArray<Json>, nextPageToken: string | null): Json => ({
  ...repeated(key, items),
  ...present("next_page_token", nextPageToken)
})
