import { Schema } from "effect"

/**
 * An artifact path that breaks the path rules (see `normalizeArtifactPath`),
 * or one that cannot be written because of what is already stored, such as a
 * file under a path that is itself a file. Nothing is written.
 *
 * @example
 * ```ts
 * Effect.catchTag("InvalidArtifactPath", (e) => Effect.logWarning(e.message))
 * ```
 */
export class InvalidArtifactPath extends Schema.TaggedError<InvalidArtifactPath>()("InvalidArtifactPath", {
  /** The path as the caller gave it. */
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid artifact path "${this.path}": ${this.reason}`
  }
}

/** No artifact (file, or directory for `delete`) exists at the normalised `path`. */
export class ArtifactNotFound extends Schema.TaggedError<ArtifactNotFound>()("ArtifactNotFound", {
  path: Schema.String
}) {
  override get message(): string {
    return `artifact "${this.path}" does not exist`
  }
}

/**
 * The storage underneath failed (a full disk, a permission, a corrupt
 * metadata file). `cause` keeps the original error for diagnosis; the
 * infrastructure error itself never crosses the service boundary.
 */
export class ArtifactStorageError extends Schema.TaggedError<ArtifactStorageError>()("ArtifactStorageError", {
  /** The artifact path concerned, `""` for the store as a whole. */
  path: Schema.String,
  /** What the store was doing, e.g. `"put"`, `"list"`, `"open store"`. */
  operation: Schema.String,
  cause: Schema.Defect
}) {
  override get message(): string {
    return `artifact storage failed to ${this.operation} "${this.path}"`
  }
}
