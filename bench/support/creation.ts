/**
 * Run creation, as the HTTP bench times it: what one run creation sends,
 * how a sequence of them is timed, and the load generator that sends them
 * over HTTP from a process of its own (`creationClient.ts`).
 */
import { spawn } from "node:child_process"
import { Effect } from "effect"
import { percentile } from "../stats.js"
import { post } from "./loadClient.js"

/** Runs timed per pass. */
export const runsCreated = 500
const steadyWarmUp = 3_500
/** Passes of `runsCreated` timed at steady state; their median is the figure. */
export const steadyPasses = 3

/** Run creation rates right after start and once the JIT has settled (runs per second). */
export interface CreationRates {
  readonly cold: number
  readonly steady: number
}

/**
 * Times `runsCreated` sequential run creations after a warm-up of 50 (a
 * server just started), then, after `steadyWarmUp` more, when a
 * long-running server's hot paths are optimised, `steadyPasses` times and
 * takes the median, as this VM's speed drifts from minute to minute.
 * Measured here in passes of 500, our server's rate still rose for about
 * the first 3,500 runs (the bare server's for about 1,500).
 */
export const creationRates = <E, R>(createOne: (i: number) => Effect.Effect<void, E, R>) =>
  Effect.gen(function* () {
    let next = 0
    const pass = (runs: number) =>
      Effect.gen(function* () {
        const started = performance.now()
        for (let n = 0; n < runs; n++) yield* createOne(next++)
        return runs / ((performance.now() - started) / 1000)
      })
    yield* pass(50)
    const cold = yield* pass(runsCreated)
    yield* pass(steadyWarmUp)
    const steadyRates: Array<number> = []
    for (let p = 0; p < steadyPasses; p++) steadyRates.push(yield* pass(runsCreated))
    const steady = percentile(steadyRates, 50)
    return { cold, steady } satisfies CreationRates
  })

/** What one run creation logs after `runs/create`: one metric, one param and one tag. */
export const firstBatch = {
  metrics: [{ key: "loss", value: 0.5, timestamp: Date.now(), step: 0 }],
  params: [{ key: "lr", value: "0.01" }],
  tags: [{ key: "team", value: "bench" }]
}

/** One run creation over MLflow's API: `runs/create`, then `log-batch` of {@link firstBatch}. */
export const createRunOverHttp = async (base: string, experimentId: string, i: number): Promise<void> => {
  const { run } = (await post(
    `${base}/api/2.0/mlflow/runs/create`,
    JSON.stringify({ experiment_id: experimentId, run_name: `created-${i}`, start_time: Date.now() })
  )) as { run: { info: { run_id: string } } }
  await post(`${base}/api/2.0/mlflow/runs/log-batch`, JSON.stringify({ run_id: run.info.run_id, ...firstBatch }))
}

/**
 * {@link creationRates} of sequential `runs/create` + `log-batch` requests
 * against the server at `base`, sent from a new process: in a sequential run
 * the client's time adds to the server's, and a client sharing this
 * process's heap (100–300 MB after seeding and the in-process baselines)
 * measured about 10% fewer runs per second than a fresh one against the
 * same server (alternated, with 200 MB of retained objects as the heap).
 */
export const httpCreationRates = (base: string, experimentId: string): Effect.Effect<CreationRates> =>
  Effect.async<CreationRates>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/support/creationClient.ts", base, experimentId], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let output = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
    })
    child.on("exit", (code) =>
      resume(
        code === 0
          ? Effect.sync(() => JSON.parse(output) as CreationRates)
          : Effect.dieMessage(`bench/support/creationClient.ts exited with ${code}: ${output}`)
      )
    )
    return Effect.sync(() => child.kill())
  })
