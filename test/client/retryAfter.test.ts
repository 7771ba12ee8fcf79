import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, Ref, Schedule, TestClock } from "effect"
import { honouringRetryAfter, retryAfterOf } from "../../src/client/retryAfter.js"

const request = HttpClientRequest.post("http://server/api/2.0/mlflow/runs/log-batch")

/** The failure of a request answered `status` with the given headers. */
const refused = (status: number, headers: Record<string, string> = {}) =>
  new HttpClientError.ResponseError({
    request,
    response: HttpClientResponse.fromWeb(request, new Response(null, { status, headers })),
    reason: "StatusCode"
  })

describe("Retry-After", () => {
  it("is read as delta-seconds or an HTTP date, capped at a minute; absent or garbled means none", () => {
    const now = Date.parse("2026-11-26T12:00:00Z")
    assert.deepStrictEqual(retryAfterOf(refused(429, { "retry-after": "3" }), now), Option.some(Duration.seconds(3)))
    assert.deepStrictEqual(
      retryAfterOf(refused(503, { "retry-after": "Thu, 26 Nov 2026 12:00:10 GMT" }), now),
      Option.some(Duration.seconds(10))
    )
    assert.deepStrictEqual(
      retryAfterOf(refused(429, { "retry-after": "86400" }), now),
      Option.some(Duration.minutes(1))
    )
    assert.deepStrictEqual(retryAfterOf(refused(429), now), Option.none())
    assert.deepStrictEqual(retryAfterOf(refused(429, { "retry-after": "soon" }), now), Option.none())
    assert.deepStrictEqual(retryAfterOf(new Error("connection reset"), now), Option.none())
  })

  it("is found in a failure that wraps the HTTP error, as the metric buffer's retries do", () => {
    const wrapped = { _tag: "Retry", cause: refused(429, { "retry-after": "2" }) }
    assert.deepStrictEqual(retryAfterOf(wrapped, 0), Option.some(Duration.seconds(2)))
  })

  it.effect("a retry waits as long as the server asks, longer than the schedule's own delay", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const call = Effect.flatMap(
        Ref.updateAndGet(attempts, (n) => n + 1),
        (n) => (n === 1 ? Effect.fail(refused(429, { "retry-after": "3" })) : Effect.succeed(n))
      )
      const fiber = yield* Effect.fork(Effect.retry(call, honouringRetryAfter(Schedule.spaced("100 millis"))))
      yield* TestClock.adjust("2900 millis")
      assert.strictEqual(yield* Ref.get(attempts), 1)
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 2)
    })
  )

  it.effect("without the header the schedule's own delay applies", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const call = Effect.flatMap(
        Ref.updateAndGet(attempts, (n) => n + 1),
        (n) => (n === 1 ? Effect.fail(refused(503)) : Effect.succeed(n))
      )
      const fiber = yield* Effect.fork(Effect.retry(call, honouringRetryAfter(Schedule.spaced("100 millis"))))
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 2)
    })
  )
})
