import { Schema } from "effect"

/** A SHA-256 digest as 64 lowercase hex characters. */
export const Sha256Hex = Schema.String.pipe(
  Schema.pattern(/^[0-9a-f]{64}$/, { message: () => "a SHA-256 digest is 64 lowercase hex characters" })
)

/** A stored file: its normalised path, its size in bytes and the SHA-256 of its bytes, both recorded at `put` time. */
export class ArtifactInfo extends Schema.Class<ArtifactInfo>("ArtifactInfo")({
  path: Schema.String,
  size: Schema.NonNegativeInt,
  sha256: Sha256Hex
}) {}

/**
 * One entry of a listing, as in MLflow's `list-artifacts`: a file (with
 * `size` and `sha256`) or a directory (without them). `path` is relative to
 * the store root, e.g. `"1/abc/artifacts/model/weights.bin"`.
 */
export class FileEntry extends Schema.Class<FileEntry>("FileEntry")({
  path: Schema.String,
  isDir: Schema.Boolean,
  size: Schema.optional(Schema.NonNegativeInt),
  sha256: Schema.optional(Sha256Hex)
}) {}
