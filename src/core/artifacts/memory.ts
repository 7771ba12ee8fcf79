import { Effect, Stream } from "effect"
import { method, methodSpan } from "../spans.js"
import type { ArtifactStoreShape } from "./ArtifactStore.js"
import { ArtifactNotFound } from "./errors.js"
import { byPath, checkPlacement, childPath, consumeHashed, type PathKind, withByteHelpers } from "./internal.js"
import { ArtifactInfo, FileEntry } from "./model.js"
import { normalizeArtifactPath, normalizeArtifactPrefix } from "./path.js"

interface Stored {
  /** The chunks as they were put, copied. */
  readonly chunks: ReadonlyArray<Uint8Array>
  readonly info: ArtifactInfo
}

/**
 * An in-memory artifact store with the same contract as the local one.
 * Each evaluation of `make` starts empty.
 */
export const make: Effect.Effect<ArtifactStoreShape> = Effect.sync(() => {
  // Every access is synchronous, so each operation sees and leaves a consistent map.
  const files = new Map<string, Stored>()

  const isDir = (path: string): boolean => {
    const prefix = `${path}/`
    for (const key of files.keys()) if (key.startsWith(prefix)) return true
    return false
  }
  const kindOf = (path: string): Effect.Effect<PathKind> =>
    Effect.sync(() => (files.has(path) ? "file" : isDir(path) ? "dir" : "none"))

  const lookup = Effect.fnUntraced(function* (rawPath: string) {
    const path = yield* normalizeArtifactPath(rawPath)
    const stored = files.get(path)
    if (stored === undefined) return yield* new ArtifactNotFound({ path })
    return stored
  })

  const put = <E>(rawPath: string, data: Stream.Stream<Uint8Array, E>) =>
    Effect.gen(function* () {
      const path = yield* normalizeArtifactPath(rawPath)
      yield* checkPlacement(path, kindOf)
      const chunks: Array<Uint8Array> = []
      // Copies each chunk: the caller may reuse its buffers after the put.
      const { sha256, size } = yield* consumeHashed(data, (chunk) => Effect.sync(() => chunks.push(chunk.slice())))
      // Placement is checked again because another put may have run while the stream was read.
      yield* checkPlacement(path, kindOf)
      const info = new ArtifactInfo({ path, size, sha256 })
      files.set(path, { chunks, info })
      return info
    }).pipe(methodSpan("ArtifactStore.put"))

  const get = (rawPath: string) =>
    Stream.unwrap(
      Effect.map(lookup(rawPath), ({ chunks }) =>
        // Copies, so a reader cannot alter the stored bytes.
        Stream.fromIterable(chunks).pipe(Stream.map((chunk) => chunk.slice()))
      )
    ).pipe(Stream.withSpan("ArtifactStore.get"))

  const stat = method("ArtifactStore.stat")(function* (rawPath: string) {
    return (yield* lookup(rawPath)).info
  })

  const list = method("ArtifactStore.list")(function* (rawPrefix: string) {
    const prefix = yield* normalizeArtifactPrefix(rawPrefix)
    const start = prefix === "" ? "" : `${prefix}/`
    const entries = new Map<string, FileEntry>()
    for (const [key, { info }] of files) {
      if (!key.startsWith(start)) continue
      const rest = key.slice(start.length)
      const slash = rest.indexOf("/")
      const path = childPath(prefix, slash === -1 ? rest : rest.slice(0, slash))
      entries.set(
        path,
        slash === -1
          ? new FileEntry({ path, isDir: false, size: info.size, sha256: info.sha256 })
          : new FileEntry({ path, isDir: true })
      )
    }
    return Array.from(entries.values()).sort(byPath)
  })

  const remove = method("ArtifactStore.delete")(function* (rawPath: string) {
    const path = yield* normalizeArtifactPath(rawPath)
    if (files.delete(path)) return
    const under = Array.from(files.keys()).filter((key) => key.startsWith(`${path}/`))
    if (under.length === 0) return yield* new ArtifactNotFound({ path })
    for (const key of under) files.delete(key)
  })

  return withByteHelpers({ put, get, stat, list, delete: remove })
})
