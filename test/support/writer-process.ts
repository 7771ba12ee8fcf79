/**
 * One writer of the multi-process storage test, run as its own OS process:
 *
 *   node --import tsx test/support/writer-process.ts <dataDir> <experiment> <runs> <batches> <pointsPerBatch> <startAt>
 *
 * It waits until `startAt` (epoch milliseconds) so that every writer opens the
 * store, and races on its migrations, at the same moment. Then it opens
 * `<dataDir>` with `makeBasicLayer` and, for each of `<runs>` runs in the
 * experiment `<experiment>`, logs `<batches>` batches of `<pointsPerBatch>`
 * points of the metric `loss` (steps 0, 1, 2, ...). Last, it prints the ids of
 * its runs on stdout as one line `RUNS <json array>`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { makeBasicLayer } from "../../layers/Basic.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { withRun } from "../../src/core/tracking/Tracking.js"

const [dataPath, experiment, runs, batches, pointsPerBatch, startAt] = process.argv.slice(2)
if (startAt === undefined) {
  throw new Error("usage: writer-process <dataDir> <experiment> <runs> <batches> <pointsPerBatch> <startAt>")
}
const batchSize = Number(pointsPerBatch)

const logRun = withRun({ experiment: experiment! }, (run) =>
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
}).pipe(Effect.provide(makeBasicLayer({ dataPath: dataPath! })))

NodeRuntime.runMain(Effect.zipRight(Effect.sleep(Math.max(0, Number(startAt) - Date.now())), program))
