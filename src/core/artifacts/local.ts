import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import type { PlatformError } from "@effect/platform/Error"
import { createHash, randomUUID } from "node:crypto"
import { Array as Arr, Effect, Option, type ParseResult, Schema, type Scope, Stream } from "effect"
import { method } from "../spans.js"
import type { ArtifactStoreShape } from "./ArtifactStore.js"
import { ArtifactNotFound, ArtifactStorageError } from "./errors.js"
import { ancestorsOf, byPath, checkPlacement, childPath, consumeHashed, type PathKind } from "./internal.js"
import { ArtifactInfo, FileEntry, Sha256Hex } from "./model.js"
import { normalizeArtifactPath, normalizeArtifactPrefix } from "./path.js"

/** The metadata file of an artifact, `{ size, sha256 }` as JSON. */
const ArtifactMeta = Schema.Struct({ size: Schema.NonNegativeInt, sha256: Sha256Hex })
type ArtifactMeta = typeof ArtifactMeta.Type
const decodeMeta = Schema.decodeUnknown(Schema.parseJson(ArtifactMeta))
const encoder = new TextEncoder()

const isNotFound = (error: PlatformError | ParseResult.ParseError): boolean =>
  error._tag === "SystemError" && error.reason === "NotFound"

/**
 * No file at the path: NotFound, or BadResource, which is ENOTDIR (an
 * ancestor is a file) or, when reading, EISDIR (a directory is there).
 */
const isAbsent = (error: PlatformError): boolean =>
  isNotFound(error) || (error._tag === "SystemError" && error.reason === "BadResource")

const storageError = (path: string, operation: string) => (cause: PlatformError | ParseResult.ParseError) =>
  new ArtifactStorageError({ path, operation, cause })

const storageFailure =
  (path: string, operation: string) =>
  <A, R>(self: Effect.Effect<A, PlatformError, R>): Effect.Effect<A, ArtifactStorageError, R> =>
    Effect.mapError(self, storageError(path, operation))

/**
 * An artifact store on the local disk under `root`:
 * - `<root>/files/<path>` holds the bytes, so the tree mirrors the artifact paths;
 * - `<root>/meta/<path>` holds `{ size, sha256 }`, in a tree of its own so listings never show it
 *   (no `.json` suffix: a suffix could collide with a sibling directory, as `x.json/` next to `x`);
 * - `<root>/tmp/` holds uploads in flight.
 *
 * Uploads are streamed to a temp file while hashed, fsynced, then renamed into
 * place; the metadata follows the same way. Commits and deletes are
 * serialised within the process; the old metadata is removed before new bytes
 * replace the old, so after a crash a file may lack metadata (then `stat`
 * recomputes it) but never carries a wrong digest. Several processes may share
 * a root, but concurrent writes to one path from different processes race.
 */
