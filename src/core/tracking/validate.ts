import { Either } from "effect"
import { InvalidArgument, LimitExceeded } from "../errors.js"
import { checkInteger, checkKey, checkName, checkValue, isPlainKey, Limits, utf8Length } from "../limits.js"
import type { CreateRun, DatasetInput, LogBatch, Metric, MetricInput, UpdateRun } from "./model.js"

/**
 * Input checks shared by every ExperimentTracker implementation, written as
 * plain loops (no per-row Effect) because `logBatch` is the ingest hot path.
 * Each failure names the offending field, e.g. `metrics[3].key`.
 */
type Invalid = InvalidArgument | LimitExceeded

/** A metric point ready to store. */
export interface MetricRow {
  readonly key: string
  readonly value: number
  readonly timestamp: number
  readonly step: number
}

export interface KeyValue {
  readonly key: string
  readonly value: string
}

/** A validated batch: params de-duplicated, tags last-wins. */
export interface ValidBatch {
  readonly metrics: ReadonlyArray<MetricRow>
  readonly params: ReadonlyArray<KeyValue>
  readonly tags: ReadonlyArray<KeyValue>
}

/** `index` is the point's position inside a batch, absent for a metric logged on its own. */
const fieldName = (index: number | undefined, name: string) =>
  index === undefined ? name : `metrics[${index}].${name}`

// The batch loop calls this for every point: field names are only built when
// a check fails, so the common path allocates nothing but the row. A batch
// repeats a few keys a thousand times, so `passedKeys` remembers the keys
// already checked and the pattern runs once per key, not once per point.
const checkMetric = (
  index: number | undefined,
  metric: MetricInput,
  now: number,
  passedKeys?: Set<string>
): Invalid | MetricRow => {
  const { key, value } = metric
  if (passedKeys === undefined || !passedKeys.has(key)) {
    if (key.length === 0 || key.length > Limits.maxKeyLength || !isPlainKey(key)) {
      const keyError = checkKey(fieldName(index, "key"), key)
      if (keyError) return keyError
    }
    passedKeys?.add(key)
  }
  if (typeof value !== "number")
    return new InvalidArgument({ field: fieldName(index, "value"), reason: "must be a number" })
  const timestamp = metric.timestamp ?? now
  const step = metric.step ?? 0
  if (!Number.isSafeInteger(timestamp)) return checkInteger(fieldName(index, "timestamp"), timestamp)!
  if (!Number.isSafeInteger(step)) return checkInteger(fieldName(index, "step"), step)!
  // A complete point is used as it is: no copy per point on the ingest path.
  return metric.timestamp === timestamp && metric.step === step
    ? (metric as MetricRow)
    : { key, value, timestamp, step }
}

const isInvalid = (value: unknown): value is Invalid =>
  value instanceof InvalidArgument || value instanceof LimitExceeded

/** Validates one metric logged on its own; fields are named `key`, `value`, `timestamp`, `step`. */
export const validateMetric = (metric: MetricInput, now: number): Either.Either<MetricRow, Invalid> => {
  const result = checkMetric(undefined, metric, now)
  return isInvalid(result) ? Either.left(result) : Either.right(result)
}

/** Validates a single key/value pair (a param or a tag logged on its own). */
export const validateKeyValue = (key: string, value: string): Invalid | undefined =>
  checkKey("key", key) ?? checkValue("value", value)

const checkCount = (
  field: string,
  items: ReadonlyArray<unknown> | undefined,
  limit: number
): LimitExceeded | undefined =>
  items !== undefined && items.length > limit
    ? new LimitExceeded({ field, limit, actual: items.length, unit: "items" })
    : undefined

const checkPairs = (
  field: string,
  pairs: ReadonlyArray<KeyValue>
): { readonly error: Invalid } | { readonly bytes: number } => {
  let bytes = 0
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!
    const error = checkKey(`${field}[${i}].key`, pair.key) ?? checkValue(`${field}[${i}].value`, pair.value)
    if (error) return { error }
    bytes += pair.key.length + utf8Length(pair.value)
  }
  return { bytes }
}

/**
 * Validates a whole batch before anything is stored, so a batch is stored
 * entirely or not at all. `now` fills in missing metric timestamps.
 */
