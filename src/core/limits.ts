import { InvalidArgument, LimitExceeded } from "./errors.js"

/**
 * Limits shared by every implementation. They follow MLflow 3.6 where a client
 * could hit them, except that values are never truncated: a param or tag value
 * longer than {@link Limits.maxValueBytes} is rejected instead of being cut.
 */
export const Limits = {
  maxKeyLength: 250,
  maxValueBytes: 64 * 1024,
  maxExperimentNameLength: 500,
  maxRunNameLength: 250,
  maxMetricsPerBatch: 1000,
  maxParamsPerBatch: 100,
  maxTagsPerBatch: 100,
  maxItemsPerBatch: 1000,
  maxBatchBytes: 1024 * 1024,
  maxAliasLength: 255,
  maxModelNameLength: 250,
  maxSearchResults: 50_000,
  maxDatasetsPerInput: 1000
} as const

const keyPattern = /^[/\w.\- :]*$/
const aliasPattern = /^[\w-]*$/
const reservedAlias = /^(latest|v\d+)$/i

const encoder = new TextEncoder()

/** UTF-8 length without allocating for the common ASCII case. */
export const utf8Length = (value: string): number => {
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0x7f) return encoder.encode(value).length
  }
  return value.length
}

/**
 * Fast path of {@link checkKey} for the ingest loop: true when the key
 * certainly passes (allowed characters, no leading "/", no "." or ".." segment).
 */
export const isPlainKey = (key: string): boolean =>
  keyPattern.test(key) && key.charCodeAt(0) !== 47 && !key.includes(".") ? true : checkKey("key", key) === undefined

/**
 * Checks a metric, param or tag key. Returns the error instead of failing so
 * the ingest hot path can validate a whole batch in a plain loop.
 */
export const checkKey = (field: string, key: string): InvalidArgument | LimitExceeded | undefined => {
  if (key.length === 0) return new InvalidArgument({ field, reason: "must not be empty" })
  if (key.length > Limits.maxKeyLength) {
    return new LimitExceeded({ field, limit: Limits.maxKeyLength, actual: key.length, unit: "characters" })
  }
  if (!keyPattern.test(key)) {
    return new InvalidArgument({
      field,
      reason: `"${key}" may only contain alphanumerics, underscores, dashes, periods, spaces, colons and slashes`
    })
  }
  if (key.startsWith("/")) return new InvalidArgument({ field, reason: `"${key}" must not start with "/"` })
  if (key.split("/").some((segment) => segment === ".." || segment === ".")) {
    return new InvalidArgument({ field, reason: `"${key}" must not contain "." or ".." path segments` })
  }
  return undefined
}

/** Checks a param or tag value: any string up to {@link Limits.maxValueBytes} UTF-8 bytes. */
export const checkValue = (field: string, value: string): LimitExceeded | undefined => {
  // A string of n UTF-16 units is at most 3n UTF-8 bytes and at least n.
  if (value.length * 3 <= Limits.maxValueBytes) return undefined
  const bytes = utf8Length(value)
  return bytes > Limits.maxValueBytes
    ? new LimitExceeded({ field, limit: Limits.maxValueBytes, actual: bytes, unit: "bytes" })
    : undefined
}

/** Checks a non-empty name (experiment, run, model) against a character limit. */
export const checkName = (
  field: string,
  name: string,
  maxLength: number,
  options: { readonly allowEmpty?: boolean } = {}
): InvalidArgument | LimitExceeded | undefined => {
  if (!options.allowEmpty && name.trim().length === 0)
    return new InvalidArgument({ field, reason: "must not be empty" })
  if (name.length > maxLength)
    return new LimitExceeded({ field, limit: maxLength, actual: name.length, unit: "characters" })
  return undefined
}

/** Checks a model alias: `^[\w-]*$`, at most 255 characters, `latest` and `v<digits>` reserved. */
export const checkAlias = (field: string, alias: string): InvalidArgument | LimitExceeded | undefined => {
  if (alias.length === 0) return new InvalidArgument({ field, reason: "must not be empty" })
  if (alias.length > Limits.maxAliasLength) {
    return new LimitExceeded({ field, limit: Limits.maxAliasLength, actual: alias.length, unit: "characters" })
  }
  if (!aliasPattern.test(alias)) {
    return new InvalidArgument({ field, reason: `"${alias}" may only contain alphanumerics, underscores and dashes` })
  }
  if (reservedAlias.test(alias)) return new InvalidArgument({ field, reason: `"${alias}" is a reserved alias` })
  return undefined
}

/** Checks a millisecond timestamp or a step: a safe integer. */
export const checkInteger = (field: string, value: number): InvalidArgument | undefined =>
  Number.isSafeInteger(value) ? undefined : new InvalidArgument({ field, reason: `${value} is not a safe integer` })