export const make = (
  root: string
): Effect.Effect<ArtifactStoreShape, ArtifactStorageError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const base = path.resolve(root)
    const filesDir = path.join(base, "files")
    const metaDir = path.join(base, "meta")
    const tmpDir = path.join(base, "tmp")
    yield* Effect.forEach([filesDir, metaDir, tmpDir], (dir) => fs.makeDirectory(dir, { recursive: true })).pipe(
      storageFailure("", "open store")
    )
    // Held only while renaming into place or deleting, never while an upload streams.
    const lock = yield* Effect.makeSemaphore(1)

    const onDisk = (dir: string, artifactPath: string): string =>
      artifactPath === "" ? dir : path.join(dir, ...artifactPath.split("/"))
    const dataFile = (artifactPath: string) => onDisk(filesDir, artifactPath)
    const metaFile = (artifactPath: string) => onDisk(metaDir, artifactPath)

    const kindOf = (artifactPath: string): Effect.Effect<PathKind, ArtifactStorageError> =>
      fs.stat(dataFile(artifactPath)).pipe(
        Effect.map((info): PathKind => (info.type === "Directory" ? "dir" : "file")),
        Effect.catchIf(isAbsent, () => Effect.succeed<PathKind>("none")),
        storageFailure(artifactPath, "stat")
      )

    /** Writes a temp file and fsyncs it; the temp file is removed when the scope closes unless renamed away. */
    const writeTemp = <A, E>(
      artifactPath: string,
      write: (file: FileSystem.File) => Effect.Effect<A, E>
    ): Effect.Effect<{ readonly tmp: string; readonly result: A }, E | ArtifactStorageError, Scope.Scope> =>
      Effect.gen(function* () {
        const tmp = yield* Effect.acquireRelease(
          Effect.sync(() => path.join(tmpDir, randomUUID())),
          (tmp) =>
            fs
              .remove(tmp, { force: true })
              .pipe(Effect.catchAll((error) => Effect.logWarning(`could not remove the temp file ${tmp}`, error)))
        )
        const result = yield* Effect.scoped(
          Effect.gen(function* () {
            const file = yield* fs.open(tmp, { flag: "wx" }).pipe(storageFailure(artifactPath, "put"))
            const result = yield* write(file)
            // Durable before visible: a crash right after the rename must not expose bytes still in the page cache.
            yield* file.sync.pipe(storageFailure(artifactPath, "put"))
            return result
          })
        )
        return { tmp, result }
      })

    const writeMetaTemp = (artifactPath: string, meta: ArtifactMeta) =>
      writeTemp(artifactPath, (file) =>
        file.writeAll(encoder.encode(JSON.stringify(meta))).pipe(storageFailure(artifactPath, "put"))
      )

    const readMeta = (artifactPath: string): Effect.Effect<Option.Option<ArtifactMeta>, ArtifactStorageError> =>
      fs.readFileString(metaFile(artifactPath)).pipe(
        Effect.flatMap(decodeMeta),
        Effect.map(Option.some),
        Effect.catchIf(isNotFound, () => Effect.succeedNone),
        Effect.mapError(storageError(artifactPath, "read metadata"))
      )

    /** Recomputes the metadata of a file left without it by a crash. */
    const repairMeta = Effect.fnUntraced(
      function* (artifactPath: string) {
        const current = yield* readMeta(artifactPath)
        if (Option.isSome(current)) return current.value
        if ((yield* kindOf(artifactPath)) !== "file") return yield* new ArtifactNotFound({ path: artifactPath })
        const bytes = fs.stream(dataFile(artifactPath)).pipe(Stream.mapError(storageError(artifactPath, "stat")))
        const meta = yield* consumeHashed(bytes, () => Effect.void)
        const { tmp } = yield* writeMetaTemp(artifactPath, meta)
        yield* Effect.all(
          [
            fs.makeDirectory(path.dirname(metaFile(artifactPath)), { recursive: true }),
            fs.rename(tmp, metaFile(artifactPath))
          ],
          { discard: true }
        ).pipe(storageFailure(artifactPath, "stat"))
        return meta
      },
      Effect.scoped,
      lock.withPermits(1)
    )

    const infoOf = (artifactPath: string) =>
      readMeta(artifactPath).pipe(
        Effect.flatMap(Option.match({ onSome: Effect.succeed, onNone: () => repairMeta(artifactPath) })),
        Effect.map((meta) => new ArtifactInfo({ path: artifactPath, ...meta }))
      )

    const commit = Effect.fnUntraced(
      function* (artifactPath: string, dataTmp: string, metaTmp: string) {
        // Checked again: another put may have made this path a directory while the stream was read.
        yield* checkPlacement(artifactPath, kindOf)
        yield* Effect.all(
          [
            fs.makeDirectory(path.dirname(dataFile(artifactPath)), { recursive: true }),
            fs.makeDirectory(path.dirname(metaFile(artifactPath)), { recursive: true }),
            // Old metadata goes first: a file without metadata is repaired by stat, stale metadata would lie.
            fs.remove(metaFile(artifactPath), { recursive: true, force: true }),
            fs.rename(dataTmp, dataFile(artifactPath)),
            fs.rename(metaTmp, metaFile(artifactPath))
          ],
          { discard: true }
        ).pipe(storageFailure(artifactPath, "put"))
      },
      lock.withPermits(1),
      Effect.uninterruptible
    )

    /** Writes the bytes `write` produces to a temp file, then its metadata, and commits both. */
    const store = <E>(
      rawPath: string,
      write: (file: FileSystem.File, artifactPath: string) => Effect.Effect<ArtifactMeta, E | ArtifactStorageError>
    ) =>
      Effect.gen(function* () {
        const artifactPath = yield* normalizeArtifactPath(rawPath)
        yield* checkPlacement(artifactPath, kindOf)
        const written = yield* writeTemp(artifactPath, (file) => write(file, artifactPath))
        const meta = yield* writeMetaTemp(artifactPath, written.result)
        yield* commit(artifactPath, written.tmp, meta.tmp)
        return new ArtifactInfo({ path: artifactPath, ...written.result })
      }).pipe(Effect.scoped)

    // writeAll reports an empty chunk as WriteZero.
    const writeChunk = (file: FileSystem.File, artifactPath: string, chunk: Uint8Array) =>
      chunk.length === 0 ? Effect.void : file.writeAll(chunk).pipe(storageFailure(artifactPath, "put"))

    const put = method("ArtifactStore.put")(function* <E>(rawPath: string, data: Stream.Stream<Uint8Array, E>) {
      return yield* store(rawPath, (file, artifactPath) =>
        consumeHashed(data, (chunk) => writeChunk(file, artifactPath, chunk))
      )
    })

    // The byte helpers go straight to the file: small artifacts read and written often (the audit
    // trail's head checkpoints, a few times a second) skip the stream machinery `put` and `get` need.
    const putBytes = method("ArtifactStore.putBytes")(function* (rawPath: string, data: Uint8Array | string) {
      const bytes = typeof data === "string" ? encoder.encode(data) : data
      return yield* store(rawPath, (file, artifactPath) =>
        Effect.as(writeChunk(file, artifactPath, bytes), {
          size: bytes.length,
          sha256: createHash("sha256").update(bytes).digest("hex")
        })
      )
    })

    const getBytes = method("ArtifactStore.getBytes")(function* (rawPath: string) {
      const artifactPath = yield* normalizeArtifactPath(rawPath)
      return yield* fs
        .readFile(dataFile(artifactPath))
        .pipe(
          Effect.mapError((error) =>
            isAbsent(error) ? new ArtifactNotFound({ path: artifactPath }) : storageError(artifactPath, "get")(error)
          )
        )
    })

    const get = (rawPath: string) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const artifactPath = yield* normalizeArtifactPath(rawPath)
          if ((yield* kindOf(artifactPath)) !== "file") return yield* new ArtifactNotFound({ path: artifactPath })
          return fs.stream(dataFile(artifactPath)).pipe(
            // Deleted between the check and the open.
            Stream.mapError((error) =>
              isNotFound(error)
                ? new ArtifactNotFound({ path: artifactPath })
                : storageError(artifactPath, "get")(error)
            )
          )
        })
      ).pipe(Stream.withSpan("ArtifactStore.get"))

    const stat = method("ArtifactStore.stat")(function* (rawPath: string) {
      const artifactPath = yield* normalizeArtifactPath(rawPath)
      if ((yield* kindOf(artifactPath)) !== "file") return yield* new ArtifactNotFound({ path: artifactPath })
      return yield* infoOf(artifactPath)
    })

    const entryOf = (artifactPath: string): Effect.Effect<Option.Option<FileEntry>, ArtifactStorageError> =>
      Effect.flatMap(kindOf(artifactPath), (kind) => {
        switch (kind) {
          case "dir":
            return Effect.succeedSome(new FileEntry({ path: artifactPath, isDir: true }))
          case "file":
            return infoOf(artifactPath).pipe(
              Effect.map(({ sha256, size }) =>
                Option.some(new FileEntry({ path: artifactPath, isDir: false, size, sha256 }))
              ),
              // Deleted while listing.
              Effect.catchTag("ArtifactNotFound", () => Effect.succeedNone)
            )
          case "none":
            return Effect.succeedNone
        }
      })

    const list = method("ArtifactStore.list")(function* (rawPrefix: string) {
      const prefix = yield* normalizeArtifactPrefix(rawPrefix)
      if (prefix !== "" && (yield* kindOf(prefix)) !== "dir") return []
      const names = yield* fs.readDirectory(dataFile(prefix)).pipe(
        Effect.catchIf(isNotFound, () => Effect.succeed<Array<string>>([])),
        storageFailure(prefix, "list")
      )
      const entries = yield* Effect.forEach(names, (name) => entryOf(childPath(prefix, name)), { concurrency: 16 })
      return Arr.getSomes(entries).sort(byPath)
    })

    /** Removes `dir` if empty; true when nothing is left there. */
    const removeIfEmpty = (dir: string) =>
      fs.readDirectory(dir).pipe(
        Effect.flatMap((names) =>
          names.length === 0 ? Effect.as(fs.remove(dir, { recursive: true }), true) : Effect.succeed(false)
        ),
        Effect.catchIf(isNotFound, () => Effect.succeed(true))
      )

    // Directories exist only while they hold files, as in the memory store.
    const pruneEmptyAncestors = Effect.fnUntraced(function* (dir: string, artifactPath: string) {
      for (const ancestor of [...ancestorsOf(artifactPath)].reverse()) {
        if (!(yield* removeIfEmpty(onDisk(dir, ancestor)))) return
      }
    })

    const remove = method("ArtifactStore.delete")(
      function* (rawPath: string) {
        const artifactPath = yield* normalizeArtifactPath(rawPath)
        if ((yield* kindOf(artifactPath)) === "none") return yield* new ArtifactNotFound({ path: artifactPath })
        // Metadata first: a crash in between leaves bytes without metadata, which stat repairs,
        // whereas orphaned metadata would block a later put under the same name.
        yield* Effect.all(
          [
            fs.remove(metaFile(artifactPath), { recursive: true, force: true }),
            fs.remove(dataFile(artifactPath), { recursive: true }),
            pruneEmptyAncestors(filesDir, artifactPath),
            pruneEmptyAncestors(metaDir, artifactPath)
          ],
          { discard: true }
        ).pipe(storageFailure(artifactPath, "delete"))
      },
      lock.withPermits(1),
      Effect.uninterruptible
    )

    return { put, putBytes, get, getBytes, stat, list, delete: remove }
  })
