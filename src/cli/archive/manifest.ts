import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { ArchiveInvalid } from "../errors.js"
import type { ProgressFactory } from "../progress.js"
import { attempt, hashFile, walk } from "./files.js"

/** The manifest's name at the archive root. */
export const manifestName = "manifest.json"

export const ManifestFile = Schema.Struct({
  /** `/`-separated, relative to the archive root: `mlops.db`, `artifacts/files/...`. */
  path: Schema.String,
  size: Schema.NonNegativeInt,
  sha256: Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/))
})
export type ManifestFile = typeof ManifestFile.Type

/** What `manifest.json` holds: the format, the store's schema version, and every other file with its digest. */
export const Manifest = Schema.Struct({
  format: Schema.Literal("effect-mlops-archive"),
  formatVersion: Schema.Literal(1),
  createdAt: Schema.String,
  /** The store's schema version (highest migration), so an older release can refuse the archive up front. */
  schemaVersion: Schema.Int,
  files: Schema.Array(ManifestFile)
})
export type Manifest = typeof Manifest.Type

const decodeManifest = Schema.decodeUnknown(Schema.parseJson(Manifest))

/** Hashes every file under `root` (with progress over their total size). */
export const describeFiles = (root: string, progress: ProgressFactory, label: string) =>
  Effect.gen(function* () {
    const { files } = yield* walk(root)
    const bar = progress(
      label,
      files.reduce((sum, file) => sum + file.size, 0)
    )
    const described = yield* Effect.forEach(files, (file) =>
      Effect.map(
        hashFile(path.join(root, ...file.path.split("/")), bar.advance),
        ({ size, sha256 }): ManifestFile => ({ path: file.path, size, sha256 })
      )
    )
    bar.done()
    return described
  })

/**
 * Checks an extracted archive against its manifest before anything is used:
 * the manifest must decode, list exactly the files present (no more, no
 * fewer, nothing but regular files), and every file must have the listed
 * size and SHA-256. Any difference fails with {@link ArchiveInvalid}.
 */
export const verifyExtracted = (root: string, archive: string, progress: ProgressFactory) =>
  Effect.gen(function* () {
    const invalid = (reason: string) => new ArchiveInvalid({ archive, reason })
    const text = yield* attempt("read", path.join(root, manifestName), () =>
      fs.readFile(path.join(root, manifestName), "utf8")
    ).pipe(Effect.mapError(() => invalid(`no ${manifestName}; not an archive written by effect-mlops export`)))
    const manifest = yield* decodeManifest(text).pipe(
      Effect.mapError((error) => invalid(`${manifestName} is malformed: ${error.message}`))
    )
    const { files, others } = yield* walk(root)
    if (others.length > 0) return yield* invalid(`${others[0]} is not a regular file`)
    const listed = new Map(manifest.files.map((file) => [file.path, file]))
    const present = new Set(files.map((file) => file.path))
    for (const file of files) {
      if (file.path !== manifestName && !listed.has(file.path))
        return yield* invalid(`${file.path} is not listed in the manifest`)
    }
    for (const file of manifest.files) {
      if (!present.has(file.path)) return yield* invalid(`${file.path} is listed in the manifest but missing`)
    }
    const bar = progress(
      "verifying",
      manifest.files.reduce((sum, file) => sum + file.size, 0)
    )
    for (const file of manifest.files) {
      const actual = yield* hashFile(path.join(root, ...file.path.split("/")), bar.advance)
      if (actual.size !== file.size)
        return yield* invalid(`${file.path} has ${actual.size} bytes, the manifest says ${file.size}`)
      if (actual.sha256 !== file.sha256)
        return yield* invalid(`${file.path} has SHA-256 ${actual.sha256}, the manifest says ${file.sha256}`)
    }
    bar.done()
    return manifest
  })
