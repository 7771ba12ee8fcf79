/**
 * A synthetic tracking load, to try the web UI at scale and for the UI
 * benchmark: one experiment of `--runs` runs (default 100,000), each with
 * `--metrics` latest metric values (default 20), three params and a tag,
 * and, with `--long-metrics K`, a run in a second experiment with K metrics
 * of `--points` points each (default 1,000,000). Data under MLOPS_DATA_DIR
 * (default ./mlops-data); then `npx effect-mlops server --data <dir>`.
 *
 * `npx tsx programs/generate-runs.ts --runs 100000 --long-metrics 10`
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, Console, Effect } from "effect"
import { BasicLayer } from "../layers/index.js"
import { generateRuns } from "./generate/runs.js"

/** `--name N`, a non-negative integer; anything else stops with exit code 2 and says why. */
const flag = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  if (at < 0) return fallback
  const value = Number(process.argv[at + 1])
  if (Number.isSafeInteger(value) && value >= 0) return value
  console.error(`--${name} takes a non-negative integer, got ${JSON.stringify(process.argv[at + 1] ?? "")}`)
  process.exit(2)
}

Effect.gen(function* () {
  const dataPath = yield* Config.string("MLOPS_DATA_DIR").pipe(Config.withDefault("./mlops-data"))
  const options = {
    runs: flag("runs", 100_000),
    metrics: flag("metrics", 20),
    longMetrics: flag("long-metrics", 0),
    points: flag("points", 1_000_000)
  }
  const started = Date.now()
  const { experimentId, longRunId } = yield* generateRuns(options)
  yield* Console.log(
    `${options.runs} runs in experiment ${experimentId}${longRunId ? `, long histories in run ${longRunId}` : ""}, in ${dataPath} (${Math.round((Date.now() - started) / 1000)} s)`
  )
}).pipe(Effect.provide(BasicLayer), NodeRuntime.runMain)
