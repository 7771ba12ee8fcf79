/**
 * Tracking-server benchmark, end to end over loopback HTTP against a server
 * in its own process (the built `effect-mlops server`, so `npm run bench`
 * builds first), driven through the
 * MLflow REST API that existing clients speak. Figures, with the targets of
 * issue #4 and what a real MLflow 3.6 server measured on this kind of
 * machine (the baseline a user would otherwise pick):
 * - time until `/readyz` answers, on the first start after a build or
 *   install (from the code cache the build ships) and without a usable code
 *   cache (MLflow: 7–8 s),
 * - `runs/search` over 10,000 runs, p50 under 30 ms (150 ms for 1000 results; MLflow: 630–720 ms),
 * - run creation (create + small batch, sequential) ≥ 500 runs/s (MLflow: ~8), right after start
 *   and at steady state,
 * - `log-batch` ingest, 1000 points per request, 1 and 4 clients: ≥ 208,000 points/s
 *   (40× MLflow's ~5,200) and within 3× of in-process `logBatch` measured in the same run,
 * - the server's peak RSS under that load, under 150 MB (MLflow: ~740 MB),
 * - `RemoteLayer`: p99 time inside `logMetric` over 100,000 calls, under 1 ms.
 *
 * The load generator sends pre-serialised bodies through undici's
 * `dispatch` over keep-alive connections (`support/loadClient.ts`), so it
 * spends far less time per request than the server. Run creation's, whose
 * time adds to the server's in a sequential run, runs in a process of its
 * own (`support/creationClient.ts`), for the bare floor and our server alike.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, ManagedRuntime } from "effect"
import { makeBasicLayer, RemoteLayer, RemoteSession } from "../layers/index.js"
import { type ExperimentId, ExperimentTracker, type ExperimentTrackerShape } from "../src/index.js"
import { freePort } from "../test/support/freePort.js"
import { builtExecutable, spawnServer } from "../test/support/serverProcess.js"
import { makeBatch } from "./ingest.js"
import {
  type CreationRates,
  creationRates,
  firstBatch,
  httpCreationRates,
  runsCreated,
  steadyPasses
} from "./support/creation.js"
import { closeConnections, ingest, post } from "./support/loadClient.js"
import type { Figure } from "./report.js"
import { iterations, queries, seed } from "./search.js"
import { percentile, round } from "./stats.js"

const mlflowLogBatchRate = 5_200
const requestsOneClient = 400
const requestsPerClientOfFour = 150
const remoteCalls = 100_000
/** 1000-point batches sent before ingest is timed, in-process and over HTTP alike. */
const ingestWarmUp = 50

/** Peak resident set size of a process while `during` runs, sampled every 50 ms from /proc. */
const peakRss = async <A>(
  pid: number,
  during: () => Promise<A>
): Promise<{ readonly result: A; readonly mb: number }> => {
  let peak = 0
  const sample = () => {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    peak = Math.max(peak, kb)
  }
  const timer = setInterval(sample, 50)
  try {
    sample()
    const result = await during()
    sample()
    return { result, mb: peak / 1024 }
  } finally {
    clearInterval(timer)
  }
}

/** Runs `measure` in a new experiment on a BasicLayer of its own over `dataPath`, disposed afterwards. */
const inNewExperiment = async <A>(
  dataPath: string,
  measure: (tracker: ExperimentTrackerShape, experimentId: ExperimentId) => Effect.Effect<A, unknown>
): Promise<A> => {
  const runtime = ManagedRuntime.make(makeBasicLayer({ dataPath }))
  try {
    return await runtime.runPromise(
      Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const { experimentId } = yield* tracker.createExperiment({ name: "in-process" })
        return yield* measure(tracker, experimentId)
      })
    )
  } finally {
    await runtime.dispose()
  }
}

/** The in-process rate in the same run: `logBatch` of the same batches on BasicLayer, after the same warm-up. */
const inProcessRate = (dataPath: string): Promise<number> =>
  inNewExperiment(dataPath, (tracker, experimentId) =>
    Effect.gen(function* () {
      const run = yield* tracker.createRun({ experimentId })
      const warmUp = yield* tracker.createRun({ experimentId })
      for (let b = 0; b < ingestWarmUp; b++) yield* tracker.logBatch(warmUp.info.runId, { metrics: makeBatch(b) })
      const batches = Array.from({ length: requestsOneClient }, (_, b) => makeBatch(b))
      const started = performance.now()
      for (const metrics of batches) yield* tracker.logBatch(run.info.runId, { metrics })
      return (batches.length * 1000) / ((performance.now() - started) / 1000)
    })
  )

/**
 * The core alone doing what one HTTP run creation asks (`createRun`, then
 * `logBatch` of {@link firstBatch}) on BasicLayer: the ceiling of the HTTP
 * figure before any request is parsed.
 */
