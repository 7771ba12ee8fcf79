import { Schema } from "effect"

/** No version of a dataset with this name exists (in the current tenant). */
export class DatasetNotFound extends Schema.TaggedError<DatasetNotFound>()("DatasetNotFound", {
  name: Schema.String
}) {
  override get message(): string {
    return `dataset "${this.name}" does not exist`
  }
}

/** The dataset exists but has no such version. */
export class DatasetVersionNotFound extends Schema.TaggedError<DatasetVersionNotFound>()("DatasetVersionNotFound", {
  name: Schema.String,
  version: Schema.Number
}) {
  override get message(): string {
    return `dataset "${this.name}" has no version ${this.version}`
  }
}

/**
 * The content of a dataset file is malformed: a CSV row that does not parse
 * or has the wrong number of columns, a JSONL line that is not a JSON object,
 * a duplicate column name. `line` is the 1-based line where the offending
 * record starts. Nothing is registered.
 *
 * @example
 * ```ts
 * Effect.catchTag("InvalidDatasetFile", (e) => Effect.logError(`line ${e.line}: ${e.reason}`))
 * ```
 */
export class InvalidDatasetFile extends Schema.TaggedError<InvalidDatasetFile>()("InvalidDatasetFile", {
  /** Where the bytes came from (a file path, a stream's URI, `datasets:/name/version`). */
  source: Schema.String,
  line: Schema.Number,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.source}, line ${this.line}: ${this.reason}`
  }
}

/**
 * The input could not be read at all: a missing or unreadable file, or the
 * stored bytes of a registered version that have gone missing. `cause` keeps
 * the underlying error for diagnosis.
 */
export class DatasetReadError extends Schema.TaggedError<DatasetReadError>()("DatasetReadError", {
  source: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `cannot read ${this.source}: ${this.reason}`
  }
}

/** Records were requested from a metadata-only version, which has no stored content. */
export class DatasetHasNoContent extends Schema.TaggedError<DatasetHasNoContent>()("DatasetHasNoContent", {
  name: Schema.String,
  version: Schema.Number
}) {
  override get message(): string {
    return `dataset "${this.name}" version ${this.version} is metadata only and has no content to read`
  }
}

/**
 * A transform met a record it cannot process, e.g. a non-numeric value in a
 * column being standardised. `row` is the 0-based position of the record in
 * the transform's input.
 */
export class TransformFailed extends Schema.TaggedError<TransformFailed>()("TransformFailed", {
  op: Schema.String,
  row: Schema.Number,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.op} failed on row ${this.row}: ${this.reason}`
  }
}
