import { Clock, Effect, Either, Ref } from "effect"
import { CurrentTenant } from "../context.js"
import { checkKey, checkValue, Limits } from "../limits.js"
import { pageOf } from "../paging.js"
import { method } from "../spans.js"
import { ExperimentNotActive, RunNotActive } from "../tracking/errors.js"
import { ExperimentTracker } from "../tracking/ExperimentTracker.js"
import type { ExperimentId, RunId } from "../tracking/model.js"
import { generateRunName } from "../tracking/naming.js"
import { LoggedModelNotFound } from "./errors.js"
import { compareModels, matchesFilter } from "./filter.js"
import type { LoggedModelsShape } from "./LoggedModels.js"
import {
  type CreateLoggedModel,
  LoggedModel,
  type LoggedModelId,
  LoggedModelMetric,
  type LoggedModelMetricInput,
  type LoggedModelOutputInput,
  type LoggedModelStatus,
  ModelOutput,
  RunOutputs,
  type SearchLoggedModels
} from "./model.js"
import {
  appendModelVersion,
  modelArtifactLocation,
  ModelVersionsTag,
  newLoggedModelId,
  sortMetrics,
  toParams,
  toTags
} from "./records.js"
import {
  check,
  checkCreateLoggedModel,
  checkFinalStatus,
  checkMetrics,
  checkOutputs,
  checkPairs,
  newParams,
  prepareSearch,
  uniquePairs
} from "./validation.js"

interface ModelRecord {
  readonly tenant: string
  readonly modelId: LoggedModelId
  readonly experimentId: ExperimentId
  readonly name: string
  readonly artifactLocation: string
  readonly creationTimestamp: number
  readonly lastUpdatedTimestamp: number
  readonly status: LoggedModelStatus
  readonly statusMessage: string
  readonly modelType: string
  readonly sourceRunId: RunId | null
  readonly deleted: boolean
  readonly tags: ReadonlyMap<string, string>
  readonly params: ReadonlyMap<string, string>
  readonly metrics: ReadonlyArray<LoggedModelMetric>
}

interface OutputRecord {
  readonly tenant: string
  readonly runId: RunId
  readonly modelId: LoggedModelId
  readonly step: number
}

interface State {
  readonly models: ReadonlyMap<string, ModelRecord>
  readonly outputs: ReadonlyArray<OutputRecord>
}

const toLoggedModel = (record: ModelRecord): LoggedModel =>
  new LoggedModel(
    {
      modelId: record.modelId,
      experimentId: record.experimentId,
      name: record.name,
      artifactLocation: record.artifactLocation,
      creationTimestamp: record.creationTimestamp,
      lastUpdatedTimestamp: record.lastUpdatedTimestamp,
      status: record.status,
      statusMessage: record.statusMessage,
      modelType: record.modelType,
      sourceRunId: record.sourceRunId,
      tags: toTags(record.tags),
      params: toParams(record.params),
      metrics: sortMetrics(record.metrics)
    },
    { disableValidation: true }
  )

const byStepThenModel = (a: OutputRecord, b: OutputRecord): number =>
  a.step - b.step || (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0)

/**
 * The in-memory LoggedModels: the same contract as the SQL one, with one
 * store per layer build. Every write is one `Ref.modify`, so it is atomic and
 * a failed call leaves the store untouched.
 */
