/**
 * Search benchmark: p50/p95 of `searchRuns` over 10,000 runs on BasicLayer.
 * Targets (issue #3): p50 under 20 ms per query, under 100 ms for a
 * 1000-result page. MLflow 3.6's server answers ordered searches over 10,000
 * runs in 630–720 ms p50 on this kind of machine (measured for issue #4).
 * The store is seeded, closed and opened again before measuring, as a
 * persistent store is: opening it gathers SQLite's planner statistics.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { makeBasicLayer } from "../layers/index.js"
import { type ExperimentId, ExperimentTracker, type SearchRuns } from "../src/index.js"
import type { Figure } from "./report.js"
import { percentile, round } from "./stats.js"

export const runCount = 10_000
export const iterations = 40
const optimizers = ["adam", "sgd", "rmsprop", "adagrad"]
const teams = ["vision", "nlp", "speech", "tabular", "recsys"]

export const queries: ReadonlyArray<{ readonly name: string; readonly query: Omit<SearchRuns, "experimentIds"> }> = [
  { name: "(a) metric filter", query: { filter: "metrics.accuracy > 0.9", maxResults: 100 } },
  {
    name: "(b) param + tag filter, ordered by a metric",
    query: {
      filter: "params.optimizer = 'adam' AND tags.team = 'vision'",
      orderBy: ["metrics.loss ASC"],
      maxResults: 100
    }
  },
  {
    name: "(c) run_name LIKE, ordered by a param",
    query: { filter: "attributes.run_name LIKE 'run-1%'", orderBy: ["params.lr DESC"], maxResults: 100 }
  },
  { name: "(d) no filter, 100 results", query: { maxResults: 100 } },
  { name: "(d) no filter, 1000 results", query: { maxResults: 1000 } }
]

/** Seeds the search corpus: `runCount` runs with two metrics, three params and two tags each. */
export const seed = Effect.gen(function* () {
  const tracker = yield* ExperimentTracker
  const { experimentId } = yield* tracker.createExperiment({ name: "search-bench" })
  const seeded = performance.now()
  for (let i = 0; i < runCount; i++) {
    const run = yield* tracker.createRun({ experimentId, runName: `run-${i}`, startTime: 1_700_000_000_000 + i })
    yield* tracker.logBatch(run.info.runId, {
      metrics: [
        { key: "loss", value: ((i * 7919) % 1000) / 1000, step: 10 },
        { key: "accuracy", value: ((i * 104729) % 1000) / 1000, step: 10 }
      ],
      params: [
        { key: "lr", value: String(((i * 31) % 97) / 1000) },
        { key: "optimizer", value: optimizers[i % optimizers.length]! },
        { key: "batch_size", value: String(2 ** (4 + (i % 5))) }
      ],
      tags: [
        { key: "team", value: teams[i % teams.length]! },
        { key: "stage", value: i % 2 === 0 ? "dev" : "prod" }
      ]
    })
  }
  console.log(`seeded ${runCount} runs in ${Math.round(performance.now() - seeded)} ms`)
  return experimentId
})

export const runSearch = async (): Promise<ReadonlyArray<Figure>> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-bench-search-"))
  const measure = (experimentId: ExperimentId) =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const figures: Array<Figure> = []
      for (const { name, query } of queries) {
        const samples: Array<number> = []
        let results = 0
        for (let i = 0; i < iterations + 5; i++) {
          const started = performance.now()
          const page = yield* tracker.searchRuns({ experimentIds: [experimentId], ...query })
          if (i >= 5) samples.push(performance.now() - started)
          results = page.items.length
        }
        figures.push(
          { name: `searchRuns ${name} [${results} runs] p50`, unit: "ms", value: round(percentile(samples, 50)) },
          { name: `searchRuns ${name} [${results} runs] p95`, unit: "ms", value: round(percentile(samples, 95)) }
        )
      }
      return figures
    })
  try {
    const store = makeBasicLayer({ dataPath: dir })
    const experimentId = await Effect.runPromise(seed.pipe(Effect.provide(store)))
    return await Effect.runPromise(measure(experimentId).pipe(Effect.provide(store)))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
