/** The synthetic tracking load of `programs/generate-runs.ts`, also seeded by `bench/ui.ts`. */
import { Effect } from "effect"
import { ExperimentTracker, type MetricInput } from "../../src/index.js"

export interface GenerateOptions {
  readonly runs: number
  readonly metrics: number
  readonly longMetrics: number
  readonly points: number
}

/** Runs with latest metrics, params and a tag, and optionally one run with long histories. */
export const generateRuns = (options: GenerateOptions) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const { experimentId } = yield* tracker.createExperiment({ name: `generated-${options.runs}-runs-${Date.now()}` })
    for (let r = 0; r < options.runs; r++) {
      const run = yield* tracker.createRun({ experimentId, runName: `run-${r}` })
      yield* tracker.logBatch(run.info.runId, {
        metrics: Array.from({ length: options.metrics }, (_, m) => ({
          key: `metric_${m}`,
          value: Math.sin(r + m),
          step: 100
        })),
        params: [
          { key: "lr", value: String(10 ** -(r % 5)) },
          { key: "batch_size", value: String(2 ** (4 + (r % 4))) },
          { key: "optimizer", value: r % 2 === 0 ? "adam" : "sgd" }
        ],
        tags: [{ key: "team", value: `team-${r % 7}` }]
      })
    }
    if (options.longMetrics === 0) return { experimentId, longRunId: undefined }
    const long = yield* tracker.createExperiment({ name: `generated-long-histories-${Date.now()}` })
    const run = yield* tracker.createRun({ experimentId: long.experimentId, runName: "long-histories" })
    const batch: Array<MetricInput> = new Array(1000)
    for (let m = 0; m < options.longMetrics; m++)
      for (let start = 0; start < options.points; start += 1000) {
        const size = Math.min(1000, options.points - start)
        batch.length = size
        for (let i = 0; i < size; i++) {
          const step = start + i
          batch[i] = {
            key: `loss_${m}`,
            value: Math.exp(-step / (options.points / 5)) + 0.05 * Math.sin(step / 50 + m),
            step,
            timestamp: 1_700_000_000_000 + step
          }
        }
        yield* tracker.logBatch(run.info.runId, { metrics: batch })
      }
    return { experimentId, longRunId: run.info.runId }
  })
