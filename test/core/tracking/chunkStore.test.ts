import { SqlClient } from "@effect/sql"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import type { RunId } from "../../../src/core/tracking/model.js"
import { PostgresTest } from "../../support/postgres.js"
import { SqliteTest } from "../../support/sqlite.js"

/*
 * How the SQL stores lay out metric history (src/core/tracking/chunks.ts):
 * points logged one at a time join their series' newest chunk, so a series
 * logged point by point is read back from a few blocks, not one per point.
 */

const newRun = Effect.gen(function* () {
  const tracker = yield* ExperimentTracker
  const { experimentId } = yield* tracker.createExperiment({ name: `chunks-${crypto.randomUUID()}` })
  return (yield* tracker.createRun({ experimentId })).info.runId
})

const chunkSizes = (runId: RunId, key: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ readonly count: number | string }>`SELECT count FROM metric_chunks
        WHERE run_id = ${runId} AND key = ${key} ORDER BY chunk_id`,
      (rows) => rows.map((row) => Number(row.count))
    )
  )

const history = (runId: RunId, key: string) =>
  Effect.flatMap(ExperimentTracker, (tracker) =>
    Effect.map(tracker.getMetricHistory({ runId, key, maxResults: 25_000 }), (page) =>
      page.items.map((m) => [m.step, m.value])
    )
  )

for (const [name, Store] of [
  ["sqlite", SqliteTest],
  ["postgres", PostgresTest]
] as const) {
  layer(Layer.provideMerge(ExperimentTracker.layer, Store))(`metric chunks (${name})`, (it) => {
    describe("points logged one at a time", () => {
      it.effect("join the series' newest chunk, up to 256 points each", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const runId = yield* newRun
          for (let step = 0; step < 600; step++) yield* tracker.logMetric(runId, { key: "loss", value: step, step })
          assert.deepStrictEqual(yield* chunkSizes(runId, "loss"), [256, 256, 88])
          assert.deepStrictEqual(
            yield* history(runId, "loss"),
            Array.from({ length: 600 }, (_, step) => [step, step])
          )
        })
      )

      it.effect("start a new chunk when they go back in steps, and history stays in order", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const runId = yield* newRun
          for (const step of [0, 1, 2, 1, 3]) yield* tracker.logMetric(runId, { key: "loss", value: step * 10, step })
          assert.deepStrictEqual(yield* chunkSizes(runId, "loss"), [3, 2])
          assert.deepStrictEqual(yield* history(runId, "loss"), [
            [0, 0],
            [1, 10],
            [1, 10],
            [2, 20],
            [3, 30]
          ])
        })
      )

      it.effect("concurrent appends to one series lose no point", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const runId = yield* newRun
          yield* Effect.forEach(
            Array.from({ length: 40 }, (_, i) => i),
            (i) => tracker.logMetric(runId, { key: "loss", value: i, step: 1000 + i }),
            { concurrency: 8 }
          )
          const steps = (yield* history(runId, "loss")).map(([step]) => step)
          assert.deepStrictEqual(
            steps,
            Array.from({ length: 40 }, (_, i) => 1000 + i)
          )
        })
      )
    })

    it.effect("a large batch is its own chunk per key, never merged", () =>
      Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const runId = yield* newRun
        yield* tracker.logMetric(runId, { key: "loss", value: 0, step: 0 })
        yield* tracker.logBatch(runId, {
          metrics: Array.from({ length: 100 }, (_, i) => ({ key: "loss", value: i, step: i + 1 }))
        })
        assert.deepStrictEqual(yield* chunkSizes(runId, "loss"), [1, 100])
      })
    )
  })
}
