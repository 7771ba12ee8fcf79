import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { exportStore } from "../archive/exportStore.js"
import { importStore } from "../archive/importStore.js"
import { dataOption, jsonOption, resolveDataPath } from "../backend.js"
import { formatBytes, terminalProgress } from "../progress.js"

const exportOptions = {
  data: dataOption,
  out: Options.file("out").pipe(Options.withDescription("Archive to write (.tar.gz); replaced if it exists")),
  json: jsonOption
}

/** `effect-mlops export`: a portable, verifiable archive of a data directory, safe while servers write. */
export const exportCommand = Command.make("export", exportOptions, (flags) =>
  Effect.gen(function* () {
    const dataPath = yield* resolveDataPath(flags.data)
    const summary = yield* exportStore({ dataPath, out: flags.out, progress: terminalProgress })
    if (flags.json) return yield* Console.log(JSON.stringify(summary, null, 2))
    yield* Console.log(
      `exported ${summary.files} files (${formatBytes(summary.bytes)}) to ${summary.archive} (${formatBytes(summary.archiveBytes)})`
    )
  })
).pipe(
  Command.withDescription(
    "Archive a data directory (a consistent SQLite snapshot, the artifacts, and a manifest of SHA-256 digests)"
  )
)

const importOptions = {
  data: dataOption,
  from: Options.file("from", { exists: "yes" }).pipe(Options.withDescription("Archive written by export")),
  force: Options.boolean("force").pipe(
    Options.withDescription("Replace the store and artifacts of a non-empty data directory")
  ),
  json: jsonOption
}

/** `effect-mlops import`: restores an export after verifying every digest. */
export const importCommand = Command.make("import", importOptions, (flags) =>
  Effect.gen(function* () {
    const dataPath = yield* resolveDataPath(flags.data)
    const summary = yield* importStore({ dataPath, from: flags.from, force: flags.force, progress: terminalProgress })
    if (flags.json) return yield* Console.log(JSON.stringify(summary, null, 2))
    yield* Console.log(`imported ${summary.files} files (${formatBytes(summary.bytes)}) into ${summary.dataPath}`)
  })
).pipe(
  Command.withDescription(
    "Restore an archive into an empty data directory, verifying every file's SHA-256 before writing anything"
  )
)
