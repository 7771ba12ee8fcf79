import { createServer } from "node:http"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, HashMap, Layer, List, Logger, LogLevel, Option } from "effect"
import { makeRequestLog } from "../../../src/http/server/requestLog.js"

interface Line {
  readonly message: unknown
  readonly annotations: Record<string, unknown>
  readonly spans: ReadonlyArray<string>
  readonly cause: Cause.Cause<unknown>
}

const requestLines = (lines: ReadonlyArray<Line>) =>
  lines.filter((line) => Array.isArray(line.message) && line.message[0] === "Sent HTTP response")

const Routes = Layer.mergeAll(
  HttpLayerRouter.add("GET", "/ok", Effect.succeed(HttpServerResponse.text("ok"))),
  HttpLayerRouter.add("GET", "/chatty", Effect.as(Effect.logInfo("inside the handler"), HttpServerResponse.text("ok"))),
  HttpLayerRouter.add("GET", "/boom", Effect.die(new Error("boom"))),
  HttpLayerRouter.add("GET", "/quiet", Effect.succeed(HttpServerResponse.text("ok"))).pipe(
    Layer.provide(HttpLayerRouter.disableLogger)
  )
)

/** Serves {@link Routes} under the request log for the scope, with every log line captured; the base URL and the lines. */
const serve = (minimum: LogLevel.LogLevel = LogLevel.Info) =>
  Effect.gen(function* () {
    const lines: Array<Line> = []
    const capture = Logger.make<unknown, void>(({ message, annotations, spans, cause }) => {
      lines.push({
        message,
        annotations: Object.fromEntries(HashMap.toEntries(annotations)),
        spans: List.toArray(spans).map((span) => span.label),
        cause
      })
    })
    const context = yield* Layer.build(
      HttpLayerRouter.serve(Routes, { disableLogger: true, disableListenLog: true, middleware: makeRequestLog() }).pipe(
        Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
        Layer.provide(Logger.replace(Logger.defaultLogger, capture)),
        Layer.provide(Logger.minimumLogLevel(minimum))
      )
    )
    const server = yield* Effect.provide(HttpServer.HttpServer, context)
    const address = server.address
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("expected a TCP address")
    /** GETs `path`; as the line is written after the response is sent, waits up to 1 s for a new one. */
    const get = (path: string) =>
      Effect.promise(async () => {
        const before = requestLines(lines).length
        const response = await fetch(`http://127.0.0.1:${address.port}${path}`)
        await response.text()
        for (let waited = 0; requestLines(lines).length === before && waited < 1000; waited += 10) {
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
        return response.status
      })
    return { get, lines }
  })

describe("request log", () => {
  it.scoped("writes one line per request with its method, URL and status under an http.span", () =>
    Effect.gen(function* () {
      const { get, lines } = yield* serve()
      assert.strictEqual(yield* get("/ok?x=1"), 200)
      const [line, ...more] = requestLines(lines)
      assert.deepStrictEqual(more, [])
      assert.deepStrictEqual(line?.annotations, { "http.method": "GET", "http.url": "/ok?x=1", "http.status": 200 })
      assert.match(line?.spans[0] ?? "", /^http\.span\.\d+$/)
      assert.isTrue(Cause.isEmpty(line?.cause ?? Cause.die("no line")))
    })
  )

  it.scoped("a line logged while the request runs carries the request's http.span", () =>
    Effect.gen(function* () {
      const { get, lines } = yield* serve()
      yield* get("/chatty")
      const inside = lines.find((line) => Array.isArray(line.message) && line.message[0] === "inside the handler")
      const [sent] = requestLines(lines)
      assert.isDefined(inside)
      assert.deepStrictEqual(inside?.spans, sent?.spans)
    })
  )

  it.scoped("a request that dies is logged with status 500 and the defect as the cause", () =>
    Effect.gen(function* () {
      const { get, lines } = yield* serve()
      assert.strictEqual(yield* get("/boom"), 500)
      const [line] = requestLines(lines)
      assert.strictEqual(line?.annotations["http.status"], 500)
      const defect = Option.getOrUndefined(Cause.dieOption(line?.cause ?? Cause.empty))
      assert.instanceOf(defect, Error)
      assert.strictEqual((defect as Error).message, "boom")
    })
  )

  it.scoped("routes under HttpLayerRouter.disableLogger write no line", () =>
    Effect.gen(function* () {
      const { get, lines } = yield* serve()
      yield* get("/quiet")
      yield* get("/ok")
      assert.deepStrictEqual(
        requestLines(lines).map((line) => line.annotations["http.url"]),
        ["/ok"]
      )
    })
  )

  it.scoped("a minimum log level above the fiber's level silences the lines", () =>
    Effect.gen(function* () {
      const { get, lines } = yield* serve(LogLevel.Warning)
      yield* get("/ok")
      assert.deepStrictEqual(requestLines(lines), [])
    })
  )
})
