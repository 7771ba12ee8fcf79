import { Schema } from "effect"

/** Which side of a comparison a column belongs to. */
export const DriftSide = Schema.Literal("reference", "batch")
export type DriftSide = typeof DriftSide.Type

/** A configured feature has no column (in-memory) or no value in any record (dataset). */
export class DriftFeatureMissing extends Schema.TaggedError<DriftFeatureMissing>()("DriftFeatureMissing", {
  feature: Schema.String,
  side: DriftSide
}) {
  override get message(): string {
    return `the ${this.side} has no column "${this.feature}"`
  }
}

/**
 * A column does not hold what its feature's kind needs: numeric features
 * take a `Float64Array` (or numbers and nulls in records), categorical ones
 * an array of strings and nulls (or strings, numbers, booleans and nulls in
 * records). `actual` says what was found, with the record when known.
 *
 * @example
 * ```ts
 * Effect.catchTag("DriftColumnTypeMismatch", (e) => Effect.logWarning(e.message))
 * ```
 */
export class DriftColumnTypeMismatch extends Schema.TaggedError<DriftColumnTypeMismatch>()("DriftColumnTypeMismatch", {
  feature: Schema.String,
  side: DriftSide,
  expected: Schema.Literal("numeric", "categorical"),
  actual: Schema.String
}) {
  override get message(): string {
    return `${this.side} column "${this.feature}" should be ${this.expected} but has ${this.actual}`
  }
}

/** A column has no non-missing value, so no distribution to compare. */
export class DriftEmptyColumn extends Schema.TaggedError<DriftEmptyColumn>()("DriftEmptyColumn", {
  feature: Schema.String,
  side: DriftSide
}) {
  override get message(): string {
    return `${this.side} column "${this.feature}" has no non-missing value`
  }
}

/** Why columns cannot be profiled or compared. */
export type DriftInputError = DriftFeatureMissing | DriftColumnTypeMismatch | DriftEmptyColumn
