import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { storePaths } from "../dataDir.js"
import { StoreMissing, type TransferFailed } from "../errors.js"
import type { ProgressFactory } from "../progress.js"
import { attempt, exists, scopedStagingDirectory } from "./files.js"
import { describeFiles, type Manifest, manifestName } from "./manifest.js"
import { linkTree, snapshotDatabase } from "./snapshot.js"
import { pack } from "./tarball.js"

/** What an export wrote. */
export interface ExportSummary {
  readonly archive: string
  readonly files: number
  readonly bytes: number
  readonly archiveBytes: number
  readonly schemaVersion: number
}

/**
 * Writes a portable archive of the data directory `dataPath` to `out`
 * (`.tar.gz`): `mlops.db` (a `VACUUM INTO` snapshot), the artifact store's
 * `files/` and `meta/` trees, and `manifest.json` with the size and SHA-256
 * of every other file. Safe while servers write: the database is
 * snapshotted first, then the artifacts (as hard links) — so every artifact
 * the snapshot's runs could name is there, plus possibly newer ones.
 * Uploads in flight (`artifacts/tmp/`) are left out. The archive appears
 * under its name only once complete.
 */
export const exportStore = (options: {
  readonly dataPath: string
  readonly out: string
  readonly progress: ProgressFactory
}): Effect.Effect<ExportSummary, StoreMissing | TransferFailed> =>
  Effect.scoped(
    Effect.gen(function* () {
      const dataPath = path.resolve(options.dataPath)
      const out = path.resolve(options.out)
      const paths = storePaths(dataPath)
      if (!(yield* exists(paths.database))) return yield* new StoreMissing({ path: dataPath })

      // Inside the data directory: the same file system, so artifacts can be hard-linked.
      const staging = yield* scopedStagingDirectory(dataPath, ".export-")
      const schemaVersion = yield* snapshotDatabase(paths.database, path.join(staging, "mlops.db"))
      for (const tree of ["files", "meta"]) {
        yield* linkTree(path.join(paths.artifacts, tree), path.join(staging, "artifacts", tree))
      }

      const files = yield* describeFiles(staging, options.progress, "hashing")
      const manifest: Manifest = {
        format: "effect-mlops-archive",
        formatVersion: 1,
        createdAt: new Date().toISOString(),
        schemaVersion,
        files
      }
      const manifestText = `${JSON.stringify(manifest, null, 2)}\n`
      yield* attempt("write", manifestName, () => fs.writeFile(path.join(staging, manifestName), manifestText))

      const partial = `${out}.partial`
      yield* attempt("create", path.dirname(out), () => fs.mkdir(path.dirname(out), { recursive: true }))
      yield* pack(
        staging,
        [{ path: manifestName, size: Buffer.byteLength(manifestText) }, ...files],
        partial,
        options.progress
      ).pipe(Effect.onError(() => Effect.promise(() => fs.rm(partial, { force: true }))))
      yield* attempt("rename", partial, () => fs.rename(partial, out))
      const archiveBytes = (yield* attempt("inspect", out, () => fs.stat(out))).size
      return {
        archive: out,
        files: files.length,
        bytes: files.reduce((sum, file) => sum + file.size, 0),
        archiveBytes,
        schemaVersion
      }
    })
  )
