import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { StoreVersionTooNew } from "../../core/errors.js"
import { latestSchemaVersion } from "../../storage/migrations.js"
import { databaseSidecars, storePaths } from "../dataDir.js"
import { ArchiveInvalid, TargetNotEmpty, type TransferFailed } from "../errors.js"
import type { ProgressFactory } from "../progress.js"
import { attempt, exists, scopedStagingDirectory } from "./files.js"
import { verifyExtracted } from "./manifest.js"
import { unpack } from "./tarball.js"

/** What an import restored. */
export interface ImportSummary {
  readonly dataPath: string
  readonly files: number
  readonly bytes: number
  readonly schemaVersion: number
}

const isEmptyDirectory = (dir: string) =>
  attempt("inspect", dir, () =>
    fs.readdir(dir).then(
      (entries) => entries.length === 0,
      (error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? true : Promise.reject(error))
    )
  )

/**
 * Restores an archive written by `exportStore` into the data directory
 * `dataPath`. The archive is extracted into a staging directory next to the
 * target and checked in full against its manifest (every file, size and
 * SHA-256; nothing extra; no links) before anything is written into the
 * target; a mismatch fails with {@link ArchiveInvalid} and leaves the target
 * untouched. A non-empty target is refused unless `force`, which replaces its
 * store and artifacts (stop servers using it first).
 */
export const importStore = (options: {
  readonly dataPath: string
  readonly from: string
  readonly force: boolean
  readonly progress: ProgressFactory
}): Effect.Effect<ImportSummary, ArchiveInvalid | TargetNotEmpty | StoreVersionTooNew | TransferFailed> =>
  Effect.scoped(
    Effect.gen(function* () {
      const target = path.resolve(options.dataPath)
      const from = path.resolve(options.from)
      const invalid = (reason: string) => new ArchiveInvalid({ archive: from, reason })
      const archiveSize = (yield* attempt("read", from, () => fs.stat(from))).size
      if (!options.force && !(yield* isEmptyDirectory(target))) return yield* new TargetNotEmpty({ path: target })

      const staging = yield* scopedStagingDirectory(path.dirname(target), `.${path.basename(target)}.import-`)
      const skipped = yield* unpack(from, staging, archiveSize, options.progress).pipe(
        Effect.mapError((error) => invalid(`cannot be read as a gzipped tar (${error.message})`))
      )
      if (skipped.length > 0) return yield* invalid(`${skipped[0]} is a link or special file`)
      const manifest = yield* verifyExtracted(staging, from, options.progress)
      const stray = manifest.files.find((file) => file.path !== "mlops.db" && !file.path.startsWith("artifacts/"))
      if (stray !== undefined) return yield* invalid(`${stray.path} is not part of a data directory`)
      if (!manifest.files.some((file) => file.path === "mlops.db")) return yield* invalid("it holds no mlops.db")
      if (manifest.schemaVersion > latestSchemaVersion)
        return yield* new StoreVersionTooNew({
          storeVersion: manifest.schemaVersion,
          supportedVersion: latestSchemaVersion
        })

      // Verified: only now is the target touched.
      const paths = storePaths(target)
      yield* attempt("create", target, () => fs.mkdir(target, { recursive: true }))
      for (const file of [paths.database, ...databaseSidecars(paths.database), paths.artifacts]) {
        yield* attempt("remove", file, () => fs.rm(file, { recursive: true, force: true }))
      }
      yield* attempt("move into place", paths.database, () => fs.rename(path.join(staging, "mlops.db"), paths.database))
      const stagedArtifacts = path.join(staging, "artifacts")
      if (yield* exists(stagedArtifacts)) {
        yield* attempt("move into place", paths.artifacts, () => fs.rename(stagedArtifacts, paths.artifacts))
      }
      return {
        dataPath: target,
        files: manifest.files.length,
        bytes: manifest.files.reduce((sum, file) => sum + file.size, 0),
        schemaVersion: manifest.schemaVersion
      }
    })
  )
