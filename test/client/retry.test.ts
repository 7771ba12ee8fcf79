import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http"
import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { RemoteLayer, RemoteSession } from "../../src/client/RemoteLayer.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { startBasicServer } from "../support/server.js"

type Fault = "503" | "429" | "drop-answer"

/**
 * A proxy in front of the server that disturbs metric batches: the faults
 * are applied in turn to the first batch requests (answered 503 or 429
 * without reaching the server, or forwarded with the answer thrown away, as
 * when a connection dies after the server committed), then it forwards.
 */
const flakyProxy = (target: string, faults: ReadonlyArray<Fault>) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly close: () => void; readonly batches: () => number }>((resume) => {
      const pending = [...faults]
      let batches = 0
      const forward = (req: IncomingMessage, res: ServerResponse, dropAnswer: boolean) => {
        const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
          if (dropAnswer) {
            answer.resume()
            answer.on("end", () => res.socket?.destroy())
            return
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        })
        req.pipe(upstream)
      }
      const proxy = createServer((req, res) => {
        const isBatch = req.method === "POST" && /\/runs\/[0-9a-f]{32}\/batch$/.test(req.url ?? "")
        if (isBatch) batches++
        const fault = isBatch ? pending.shift() : undefined
        if (fault === "503" || fault === "429") {
          req.resume()
          res.writeHead(Number(fault), { "content-type": "text/plain" }).end("try later")
          return
        }
        forward(req, res, fault === "drop-answer")
      })
      proxy.listen(0, "127.0.0.1", () => {
        const address = proxy.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, close: () => proxy.close(), batches: () => batches }))
      })
    }),
    (proxy) => Effect.sync(proxy.close)
  )

it.live(
  "metric batches retried after 503, 429 and a lost answer are stored exactly once, in order",
  () =>
    Effect.gen(function* () {
      const server = yield* startBasicServer()
      const proxy = yield* flakyProxy(server, ["503", "429", "drop-answer", "503"])
      const steps = yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const experiment = yield* tracker.createExperiment({ name: "flaky" })
        const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
        for (let step = 0; step < 2500; step++) {
          yield* tracker.logMetric(run.info.runId, { key: "loss", value: step, step, timestamp: 1 })
        }
        yield* Effect.flatMap(RemoteSession, (session) => session.flush)
        const history = yield* tracker.getMetricHistory({ runId: run.info.runId, key: "loss", maxResults: 5000 })
        return history.items.map((point) => point.step)
      }).pipe(Effect.provide(RemoteLayer({ url: proxy.url })))
      assert.deepStrictEqual(
        steps,
        Array.from({ length: 2500 }, (_, step) => step)
      )
      // Three batches (1000 + 1000 + 500 points), plus one retry per fault.
      assert.strictEqual(proxy.batches(), 3 + 4)
    }).pipe(Effect.scoped),
  60_000
)
