import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Command from "@effect/platform/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Schedule, Stream } from "effect"
import { makeSqliteLayer } from "../../layers/Sql.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import type { Metric, RunId } from "../../src/core/tracking/model.js"
import { migrations } from "../../src/storage/migrations.js"
import { tempDir } from "../support/sqlite.js"

const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
const writerScript = path.join(repoRoot, "test", "support", "writer-process.ts")

const writers = 4
const runsPerWriter = 2
const batches = 50
const pointsPerBatch = 100
const pointsPerRun = batches * pointsPerBatch
const experiment = "shared-by-processes"

interface WriterOutput {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

const text = <E>(stream: Stream.Stream<Uint8Array, E>) => stream.pipe(Stream.decodeText(), Stream.mkString)

const runWriter = (dataDir: string, barrierDir: string) =>
  Effect.gen(function* () {
    const args = [dataDir, experiment, runsPerWriter, batches, pointsPerBatch, barrierDir].map(String)
    const command = Command.make(process.execPath, "--import", "tsx", writerScript, ...args).pipe(
      Command.workingDirectory(repoRoot)
    )
    const child = yield* Command.start(command)
    const [stdout, stderr, exitCode] = yield* Effect.all([text(child.stdout), text(child.stderr), child.exitCode], {
      concurrency: "unbounded"
    })
    return { exitCode, stdout, stderr }
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

// Releases the writers together once every one of them has started, so they open the fresh store at once.
const releaseWhenAllReady = (barrierDir: string) =>
  Effect.repeat(
    Effect.sync(() => fs.readdirSync(barrierDir).filter((name) => name.startsWith("ready-")).length),
    { until: (ready) => ready === writers, schedule: Schedule.spaced("20 millis") }
  ).pipe(
    Effect.timeout("100 seconds"),
    Effect.andThen(() => fs.writeFileSync(path.join(barrierDir, "go"), ""))
  )

const runIdsOf = (output: WriterOutput): ReadonlyArray<RunId> => {
  const line = output.stdout.split("\n").find((l) => l.startsWith("RUNS "))
  assert.isDefined(line, `writer printed no run ids; stdout: ${output.stdout}`)
  return JSON.parse(line!.slice("RUNS ".length)) as Array<RunId>
}

const fullHistory = (tracker: ExperimentTracker["Type"], runId: RunId) =>
  Effect.gen(function* () {
    const points: Array<Metric> = []
    let pageToken: string | undefined
    do {
      const page = yield* tracker.getMetricHistory({
        runId,
        key: "loss",
        maxResults: 1000,
        ...(pageToken === undefined ? {} : { pageToken })
      })
      points.push(...page.items)
      pageToken = page.nextPageToken ?? undefined
    } while (pageToken !== undefined)
    return points
  })

const openStore = (dataDir: string) =>
  ExperimentTracker.layer.pipe(Layer.provideMerge(makeSqliteLayer({ filename: path.join(dataDir, "mlops.db") })))

describe("several processes writing to one data directory", () => {
  it.scopedLive(
    "store every point, create the experiment once and migrate once, without SQLITE_BUSY",
    () =>
      Effect.gen(function* () {
        const root = yield* tempDir("effect-mlops-multi-process")
        const dataDir = path.join(root, "data")
        const barrierDir = path.join(root, "barrier")
        fs.mkdirSync(barrierDir)

        const children = yield* Effect.fork(
          Effect.all(
            Array.from({ length: writers }, () => runWriter(dataDir, barrierDir)),
            { concurrency: "unbounded" }
          )
        )
        yield* releaseWhenAllReady(barrierDir)
        const outputs = yield* Fiber.join(children)

        for (const output of outputs) {
          // Effect's default logger, which reports a failed main, writes to stdout.
          assert.strictEqual(output.exitCode, 0, `writer failed; stdout: ${output.stdout}; stderr: ${output.stderr}`)
          assert.notMatch(`${output.stdout}${output.stderr}`, /SQLITE_BUSY|database is locked/i)
        }
        const writtenRunIds = outputs.flatMap(runIdsOf)
        assert.strictEqual(new Set(writtenRunIds).size, writers * runsPerWriter)

        yield* Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const sql = yield* SqlClient.SqlClient

          const named = yield* tracker.searchExperiments({ filter: `name = '${experiment}'` })
          assert.strictEqual(named.items.length, 1)
          const experimentId = named.items[0]!.experimentId

          const runs = yield* tracker.searchRuns({ experimentIds: [experimentId] })
          assert.sameMembers(
            runs.items.map((run) => run.info.runId),
            writtenRunIds
          )
          for (const run of runs.items) {
            assert.strictEqual(run.info.status, "FINISHED")
            const history = yield* fullHistory(tracker, run.info.runId)
            assert.deepStrictEqual(
              history.map((point) => point.step),
              Array.from({ length: pointsPerRun }, (_, step) => step)
            )
            assert.deepStrictEqual(
              run.data.metrics.map((m) => [m.key, m.step]),
              [["loss", pointsPerRun - 1]]
            )
          }

          const applied = yield* sql<{ readonly migrationId: number }>`SELECT migration_id FROM effect_sql_migrations
            ORDER BY migration_id`
          assert.deepStrictEqual(
            applied.map((row) => Number(row.migrationId)),
            Object.keys(migrations).map((key) => Number.parseInt(key, 10))
          )
        }).pipe(Effect.provide(openStore(dataDir)))
      }),
    120_000
  )
})
