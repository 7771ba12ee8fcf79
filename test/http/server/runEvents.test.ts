import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { startBasicServer } from "../../support/server.js"

/** Reads server-sent events from `url` until `until` says stop or the stream ends; returns the `run` events. */
const readEvents = (url: string, until: (events: ReadonlyArray<RunEvent>) => boolean) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    const events: Array<RunEvent> = []
    let buffer = ""
    let ended = false
    while (!until(events)) {
      const { done, value } = await reader.read()
      if (done) {
        ended = true
        break
      }
      buffer += decoder.decode(value, { stream: true })
      let end = buffer.indexOf("\n\n")
      while (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = block.split("\n").find((line) => line.startsWith("data: "))
        if (block.startsWith("event: run") && data) events.push(JSON.parse(data.slice(6)) as RunEvent)
        end = buffer.indexOf("\n\n")
      }
    }
    if (!ended) await reader.cancel()
    return { status: response.status, type: response.headers.get("content-type"), events, ended }
  })

interface RunEvent {
  readonly info: { readonly status: string }
  readonly data: { readonly metrics: ReadonlyArray<{ readonly key: string; readonly value: number }> }
}

const call = (url: string, method: string, body: unknown) =>
  Effect.promise(() =>
    fetch(url, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(
      async (r) => (r.status === 204 ? undefined : ((await r.json()) as { info: { runId: string } }))
    )
  )

describe("a run's live event stream", () => {
  it.scopedLive("sends the run when it opens, again when a metric arrives, and ends after the run finishes", () =>
    Effect.gen(function* () {
      const base = yield* startBasicServer()
      const run = (yield* call(`${base}/api/v1/runs`, "POST", { experimentId: "0" }))!
      const runId = run.info.runId
      const watching = yield* Effect.fork(
        readEvents(`${base}/api/v1/runs/${runId}/events`, (events) => events.length >= 3)
      )
      yield* Effect.sleep("1500 millis")
      yield* call(`${base}/api/v1/runs/${runId}/metrics`, "POST", { key: "loss", value: 0.5, step: 1 })
      yield* Effect.sleep("1500 millis")
      yield* call(`${base}/api/v1/runs/${runId}`, "PATCH", { status: "FINISHED" })
      const { status, type, events } = yield* watching
      assert.strictEqual(status, 200)
      assert.strictEqual(type, "text/event-stream")
      assert.deepStrictEqual(
        events.map((e) => [e.info.status, e.data.metrics.map((m) => m.key)]),
        [
          ["RUNNING", []],
          ["RUNNING", ["loss"]],
          ["FINISHED", ["loss"]]
        ]
      )
    })
  )

  it.scopedLive("of a finished run sends it once and ends", () =>
    Effect.gen(function* () {
      const base = yield* startBasicServer()
      const run = (yield* call(`${base}/api/v1/runs`, "POST", { experimentId: "0" }))!
      yield* call(`${base}/api/v1/runs/${run.info.runId}`, "PATCH", { status: "FAILED" })
      const { events, ended } = yield* readEvents(`${base}/api/v1/runs/${run.info.runId}/events`, () => false)
      assert.isTrue(ended)
      assert.deepStrictEqual(
        events.map((e) => e.info.status),
        ["FAILED"]
      )
    })
  )

  it.scopedLive("answers 404 for an unknown run and 400 for a malformed id", () =>
    Effect.gen(function* () {
      const base = yield* startBasicServer()
      const missing = yield* Effect.promise(() => fetch(`${base}/api/v1/runs/${"a".repeat(32)}/events`))
      assert.strictEqual(missing.status, 404)
      const malformed = yield* Effect.promise(() => fetch(`${base}/api/v1/runs/not-a-run/events`))
      assert.strictEqual(malformed.status, 400)
    })
  )

  it.live("does not hold up the server's shutdown", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const base = yield* Scope.extend(startBasicServer(), scope)
      const run = (yield* call(`${base}/api/v1/runs`, "POST", { experimentId: "0" }))!
      const watching = yield* Effect.fork(readEvents(`${base}/api/v1/runs/${run.info.runId}/events`, () => false))
      yield* Effect.sleep("500 millis")
      const started = Date.now()
      yield* Scope.close(scope, Exit.void)
      const { ended } = yield* watching
      assert.isTrue(ended)
      assert.isBelow(Date.now() - started, 2_000)
    })
  )
})
