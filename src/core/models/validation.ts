import { Effect, Either, Schema } from "effect"
import { InvalidArgument, type InvalidPageToken, LimitExceeded } from "../errors.js"
import { checkInteger, checkKey, checkName, checkValue, Limits } from "../limits.js"
import { checkPageSize, decodePageToken, type PageRequest } from "../paging.js"
import type { InvalidFilter, InvalidOrderBy } from "../tracking/errors.js"
import { ExperimentId } from "../tracking/model.js"
import {
  type LoggedModelFilter,
  type LoggedModelOrder,
  parseLoggedModelFilter,
  parseLoggedModelOrderBy
} from "./filter.js"
import type {
  CreateLoggedModel,
  LoggedModelMetricInput,
  LoggedModelOutputInput,
  LoggedModelStatus,
  SearchLoggedModels
} from "./model.js"

/**
 * Input checks shared by both LoggedModels implementations, so they reject
 * exactly the same inputs. All checks run before anything is written.
 */
export type Invalid = InvalidArgument | LimitExceeded

/** Page sizes of MLflow 3.6 `search_logged_models` (default 100); the maximum is the run search's. */
export const LoggedModelLimits = {
  defaultPageSize: 100,
  maxPageSize: Limits.maxSearchResults
} as const

type Pairs = ReadonlyArray<{ readonly key: string; readonly value: string }>

/** Fails with the first error, in argument order. */
export const check = (...errors: ReadonlyArray<Invalid | undefined>): Effect.Effect<void, Invalid> => {
  const error = errors.find((e) => e !== undefined)
  return error === undefined ? Effect.void : Effect.fail(error)
}

// MLflow's `_validate_logged_model_name`: the name becomes a path segment and a `models:/` URI part.
const forbiddenNameCharacters = ["/", ":", ".", "%", '"', "'"]

const checkModelName = (name: string): Invalid | undefined => {
  const bad = forbiddenNameCharacters.find((c) => name.includes(c))
  return bad !== undefined
    ? new InvalidArgument({ field: "name", reason: `must not contain any of ${forbiddenNameCharacters.join(" ")}` })
    : checkName("name", name, Limits.maxModelNameLength)
}

/** Tags or params: at most `limit` entries, valid keys, values up to 64 KiB. */
export const checkPairs = (field: "tags" | "params", pairs: Pairs | undefined, limit: number): Invalid | undefined => {
  if (pairs === undefined) return undefined
  if (pairs.length > limit) return new LimitExceeded({ field, limit, actual: pairs.length, unit: "items" })
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i] as Pairs[number]
    const error = checkKey(`${field}[${i}].key`, pair.key) ?? checkValue(`${field}[${i}].value`, pair.value)
    if (error !== undefined) return error
  }
  return undefined
}

/** One entry per key, the last one given winning (MLflow's upsert of repeated keys). */
export const uniquePairs = (pairs: Pairs | undefined): Pairs =>
  Array.from(new Map((pairs ?? []).map((p) => [p.key, p.value])), ([key, value]) => ({ key, value }))

/**
 * The params of a batch not logged yet, or the first one that would change a
 * logged value (within the batch too): params are immutable, as on runs.
 */
export const newParams = (
  logged: ReadonlyMap<string, string>,
  params: Pairs
): Either.Either<Pairs, InvalidArgument> => {
  const added = new Map<string, string>()
  for (let i = 0; i < params.length; i++) {
    const param = params[i] as Pairs[number]
    const previous = logged.get(param.key) ?? added.get(param.key)
    if (previous !== undefined && previous !== param.value) {
      return Either.left(
        new InvalidArgument({
          field: `params[${i}].value`,
          reason: `param "${param.key}" was already logged with value "${previous}" and cannot be changed`
        })
      )
    }
    if (previous === undefined) added.set(param.key, param.value)
  }
  return Either.right(Array.from(added, ([key, value]) => ({ key, value })))
}

export const checkCreateLoggedModel = (input: CreateLoggedModel): Effect.Effect<void, Invalid> =>
  check(
    input.name === undefined ? undefined : checkModelName(input.name),
    input.modelType === undefined ? undefined : checkValue("modelType", input.modelType),
    checkPairs("tags", input.tags, Limits.maxTagsPerBatch),
    checkPairs("params", input.params, Limits.maxParamsPerBatch)
  )