const inProcessCreationRates = (dataPath: string): Promise<CreationRates> =>
  inNewExperiment(dataPath, (tracker, experimentId) =>
    creationRates((i) =>
      Effect.flatMap(tracker.createRun({ experimentId, runName: `created-${i}`, startTime: Date.now() }), (run) =>
        tracker.logBatch(run.info.runId, firstBatch)
      )
    )
  )

const searchFigures = async (base: string, experimentId: string): Promise<Array<Figure>> => {
  const figures: Array<Figure> = []
  for (const { name, query } of queries) {
    const body = JSON.stringify({
      experiment_ids: [experimentId],
      ...(query.filter === undefined ? {} : { filter: query.filter }),
      ...(query.orderBy === undefined ? {} : { order_by: query.orderBy }),
      max_results: query.maxResults
    })
    const samples: Array<number> = []
    let results = 0
    for (let i = 0; i < iterations + 5; i++) {
      const started = performance.now()
      const page = (await post(`${base}/api/2.0/mlflow/runs/search`, body)) as { runs?: ReadonlyArray<unknown> }
      if (i >= 5) samples.push(performance.now() - started)
      results = page.runs?.length ?? 0
    }
    figures.push(
      { name: `HTTP runs/search ${name} [${results} runs] p50`, unit: "ms", value: round(percentile(samples, 50)) },
      { name: `HTTP runs/search ${name} [${results} runs] p95`, unit: "ms", value: round(percentile(samples, 95)) }
    )
  }
  return figures
}

/**
 * Run creation against `bench/support/bare-run-server.ts` in its own
 * process: the floor any server pays here for two JSON requests and two
 * SQLite transactions per run.
 */
const bareServerRate = (file: string) =>
  Effect.gen(function* () {
    const port = yield* freePort
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, ["--import", "tsx", "bench/support/bare-run-server.ts", String(port), file], {
          stdio: ["ignore", "pipe", "inherit"]
        })
      ),
      (child) => Effect.sync(() => child.kill())
    )
    yield* Effect.async<void>((resume) => {
      child.stdout?.once("data", () => resume(Effect.void))
    })
    return yield* httpCreationRates(`http://127.0.0.1:${port}`, "1")
  }).pipe(Effect.scoped)

/** p50/p99/max of the time one `logMetric` call takes through RemoteLayer, and the final flush. */
const remoteLogMetric = (url: string) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const session = yield* RemoteSession
    const { experimentId } = yield* tracker.createExperiment({ name: "remote-log-metric" })
    const run = yield* tracker.createRun({ experimentId })
    const samples = new Float64Array(remoteCalls)
    for (let i = 0; i < remoteCalls; i++) {
      const started = performance.now()
      yield* tracker.logMetric(run.info.runId, { key: "loss", value: 1 / (i + 1), step: i })
      samples[i] = performance.now() - started
    }
    const flushStarted = performance.now()
    yield* session.flush
    const flushMs = performance.now() - flushStarted
    const sorted = Array.from(samples)
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), flushMs }
  }).pipe(Effect.provide(RemoteLayer({ url })))