export const validateBatch = (batch: LogBatch, now: number): Either.Either<ValidBatch, Invalid> => {
  const metrics = batch.metrics ?? []
  const params = batch.params ?? []
  const tags = batch.tags ?? []
  const countError =
    checkCount("metrics", metrics, Limits.maxMetricsPerBatch) ??
    checkCount("params", params, Limits.maxParamsPerBatch) ??
    checkCount("tags", tags, Limits.maxTagsPerBatch)
  if (countError) return Either.left(countError)
  const items = metrics.length + params.length + tags.length
  if (items > Limits.maxItemsPerBatch) {
    return Either.left(
      new LimitExceeded({ field: "batch", limit: Limits.maxItemsPerBatch, actual: items, unit: "items" })
    )
  }
  if (batch.idempotencyKey !== undefined && (batch.idempotencyKey.length === 0 || batch.idempotencyKey.length > 256)) {
    return Either.left(new InvalidArgument({ field: "idempotencyKey", reason: "must be 1 to 256 characters" }))
  }

  const rows: Array<MetricRow> = new Array(metrics.length)
  const passedKeys = new Set<string>()
  let bytes = 0
  for (let i = 0; i < metrics.length; i++) {
    const metric = metrics[i]!
    const row = checkMetric(i, metric, now, passedKeys)
    // Testing `instanceof` against the two Schema error classes took about
    // 0.14 µs per point, more than all the checks: a point returned as it is
    // cannot be an error, so only a copied point or an error is tested.
    if (row !== metric && isInvalid(row)) return Either.left(row)
    const valid = row as MetricRow
    rows[i] = valid
    bytes += valid.key.length + 24
  }
  const paramCheck = checkPairs("params", params)
  if ("error" in paramCheck) return Either.left(paramCheck.error)
  const tagCheck = checkPairs("tags", tags)
  if ("error" in tagCheck) return Either.left(tagCheck.error)
  bytes += paramCheck.bytes + tagCheck.bytes
  if (bytes > Limits.maxBatchBytes) {
    return Either.left(new LimitExceeded({ field: "batch", limit: Limits.maxBatchBytes, actual: bytes, unit: "bytes" }))
  }

  const uniqueParams = new Map<string, string>()
  for (let i = 0; i < params.length; i++) {
    const { key, value } = params[i]!
    const seen = uniqueParams.get(key)
    if (seen !== undefined && seen !== value) {
      return Either.left(
        new InvalidArgument({ field: `params[${i}].key`, reason: `"${key}" appears twice with different values` })
      )
    }
    uniqueParams.set(key, value)
  }
  const lastTags = new Map<string, string>()
  for (const { key, value } of tags) lastTags.set(key, value)
  return Either.right({
    metrics: rows,
    params: Array.from(uniqueParams, ([key, value]) => ({ key, value })),
    tags: Array.from(lastTags, ([key, value]) => ({ key, value }))
  })
}

/** Validates an experiment name. */
export const validateExperimentName = (name: string): Invalid | undefined =>
  checkName("name", name, Limits.maxExperimentNameLength)

/** Validates a run name (empty means "generate one"). */
export const validateRunName = (name: string): Invalid | undefined =>
  checkName("runName", name, Limits.maxRunNameLength, { allowEmpty: true })

/** Validates a new run: a legal name, an integer start time and legal tags. */
export const validateNewRun = (input: CreateRun): Invalid | undefined =>
  validateRunName(input.runName ?? "") ??
  (input.startTime === undefined ? undefined : checkInteger("startTime", input.startTime)) ??
  validateTags(input.tags)

/** Validates a run update: a legal name and an integer end time (or `null` to clear it). */
export const validateRunUpdate = (update: UpdateRun): Invalid | undefined =>
  (update.runName === undefined ? undefined : validateRunName(update.runName)) ??
  (update.endTime === undefined || update.endTime === null ? undefined : checkInteger("endTime", update.endTime))

/** Validates tags given at creation time (experiments, runs). */
export const validateTags = (tags: ReadonlyArray<KeyValue> | undefined): Invalid | undefined => {
  if (tags === undefined) return undefined
  const countError = checkCount("tags", tags, Limits.maxTagsPerBatch)
  if (countError) return countError
  const result = checkPairs("tags", tags)
  return "error" in result ? result.error : undefined
}

/** Validates dataset inputs (MLflow `log-inputs`). */
export const validateInputs = (inputs: ReadonlyArray<DatasetInput>): Invalid | undefined => {
  const countError = checkCount("datasets", inputs, Limits.maxDatasetsPerInput)
  if (countError) return countError
  for (let i = 0; i < inputs.length; i++) {
    const { dataset, tags } = inputs[i]!
    const error =
      checkName(`datasets[${i}].dataset.name`, dataset.name, Limits.maxKeyLength) ??
      checkName(`datasets[${i}].dataset.digest`, dataset.digest, Limits.maxKeyLength) ??
      checkValue(`datasets[${i}].dataset.source`, dataset.source) ??
      (dataset.schema === undefined ? undefined : checkValue(`datasets[${i}].dataset.schema`, dataset.schema)) ??
      (dataset.profile === undefined ? undefined : checkValue(`datasets[${i}].dataset.profile`, dataset.profile))
    if (error) return error
    const tagResult = checkPairs(`datasets[${i}].tags`, tags)
    if ("error" in tagResult) return tagResult.error
  }
  return undefined
}

/**
 * MLflow's notion of "latest": the point with the largest step, then the
 * largest timestamp, then the largest value (NaN counts as smallest).
 */
export const isNewerMetric = (candidate: MetricRow, current: MetricRow): boolean => {
  if (candidate.step !== current.step) return candidate.step > current.step
  if (candidate.timestamp !== current.timestamp) return candidate.timestamp > current.timestamp
  if (Number.isNaN(candidate.value)) return false
  return Number.isNaN(current.value) || candidate.value > current.value
}

/** Orders history points by step, then timestamp (the order charts and MLflow's history use). */
export const compareHistory = (a: Metric | MetricRow, b: Metric | MetricRow): number =>
  a.step - b.step || a.timestamp - b.timestamp
