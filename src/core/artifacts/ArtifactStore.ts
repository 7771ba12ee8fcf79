import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import { Context, type Effect, Layer, type Stream } from "effect"
import type { Forbidden } from "../errors.js"
import type { ArtifactNotFound, ArtifactStorageError, InvalidArtifactPath } from "./errors.js"
import { make as makeLocal } from "./local.js"
import { make as makeMemory } from "./memory.js"
import type { ArtifactInfo, FileEntry } from "./model.js"

/**
 * Streamed, checksummed files addressed by relative POSIX paths (see
 * `normalizeArtifactPath`). A path is either a file or a directory, never
 * both: writing under a file, or a file over a directory, fails with
 * `InvalidArtifactPath`. Every method needs nothing (`R = never`).
 */
export interface ArtifactStoreShape {
  /**
   * Stores the stream's bytes at `path`, replacing any file there. The
   * stream is consumed once and never held in memory as a whole by stores
   * that persist (the local store writes it to disk chunk by chunk); use this
   * for large files. The artifact becomes visible only once complete: if the
   * stream fails (with `E`) or the fiber is interrupted, nothing is stored.
   */
  readonly put: <E>(
    path: string,
    data: Stream.Stream<Uint8Array, E>
  ) => Effect.Effect<ArtifactInfo, E | InvalidArtifactPath | ArtifactStorageError | Forbidden>
  /** `put` for a small artifact already in memory; a string is stored as UTF-8. Prefer `put` for large files. */
  readonly putBytes: (
    path: string,
    data: Uint8Array | string
  ) => Effect.Effect<ArtifactInfo, InvalidArtifactPath | ArtifactStorageError | Forbidden>
  /** The bytes of the file at `path`, streamed in chunks; the way to read large files. */
  readonly get: (
    path: string
  ) => Stream.Stream<Uint8Array, ArtifactNotFound | InvalidArtifactPath | ArtifactStorageError | Forbidden>
  /** The whole file at `path` in one array: for small artifacts only, use `get` for large files. */
  readonly getBytes: (
    path: string
  ) => Effect.Effect<Uint8Array, ArtifactNotFound | InvalidArtifactPath | ArtifactStorageError | Forbidden>
  /** Size and SHA-256 of the file at `path`, as recorded by `put`. A directory is `ArtifactNotFound`. */
  readonly stat: (
    path: string
  ) => Effect.Effect<ArtifactInfo, ArtifactNotFound | InvalidArtifactPath | ArtifactStorageError | Forbidden>
  /**
   * The immediate children of the directory `prefix` (`""` is the root),
   * sorted by path: files with size and digest, and directories. A prefix
   * that is missing, or that is a file, lists as `[]`.
   */
  readonly list: (
    prefix: string
  ) => Effect.Effect<ReadonlyArray<FileEntry>, InvalidArtifactPath | ArtifactStorageError | Forbidden>
  /** Deletes the file at `path`, or the whole directory `path` with everything under it. */
  readonly delete: (
    path: string
  ) => Effect.Effect<void, ArtifactNotFound | InvalidArtifactPath | ArtifactStorageError | Forbidden>
}

/**
 * The artifact store service.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { ArtifactStore, runArtifactPath } from "effect-mlops"
 *
 * const program = Effect.gen(function* () {
 *   const store = yield* ArtifactStore
 *   const path = runArtifactPath("1", runId, "model/weights.bin")
 *   const info = yield* store.put(path, Stream.fromIterable(chunks))
 *   yield* Effect.log(`stored ${info.size} bytes, sha256 ${info.sha256}`)
 *   const entries = yield* store.list(runArtifactPath("1", runId, "model"))
 * })
 * ```
 */
export class ArtifactStore extends Context.Tag("effect-mlops/core/ArtifactStore")<ArtifactStore, ArtifactStoreShape>() {
  /**
   * Files on the local disk under `root` (created if missing): bytes in
   * `<root>/files/<path>`, `{ size, sha256 }` in `<root>/meta/<path>`, and
   * in-flight uploads in `<root>/tmp/`. `FileSystem` and `Path` stay open;
   * `NodeContext.layer` from `@effect/platform-node` provides them.
   *
   * This is a function: bind its result to one constant, since each call
   * builds a separate layer (layers are memoised by reference).
   */
  static readonly layer = (
    root: string
  ): Layer.Layer<ArtifactStore, ArtifactStorageError, FileSystem.FileSystem | Path.Path> =>
    Layer.effect(ArtifactStore, makeLocal(root))

  /** In memory, `R = never`; each build of the layer gets its own empty store. */
  static readonly layerMemory: Layer.Layer<ArtifactStore> = Layer.effect(this, makeMemory)
}