export const make: Effect.Effect<LoggedModelsShape, never, ExperimentTracker> = Effect.gen(function* () {
  const tracker = yield* ExperimentTracker
  const store = yield* Ref.make<State>({ models: new Map(), outputs: [] })

  const find = (state: State, tenant: string, modelId: string): Either.Either<ModelRecord, LoggedModelNotFound> => {
    const record = state.models.get(modelId)
    return record === undefined || record.tenant !== tenant || record.deleted
      ? Either.left(new LoggedModelNotFound({ modelId }))
      : Either.right(record)
  }

  /** Replaces one live model of the current tenant with `f` of it; `f` may refuse the change. */
  const update = <E>(modelId: LoggedModelId, f: (record: ModelRecord) => Either.Either<ModelRecord, E>) =>
    Effect.flatMap(CurrentTenant, (tenant) =>
      Ref.modify(store, (state): readonly [Either.Either<ModelRecord, E | LoggedModelNotFound>, State] => {
        const updated = Either.flatMap(find(state, tenant, modelId), f)
        return Either.isLeft(updated)
          ? [updated, state]
          : [updated, { ...state, models: new Map(state.models).set(modelId, updated.right) }]
      }).pipe(Effect.flatten)
    )

  const createLoggedModel = method("LoggedModels.createLoggedModel")(function* (input: CreateLoggedModel) {
    yield* checkCreateLoggedModel(input)
    const experiment = yield* tracker.getExperiment(input.experimentId)
    if (experiment.lifecycleStage !== "active") {
      return yield* new ExperimentNotActive({ experimentId: experiment.experimentId })
    }
    const params = yield* newParams(new Map(), input.params ?? [])
    if (input.sourceRunId !== undefined) yield* tracker.getRun(input.sourceRunId)
    const tenant = yield* CurrentTenant
    const now = yield* Clock.currentTimeMillis
    const modelId = newLoggedModelId()
    const record: ModelRecord = {
      tenant,
      modelId,
      experimentId: experiment.experimentId,
      name: input.name === undefined || input.name === "" ? generateRunName() : input.name,
      artifactLocation: modelArtifactLocation(experiment.artifactLocation, modelId),
      creationTimestamp: now,
      lastUpdatedTimestamp: now,
      status: "LOGGED_MODEL_PENDING",
      statusMessage: "",
      modelType: input.modelType ?? "",
      sourceRunId: input.sourceRunId ?? null,
      deleted: false,
      tags: new Map(uniquePairs(input.tags).map((t) => [t.key, t.value])),
      params: new Map(params.map((p) => [p.key, p.value])),
      metrics: []
    }
    yield* Ref.update(store, (state) => ({ ...state, models: new Map(state.models).set(modelId, record) }))
    return toLoggedModel(record)
  })

  const getLoggedModel = method("LoggedModels.getLoggedModel")(function* (modelId: LoggedModelId) {
    const tenant = yield* CurrentTenant
    return toLoggedModel(yield* find(yield* Ref.get(store), tenant, modelId))
  })

  const finalizeLoggedModel = method("LoggedModels.finalizeLoggedModel")(function* (
    modelId: LoggedModelId,
    status: LoggedModelStatus,
    statusMessage?: string
  ) {
    yield* checkFinalStatus(status, statusMessage)
    const now = yield* Clock.currentTimeMillis
    const record = yield* update(modelId, (r) =>
      Either.right({ ...r, status, statusMessage: statusMessage ?? r.statusMessage, lastUpdatedTimestamp: now })
    )
    return toLoggedModel(record)
  })

  const deleteLoggedModel = method("LoggedModels.deleteLoggedModel")(function* (modelId: LoggedModelId) {
    yield* update(modelId, (r) => Either.right({ ...r, deleted: true }))
  })

  const searchLoggedModels = method("LoggedModels.searchLoggedModels")(function* (query: SearchLoggedModels) {
    const search = yield* prepareSearch(query)
    const tenant = yield* CurrentTenant
    const experiments = new Set<string>(search.experimentIds)
    const matches = matchesFilter(search.filter)
    const state = yield* Ref.get(store)
    const all = Array.from(state.models.values())
      .filter((r) => r.tenant === tenant && !r.deleted && experiments.has(r.experimentId))
      .map(toLoggedModel)
      .filter(matches)
      .sort(compareModels(search.orderBy))
    return pageOf(all, search.page)
  })

  const setLoggedModelTags = method("LoggedModels.setLoggedModelTags")(function* (
    modelId: LoggedModelId,
    tags: ReadonlyArray<{ readonly key: string; readonly value: string }>
  ) {
    yield* check(checkPairs("tags", tags, Limits.maxTagsPerBatch))
    yield* update(modelId, (r) => {
      const next = new Map(r.tags)
      for (const tag of tags) next.set(tag.key, tag.value)
      return Either.right({ ...r, tags: next })
    })
  })

  const deleteLoggedModelTag = method("LoggedModels.deleteLoggedModelTag")(function* (
    modelId: LoggedModelId,
    key: string
  ) {
    yield* check(checkKey("key", key))
    yield* update(modelId, (r) => {
      const next = new Map(r.tags)
      next.delete(key)
      return Either.right({ ...r, tags: next })
    })
  })

  const logLoggedModelParams = method("LoggedModels.logLoggedModelParams")(function* (
    modelId: LoggedModelId,
    params: ReadonlyArray<{ readonly key: string; readonly value: string }>
  ) {
    yield* check(checkPairs("params", params, Limits.maxParamsPerBatch))
    yield* update(modelId, (r) =>
      Either.map(newParams(r.params, params), (added) => {
        const next = new Map(r.params)
        for (const param of added) next.set(param.key, param.value)
        return { ...r, params: next }
      })
    )
  })

  const logLoggedModelMetrics = method("LoggedModels.logLoggedModelMetrics")(function* (
    modelId: LoggedModelId,
    metrics: ReadonlyArray<LoggedModelMetricInput>
  ) {
    yield* checkMetrics(metrics)
    const points = metrics.map(
      (m) =>
        new LoggedModelMetric(
          {
            key: m.key,
            value: m.value,
            timestamp: m.timestamp,
            step: m.step ?? 0,
            runId: m.runId ?? null,
            datasetName: m.datasetName ?? null,
            datasetDigest: m.datasetDigest ?? null
          },
          { disableValidation: true }
        )
    )
    yield* update(modelId, (r) => Either.right({ ...r, metrics: [...r.metrics, ...points] }))
  })

  const recordModelVersion = method("LoggedModels.recordModelVersion")(function* (
    modelId: LoggedModelId,
    registeredModelName: string,
    version: number
  ) {
    yield* update(modelId, (r) => {
      const value = appendModelVersion(r.tags.get(ModelVersionsTag), registeredModelName, version)
      const error = checkValue(`tags.${ModelVersionsTag}`, value)
      return error !== undefined
        ? Either.left(error)
        : Either.right({ ...r, tags: new Map(r.tags).set(ModelVersionsTag, value) })
    })
  })

  const logOutputs = method("LoggedModels.logOutputs")(function* (
    runId: RunId,
    models: ReadonlyArray<LoggedModelOutputInput>
  ) {
    yield* checkOutputs(models)
    const run = yield* tracker.getRun(runId)
    if (run.info.lifecycleStage !== "active") return yield* new RunNotActive({ runId })
    const tenant = yield* CurrentTenant
    yield* Ref.modify(store, (state): readonly [Either.Either<void, LoggedModelNotFound>, State] => {
      const outputs = [...state.outputs]
      for (const model of models) {
        const found = find(state, tenant, model.modelId)
        if (Either.isLeft(found)) return [Either.left(found.left), state]
        if (outputs.some((o) => o.runId === runId && o.modelId === model.modelId)) continue
        outputs.push({ tenant, runId, modelId: model.modelId, step: model.step })
      }
      return [Either.void, { ...state, outputs }]
    }).pipe(Effect.flatten)
  })

  const getRunOutputs = method("LoggedModels.getRunOutputs")(function* (runId: RunId) {
    yield* tracker.getRun(runId)
    const tenant = yield* CurrentTenant
    const state = yield* Ref.get(store)
    return state.outputs
      .filter((o) => o.runId === runId && o.tenant === tenant)
      .sort(byStepThenModel)
      .map((o) => new ModelOutput({ modelId: o.modelId, step: o.step }, { disableValidation: true }))
  })

  const getOutputsOfRuns = method("LoggedModels.getOutputsOfRuns")(function* (runIds: ReadonlyArray<RunId>) {
    const tenant = yield* CurrentTenant
    const state = yield* Ref.get(store)
    return runIds.map(
      (runId) =>
        new RunOutputs(
          {
            runId,
            outputs: state.outputs
              .filter((o) => o.runId === runId && o.tenant === tenant)
              .sort(byStepThenModel)
              .map((o) => new ModelOutput({ modelId: o.modelId, step: o.step }, { disableValidation: true }))
          },
          { disableValidation: true }
        )
    )
  })

  return {
    getOutputsOfRuns,
    createLoggedModel,
    getLoggedModel,
    finalizeLoggedModel,
    deleteLoggedModel,
    searchLoggedModels,
    setLoggedModelTags,
    deleteLoggedModelTag,
    logLoggedModelParams,
    logLoggedModelMetrics,
    recordModelVersion,
    logOutputs,
    getRunOutputs
  }
})
