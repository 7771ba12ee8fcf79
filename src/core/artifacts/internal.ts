import { createHash } from "node:crypto"
import { Effect, Stream } from "effect"
import { method } from "../spans.js"
import type { ArtifactStoreShape } from "./ArtifactStore.js"
import { InvalidArtifactPath } from "./errors.js"
import type { FileEntry } from "./model.js"

/** What an implementation provides; the byte helpers are derived from it by `withByteHelpers`. */
export type ArtifactStoreCore = Omit<ArtifactStoreShape, "putBytes" | "getBytes">

export type PathKind = "file" | "dir" | "none"

const encoder = new TextEncoder()

const concatBytes = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

export const withByteHelpers = (core: ArtifactStoreCore): ArtifactStoreShape => ({
  ...core,
  putBytes: method("ArtifactStore.putBytes")(function* (path: string, data: Uint8Array | string) {
    return yield* core.put(path, Stream.make(typeof data === "string" ? encoder.encode(data) : data))
  }),
  getBytes: method("ArtifactStore.getBytes")(function* (path: string) {
    const chunks = yield* Stream.runCollect(core.get(path))
    return concatBytes(Array.from(chunks))
  })
})

/**
 * Runs `data` through `write` one chunk at a time while computing its size
 * and SHA-256, so memory stays bounded by the chunk size.
 */
export const consumeHashed = <E, E2>(
  data: Stream.Stream<Uint8Array, E>,
  write: (chunk: Uint8Array) => Effect.Effect<void, E2>
): Effect.Effect<{ readonly size: number; readonly sha256: string }, E | E2> =>
  Effect.suspend(() => {
    const hash = createHash("sha256")
    let size = 0
    return Stream.runForEach(data, (chunk) => {
      hash.update(chunk)
      size += chunk.length
      return write(chunk)
    }).pipe(Effect.map(() => ({ size, sha256: hash.digest("hex") })))
  })

/** `"a/b/c"` → `["a", "a/b"]`. */
export const ancestorsOf = (path: string): ReadonlyArray<string> => {
  const segments = path.split("/")
  return segments.slice(1).map((_, i) => segments.slice(0, i + 1).join("/"))
}

/**
 * Fails unless a file may be written at `path`: no ancestor may be a file
 * and `path` itself may not be a directory. Checked before the data is read,
 * so a misplaced upload fails without consuming its stream.
 */
export const checkPlacement = Effect.fnUntraced(function* <E>(
  path: string,
  kindOf: (path: string) => Effect.Effect<PathKind, E>
) {
  for (const ancestor of ancestorsOf(path)) {
    const kind = yield* kindOf(ancestor)
    if (kind === "file") {
      return yield* new InvalidArtifactPath({ path, reason: `"${ancestor}" is a file, so it cannot contain artifacts` })
    }
    if (kind === "none") break
  }
  if ((yield* kindOf(path)) === "dir") {
    return yield* new InvalidArtifactPath({ path, reason: "is a directory; delete it before storing a file there" })
  }
})

/** `prefix` joined with a child name; `""` is the root. */
export const childPath = (prefix: string, name: string): string => (prefix === "" ? name : `${prefix}/${name}`)

/** Listing order: by path, code unit by code unit, identical in every store. */
export const byPath = (a: FileEntry, b: FileEntry): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
