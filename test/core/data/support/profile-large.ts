/**
 * Child process of `large-file.test.ts`: registers a CSV file through the
 * Datasets service on BasicLayer and prints the result as one JSON line.
 * Run with a small `--max-old-space-size` to prove the file is never held
 * in memory. Usage: profile-large.ts <dataDir> <file.csv>
 */
import * as v8 from "node:v8"
import { Effect } from "effect"
import { makeBasicLayer } from "../../../../layers/Basic.js"
import { Datasets } from "../../../../src/core/data/Datasets.js"
import { DataSource } from "../../../../src/core/data/model.js"

const [dataPath, file] = process.argv.slice(2)
if (dataPath === undefined || file === undefined) throw new Error("usage: profile-large.ts <dataDir> <file.csv>")

const program = Effect.gen(function* () {
  const datasets = yield* Datasets
  const version = yield* datasets.register({ name: "large", source: DataSource.file(file) })
  const memory = process.memoryUsage()
  process.stdout.write(
    `${JSON.stringify({
      version: version.version,
      rowCount: version.profile?.rowCount,
      sizeBytes: version.content?.sizeBytes,
      digest: version.digest,
      columns: version.schema?.columns.map((c) => `${c.name}:${c.type}`),
      heapUsedMb: Math.round(memory.heapUsed / 2 ** 20),
      heapLimitMb: Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20),
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024)
    })}\n`
  )
})

Effect.runPromise(program.pipe(Effect.provide(makeBasicLayer({ dataPath })))).catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
