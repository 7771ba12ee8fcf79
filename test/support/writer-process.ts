/**
 * One writer of the multi-process storage test, run as its own OS process:
 *
 *   node --import tsx test/support/writer-process.ts <dataDir> <experiment> <runs> <batches> <pointsPerBatch> <barrierDir>
 *
 * Start-up time varies a lot between processes, so a start barrier makes the
 * writers open the store, and race on its migrations, together: each writer
 * creates `<barrierDir>/ready-<pid>`, then waits for `<barrierDir>/go`. Then it
 * opens `<dataDir>` with `makeBasicLayer` and, for each of `<runs>` runs in
 * the experiment `<experiment>` (get-or-create), logs `<batches>` batches of
 * `<pointsPerBatch>` points of the metric `loss` (steps 0, 1, 2, ...). Last,
 * it prints the ids of its runs on stdout as one line `RUNS <json array>`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Schedule } from "effect"
import { makeBasicLayer } from "../../layers/Basic.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { withRun } from "../../src/core/tracking/Tracking.js"

const [dataPath, experiment, runs, batches, pointsPerBatch, barrierDir] = process.argv.slice(2)
if (dataPath === undefined || experiment === undefined || barrierDir === undefined) {
  throw new Error("usage: writer-process <dataDir> <experiment> <runs> <batches> <pointsPerBatch> <barrierDir>")
}
const batchSize = Number(pointsPerBatch)

const startBarrier = Effect.zipRight(
  Effect.sync(() => fs.writeFileSync(path.join(barrierDir, `ready-${process.pid}`), "")),
  Effect.repeat(
    Effect.sync(() => fs.existsSync(path.join(barrierDir, "go"))),
    {
      until: (go) => go,
      schedule: Schedule.spaced("5 millis")
    }
  )
)

const logRun = withRun({ experiment }, (run) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    for (let batch = 0; batch < Number(batches); batch++) {
      const metrics = Array.from({ length: batchSize }, (_, i) => {
        const step = batch * batchSize + i
        return { key: "loss", value: 1 / (step + 1), step }
      })
      yield* tracker.logBatch(run.info.runId, { metrics })
    }
    return run.info.runId
  })
)

const program = Effect.gen(function* () {
  const runIds = yield* Effect.forEach(Array.from({ length: Number(runs) }), () => logRun)
  yield* Console.log(`RUNS ${JSON.stringify(runIds)}`)
}).pipe(Effect.provide(makeBasicLayer({ dataPath })))

NodeRuntime.runMain(Effect.zipRight(startBarrier, program))