const finalStatuses: ReadonlyArray<LoggedModelStatus> = ["LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"]

/** A model is finalized once its upload is over: READY or UPLOAD_FAILED, never back to PENDING. */
export const checkFinalStatus = (status: string, statusMessage: string | undefined): Effect.Effect<void, Invalid> =>
  check(
    finalStatuses.includes(status as LoggedModelStatus)
      ? undefined
      : new InvalidArgument({ field: "status", reason: `must be one of ${finalStatuses.join(", ")}` }),
    statusMessage === undefined ? undefined : checkValue("statusMessage", statusMessage)
  )

export const checkMetrics = (metrics: ReadonlyArray<LoggedModelMetricInput>): Effect.Effect<void, Invalid> => {
  if (metrics.length > Limits.maxMetricsPerBatch) {
    return Effect.fail(
      new LimitExceeded({ field: "metrics", limit: Limits.maxMetricsPerBatch, actual: metrics.length, unit: "items" })
    )
  }
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i] as LoggedModelMetricInput
    const field = `metrics[${i}]`
    const error =
      checkKey(`${field}.key`, m.key) ??
      (typeof m.value === "number"
        ? undefined
        : new InvalidArgument({ field: `${field}.value`, reason: "must be a number" })) ??
      checkInteger(`${field}.timestamp`, m.timestamp) ??
      (m.step === undefined ? undefined : checkInteger(`${field}.step`, m.step)) ??
      (m.datasetName === undefined ? undefined : checkValue(`${field}.datasetName`, m.datasetName)) ??
      (m.datasetDigest === undefined ? undefined : checkValue(`${field}.datasetDigest`, m.datasetDigest))
    if (error !== undefined) return Effect.fail(error)
  }
  return Effect.void
}

export const checkOutputs = (outputs: ReadonlyArray<LoggedModelOutputInput>): Effect.Effect<void, Invalid> => {
  if (outputs.length > Limits.maxItemsPerBatch) {
    return Effect.fail(
      new LimitExceeded({ field: "models", limit: Limits.maxItemsPerBatch, actual: outputs.length, unit: "items" })
    )
  }
  return check(...outputs.map((o, i) => checkInteger(`models[${i}].step`, o.step)))
}

/** A validated search: experiments, parsed filter and order, and the requested page. */
export interface PreparedSearch {
  readonly experimentIds: ReadonlyArray<ExperimentId>
  readonly filter: LoggedModelFilter
  readonly orderBy: ReadonlyArray<LoggedModelOrder>
  readonly page: PageRequest
}

// Experiment ids arrive as strings from untyped transports (MLflow's `experiment_ids`).
const isExperimentId = Schema.is(ExperimentId)

export const prepareSearch = (
  input: SearchLoggedModels
): Effect.Effect<PreparedSearch, InvalidFilter | InvalidOrderBy | InvalidPageToken | Invalid> =>
  Effect.gen(function* () {
    if (input.experimentIds.length === 0) {
      return yield* new InvalidArgument({ field: "experimentIds", reason: "must name at least one experiment" })
    }
    const badId = input.experimentIds.findIndex((id) => !isExperimentId(id))
    if (badId >= 0) {
      return yield* new InvalidArgument({
        field: `experimentIds[${badId}]`,
        reason: 'an experiment id is a decimal string such as "0"'
      })
    }
    const filter = yield* parseLoggedModelFilter(input.filter)
    const orderBy = yield* parseLoggedModelOrderBy(input.orderBy)
    const size = yield* checkPageSize(
      "maxResults",
      input.maxResults,
      LoggedModelLimits.defaultPageSize,
      LoggedModelLimits.maxPageSize
    )
    const experimentIds = [...new Set(input.experimentIds.filter(isExperimentId))]
    // A page token is bound to this, so it is refused for another query.
    const fingerprint = { experimentIds, filter: input.filter ?? "", orderBy: input.orderBy ?? [], size }
    const offset = yield* decodePageToken(input.pageToken, fingerprint)
    return { experimentIds, filter, orderBy, page: { size, offset, fingerprint } }
  })
