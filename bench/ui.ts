/**
 * Web UI benchmark in Debian's headless Chromium (`playwright-core`),
 * against the built server executable over a database of 100,000 runs × 20
 * metrics and one run with 10 metrics of 1,000,000 points each. Measured
 * with the browser's own clock (`performance.now()` from navigation start,
 * `requestAnimationFrame` intervals). Targets of issue #5, reported next to
 * each figure:
 * - runs table first render under 1.5 s,
 * - during a scripted scroll, 95% of animation-frame intervals at or under 20 ms,
 * - the 10-metric run page renders every chart under 1 s.
 * Headless Chromium on 2 cores shares them with the server: honest floors.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, ManagedRuntime } from "effect"
import type { Browser } from "playwright-core"
import { makeBasicLayer } from "../layers/index.js"
import { generateRuns } from "../programs/generate/runs.js"
import { ExperimentTracker } from "../src/index.js"
import { launchBrowser } from "../test/e2e/browser.js"
import { freePort } from "../test/support/freePort.js"
import { builtExecutable, spawnServer } from "../test/support/serverProcess.js"
import type { Figure } from "./report.js"
import { percentile, round } from "./stats.js"

const runCount = 100_000
const metricsPerRun = 20
const bigRunMetrics = 10
const bigRunPoints = 1_000_000
const repeats = 5

/**
 * 100,000 runs with 20 latest metrics, 3 params and a tag each, and the
 * 10 × 1M-point run, generated unless the store already has them (seeding
 * takes minutes; `BENCH_UI_DATA=<dir>` keeps the store between runs).
 */
const seed = (dataPath: string) => {
  const runtime = ManagedRuntime.make(makeBasicLayer({ dataPath }))
  return runtime
    .runPromise(
      Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const named = (prefix: string) =>
          Effect.map(
            tracker.searchExperiments({ filter: `name LIKE '${prefix}%'`, maxResults: 1 }),
            (page) => page.items[0]?.experimentId
          )
        const experimentId = yield* named(`generated-${runCount}-runs-`)
        const longExperiment = yield* named("generated-long-histories-")
        if (experimentId !== undefined && longExperiment !== undefined) {
          const [longRun] = (yield* tracker.searchRuns({ experimentIds: [longExperiment], maxResults: 1 })).items
          if (longRun !== undefined) return { experimentId, bigRunId: longRun.info.runId, seeded: false }
        }
        const generated = yield* generateRuns({
          runs: runCount,
          metrics: metricsPerRun,
          longMetrics: bigRunMetrics,
          points: bigRunPoints
        })
        return { experimentId: generated.experimentId, bigRunId: generated.longRunId ?? "", seeded: true }
      })
    )
    .finally(() => runtime.dispose())
}

const median = (samples: ReadonlyArray<number>) => percentile(samples, 50)

const measure = (browser: Browser, base: string, experimentId: string, bigRunId: string) =>
  Effect.promise(async () => {
    const open = async () => {
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 } })
      // tsx keeps function names with a __name helper that the page does not have.
      await context.addInitScript("globalThis.__name = (f) => f")
      return { page: await context.newPage(), close: () => context.close() }
    }

    const firstRender: Array<number> = []
    for (let i = 0; i < repeats; i++) {
      const { page, close } = await open()
      await page.goto(`${base}/experiments/${experimentId}?cols=status,start,m:metric_0,m:metric_1,p:lr,t:team`)
      const at = await page.waitForFunction(() => (document.querySelector(".vtable-row") ? performance.now() : 0))
      firstRender.push((await at.jsonValue()) as number)
      await close()
    }

    const { page, close } = await open()
    await page.goto(`${base}/experiments/${experimentId}?cols=status,start,m:metric_0,m:metric_1,p:lr,t:team`)
    await page.waitForSelector(".vtable-row")
    const intervals = await page.evaluate(
      () =>
        new Promise<Array<number>>((resolve) => {
          const box = document.querySelector(".vtable") as HTMLElement
          const frames: Array<number> = []
          let last = performance.now()
          const until = last + 5000
          const step = (now: number) => {
            frames.push(now - last)
            last = now
            box.scrollTop += 240
            if (now < until) requestAnimationFrame(step)
            else resolve(frames.slice(1))
          }
          requestAnimationFrame(step)
        })
    )
    const scrolledRows = await page.evaluate(() => document.querySelector("output")?.textContent ?? "")
    await close()

    const runPage: Array<number> = []
    for (let i = 0; i < 3; i++) {
      const { page: runView, close: closeRun } = await open()
      await runView.goto(`${base}/runs/${bigRunId}`)
      const at = await runView.waitForFunction(
        (count) => {
          const captions = Array.from(document.querySelectorAll("figure[data-metric] figcaption"))
          const drawn = document.querySelectorAll("figure[data-metric] canvas").length
          return captions.length === count && drawn === count && captions.every((c) => c.textContent?.includes("shown"))
            ? performance.now()
            : 0
        },
        bigRunMetrics,
        { timeout: 60_000 }
      )
      runPage.push((await at.jsonValue()) as number)
      await closeRun()
    }
    return { firstRender, intervals, scrolledRows, runPage }
  })

export const runUi = (): Promise<ReadonlyArray<Figure>> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const kept = process.env.BENCH_UI_DATA
      const dir = kept ?? fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-bench-ui-"))
      if (kept === undefined)
        yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const seeding = performance.now()
      const { experimentId, bigRunId, seeded } = yield* Effect.promise(() => seed(dir))
      if (seeded)
        console.log(
          `seeded ${runCount.toLocaleString("en-US")} runs and a 10M-point run in ${Math.round(performance.now() - seeding)} ms`
        )

      const port = yield* freePort
      yield* spawnServer(dir, port, { executable: builtExecutable, discardLogs: true })
      const browser = yield* Effect.acquireRelease(
        Effect.promise(() => launchBrowser()),
        (b) => Effect.promise(() => b.close())
      )
      const m = yield* measure(browser, `http://127.0.0.1:${port}`, experimentId, bigRunId)
      const within = m.intervals.filter((ms) => ms <= 20).length / m.intervals.length
      const target = (name: string, value: number) => ({ name: `target (issue #5): ${name}`, value })
      return [
        {
          name: `runs table first render, ${runCount.toLocaleString("en-US")} runs × ${metricsPerRun} metrics (median of ${repeats}, from navigation start)`,
          unit: "ms",
          value: Math.round(median(m.firstRender)),
          baseline: target("under", 1500),
          ratio: median(m.firstRender) / 1500
        },
        {
          name: `runs table scripted scroll, 5 s at 240 px/frame: animation frames at or under 20 ms (${m.intervals.length} frames; ${m.scrolledRows})`,
          unit: "%",
          value: round(within * 100, 1),
          baseline: target("at least", 95),
          ratio: (within * 100) / 95
        },
        {
          name: "runs table scripted scroll: p95 animation-frame interval",
          unit: "ms",
          value: round(percentile(m.intervals, 95), 1)
        },
        {
          name: `run page with ${bigRunMetrics} metrics of ${bigRunPoints.toLocaleString("en-US")} points: every chart drawn (median of 3, from navigation start)`,
          unit: "ms",
          value: Math.round(median(m.runPage)),
          baseline: target("under", 1000),
          ratio: median(m.runPage) / 1000
        }
      ] satisfies Array<Figure>
    }).pipe(Effect.scoped)
  )