export const runHttp = (): Promise<ReadonlyArray<Figure>> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-bench-http-"))
      yield* Effect.addFinalizer(() =>
        Effect.promise(closeConnections).pipe(Effect.andThen(() => fs.rmSync(dir, { recursive: true, force: true })))
      )
      const dataDir = path.join(dir, "server")
      const seeding = ManagedRuntime.make(makeBasicLayer({ dataPath: dataDir }))
      const searchExperiment = yield* Effect.promise(() => seeding.runPromise(seed))
      yield* Effect.promise(() => seeding.dispose())
      // The baselines run before the server starts: an in-process phase keeps this process busy for seconds, past
      // the server's 5 s keep-alive timeout, and the next request could go out on a pooled socket the server closed.
      const floor = yield* bareServerRate(path.join(dir, "bare.db"))
      const core = yield* Effect.promise(() => inProcessCreationRates(path.join(dir, "in-process-creation")))
      const inProcess = yield* Effect.promise(() => inProcessRate(path.join(dir, "in-process")))
      yield* Effect.promise(closeConnections)

      // A cache directory of this run's own, empty: the measured server's start is a first start, which loads the
      // code cache shipped with the build. The start before it compiles, as one from another Node version would.
      const env = { EFFECT_MLOPS_COMPILE_CACHE: path.join(dir, "compile-cache") }
      const compilingReadyMs = yield* Effect.scoped(
        Effect.gen(function* () {
          const spawned = performance.now()
          yield* spawnServer(path.join(dir, "compiling-start"), yield* freePort, {
            executable: builtExecutable,
            discardLogs: true,
            env: { ...env, NODE_DISABLE_COMPILE_CACHE: "1" }
          })
          return performance.now() - spawned
        })
      )
      const port = yield* freePort
      const spawned = performance.now()
      const server = yield* spawnServer(dataDir, port, { executable: builtExecutable, discardLogs: true, env })
      const readyMs = performance.now() - spawned
      const base = `http://127.0.0.1:${port}`
      const pid = server.child.pid ?? 0

      const startFigure = (name: string, ms: number): Figure => ({
        name: `server start until /readyz (the built executable, from process spawn), ${name}`,
        unit: "ms",
        value: Math.round(ms),
        baseline: { name: "MLflow 3.6 server, measured", value: 7_000 },
        ratio: ms / 7_000
      })
      const figures: Array<Figure> = [
        startFigure("first start after a build or install (loads the code cache shipped with the build)", readyMs),
        startFigure("without a usable code cache (another Node version; compiles the bundle)", compilingReadyMs)
      ]
      figures.push(...(yield* Effect.promise(() => searchFigures(base, searchExperiment))))

      const { experiment_id: experimentId } = (yield* Effect.promise(() =>
        post(`${base}/api/2.0/mlflow/experiments/create`, JSON.stringify({ name: "http-bench" }))
      )) as { experiment_id: string }
      const created = yield* httpCreationRates(base, experimentId)
      const creation = `HTTP run creation (runs/create + log-batch, sequential, ${runsCreated} runs)`
      figures.push(
        {
          name: `${creation}, right after start`,
          unit: "runs/s",
          value: Math.round(created.cold),
          baseline: { name: "MLflow 3.6 server, measured", value: 8 },
          ratio: created.cold / 8
        },
        {
          name: `${creation}, steady state (median of ${steadyPasses} passes)`,
          unit: "runs/s",
          value: Math.round(created.steady),
          baseline: { name: "MLflow 3.6 server, measured", value: 8 },
          ratio: created.steady / 8
        },
        {
          name: "HTTP run creation, steady state, vs the bare floor on this machine",
          unit: "runs/s",
          value: Math.round(created.steady),
          baseline: { name: "bare node:http + better-sqlite3, same requests", value: Math.round(floor.steady) },
          ratio: created.steady / floor.steady
        },
        {
          name: "HTTP run creation, steady state, vs the same calls in-process (createRun + logBatch, BasicLayer)",
          unit: "runs/s",
          value: Math.round(created.steady),
          baseline: { name: "in-process, the core alone", value: Math.round(core.steady) },
          ratio: created.steady / core.steady
        }
      )

      const newRun = () =>
        Effect.promise(async () => {
          const { run } = (await post(
            `${base}/api/2.0/mlflow/runs/create`,
            JSON.stringify({ experiment_id: experimentId, start_time: Date.now() })
          )) as { run: { info: { run_id: string } } }
          return run.info.run_id
        })
      const warmUpRun = yield* newRun()
      yield* Effect.promise(() => ingest(base, [warmUpRun], ingestWarmUp))
      const oneRun = [yield* newRun()]
      const fourRuns = [yield* newRun(), yield* newRun(), yield* newRun(), yield* newRun()]
      const one = yield* Effect.promise(() => peakRss(pid, () => ingest(base, oneRun, requestsOneClient)))
      const four = yield* Effect.promise(() => peakRss(pid, () => ingest(base, fourRuns, requestsPerClientOfFour)))
      for (const [label, measured] of [
        ["1 client", one],
        ["4 clients", four]
      ] as const) {
        figures.push(
          {
            name: `HTTP log-batch(1000) ingest, ${label}`,
            unit: "points/s",
            value: Math.round(measured.result),
            baseline: { name: "MLflow 3.6 server, 1 client, measured", value: mlflowLogBatchRate },
            ratio: measured.result / mlflowLogBatchRate
          },
          {
            name: `HTTP log-batch(1000) ingest, ${label}, vs in-process logBatch in this run`,
            unit: "points/s",
            value: Math.round(measured.result),
            baseline: { name: "in-process logBatch(1000), BasicLayer", value: Math.round(inProcess) },
            ratio: measured.result / inProcess
          },
          { name: `server peak RSS during ingest, ${label}`, unit: "MB", value: Math.round(measured.mb) }
        )
      }

      const remote = yield* remoteLogMetric(base)
      figures.push(
        {
          name: `RemoteLayer logMetric, ${remoteCalls.toLocaleString("en-US")} calls, p50`,
          unit: "ms",
          value: round(remote.p50, 4)
        },
        {
          name: `RemoteLayer logMetric, ${remoteCalls.toLocaleString("en-US")} calls, p99`,
          unit: "ms",
          value: round(remote.p99, 4)
        },
        { name: "RemoteLayer flush after the loop", unit: "ms", value: Math.round(remote.flushMs) }
      )
      return figures
    }).pipe(Effect.scoped)
  )
