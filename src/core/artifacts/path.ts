import { Either } from "effect"
import { InvalidArtifactPath } from "./errors.js"

/** The longest segment most file systems accept (ext4, APFS, NTFS), so every store accepts the same paths. */
const maxSegmentBytes = 255
const windowsDrive = /^[A-Za-z]:/
const encoder = new TextEncoder()

const reject = (path: string, reason: string): Either.Either<string, InvalidArtifactPath> =>
  Either.left(new InvalidArtifactPath({ path, reason }))

/**
 * Like `normalizeArtifactPath`, but the root (`""`, `"."`, `"./"`) is
 * allowed and normalises to `""`. Used for listing prefixes.
 *
 * @example
 * ```ts
 * normalizeArtifactPrefix("")       // Either.right("")
 * normalizeArtifactPrefix("model/") // Either.right("model")
 * ```
 */
export const normalizeArtifactPrefix = (prefix: string): Either.Either<string, InvalidArtifactPath> => {
  if (prefix.includes("\0")) return reject(prefix, "contains a NUL byte")
  if (prefix.includes("\\")) return reject(prefix, "contains a backslash; separate segments with '/'")
  if (prefix.startsWith("/")) return reject(prefix, "is absolute; artifact paths are relative to the store root")
  if (windowsDrive.test(prefix)) return reject(prefix, "starts with a Windows drive; artifact paths are relative")
  const segments = prefix.split("/").filter((segment) => segment !== "" && segment !== ".")
  if (segments.includes("..")) return reject(prefix, "contains a '..' segment")
  const long = segments.find((segment) => encoder.encode(segment).length > maxSegmentBytes)
  if (long !== undefined) return reject(prefix, `has a segment longer than ${maxSegmentBytes} bytes`)
  return Either.right(segments.join("/"))
}

/**
 * Validates and normalises an artifact path.
 *
 * Rules: a relative POSIX path. Rejected, each with its own reason: the empty
 * path, NUL bytes, backslashes, absolute paths (`/x`, `C:/x`, `C:\x`), `..`
 * segments and segments over 255 bytes. Empty and `.` segments are collapsed
 * (`a//./b/` becomes `a/b`), as `posixpath.normpath` does for MLflow, so a
 * path that is nothing but `.` and `/` is rejected as empty.
 *
 * @example
 * ```ts
 * normalizeArtifactPath("model/./weights.bin") // Either.right("model/weights.bin")
 * normalizeArtifactPath("../etc/passwd")       // Either.left(InvalidArtifactPath)
 * ```
 */
export const normalizeArtifactPath = (path: string): Either.Either<string, InvalidArtifactPath> =>
  Either.flatMap(normalizeArtifactPrefix(path), (normalized) =>
    normalized === "" ? reject(path, "is empty; name a file or a directory") : Either.right(normalized)
  )

/**
 * The store path of a run's artifacts, matching the run's artifact URI
 * `mlflow-artifacts:/<experimentId>/<runId>/artifacts`. The result is not
 * validated: the store does that on use.
 *
 * @example
 * ```ts
 * runArtifactPath("1", runId, "model/weights.bin") // "1/<runId>/artifacts/model/weights.bin"
 * ```
 */
export const runArtifactPath = (experimentId: string, runId: string, relative?: string): string => {
  const base = `${experimentId}/${runId}/artifacts`
  return relative === undefined || relative === "" ? base : `${base}/${relative}`
}

// scheme, optional authority, leading slashes, then the path
const mlflowArtifactsUri = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/s

/**
 * Maps an `mlflow-artifacts:` URI to a normalised store path (`""` for the
 * root). An authority, as in `mlflow-artifacts://host:5000/a/b`, is dropped:
 * it names the server, not the file.
 *
 * @example
 * ```ts
 * artifactPathFromUri("mlflow-artifacts:/1/abc/artifacts") // Either.right("1/abc/artifacts")
 * ```
 */
export const artifactPathFromUri = (uri: string): Either.Either<string, InvalidArtifactPath> => {
  const match = mlflowArtifactsUri.exec(uri)
  if (match === null) return reject(uri, "is not an mlflow-artifacts: URI")
  return Either.mapLeft(
    normalizeArtifactPrefix(match[1] ?? ""),
    (error) => new InvalidArtifactPath({ path: uri, reason: error.reason })
  )
}
