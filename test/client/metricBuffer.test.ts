import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Scope, TestClock } from "effect"
import { RunNotActive } from "../../src/core/tracking/errors.js"
import { type MetricInput, RunId } from "../../src/core/tracking/model.js"
import { makeMetricBuffer, Retry, type SendBatch } from "../../src/client/metricBuffer.js"

const runA = RunId.make("a".repeat(32))
const runB = RunId.make("b".repeat(32))

interface Sent {
  readonly runId: RunId
  readonly steps: ReadonlyArray<number>
  readonly key: string
}

/** A server stand-in that records what it acknowledged. */
const recorder = () => {
  const sent: Array<Sent> = []
  const send: SendBatch = (runId, metrics, key) =>
    Effect.sync(() => {
      sent.push({ runId, steps: metrics.map((m) => m.step ?? 0), key })
    })
  return { sent, send }
}

const point = (step: number): MetricInput => ({ key: "loss", value: step / 10, timestamp: 1, step })

const stepsOf = (sent: ReadonlyArray<Sent>, runId: RunId) =>
  sent.filter((s) => s.runId === runId).flatMap((s) => s.steps)

describe("MetricBuffer", () => {
  it.scoped("sends a run's points in the order they were logged, in batches of at most batchSize", () =>
    Effect.gen(function* () {
      const { sent, send } = recorder()
      const buffer = yield* makeMetricBuffer(send, { batchSize: 100 })
      for (let step = 0; step < 450; step++) {
        yield* buffer.add(runA, point(step))
        yield* buffer.add(runB, point(1000 + step))
      }
      yield* buffer.flush
      assert.deepStrictEqual(
        stepsOf(sent, runA),
        Array.from({ length: 450 }, (_, i) => i)
      )
      assert.deepStrictEqual(
        stepsOf(sent, runB),
        Array.from({ length: 450 }, (_, i) => 1000 + i)
      )
      assert.isTrue(sent.every((s) => s.steps.length <= 100))
      assert.strictEqual(yield* buffer.pending, 0)
    })
  )

  it.scoped("a point waits at most the flush interval", () =>
    Effect.gen(function* () {
      const { sent, send } = recorder()
      const buffer = yield* makeMetricBuffer(send, { flushInterval: "1 second" })
      yield* buffer.add(runA, point(1))
      yield* TestClock.adjust("500 millis")
      assert.strictEqual(sent.length, 0)
      yield* TestClock.adjust("600 millis")
      yield* Effect.yieldNow()
      assert.deepStrictEqual(stepsOf(sent, runA), [1])
    })
  )

  it.scoped("a retried batch reuses its idempotency key, so the server can store it once", () =>
    Effect.gen(function* () {
      const keys: Array<string> = []
      let attempts = 0
      const send: SendBatch = (_runId, _metrics, key) =>
        Effect.suspend(() => {
          keys.push(key)
          attempts++
          return attempts < 3 ? Effect.fail(new Retry("connection reset")) : Effect.void
        })
      const buffer = yield* makeMetricBuffer(send)
      yield* buffer.add(runA, point(1))
      const flushed = yield* Effect.fork(buffer.flush)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(flushed)
      assert.strictEqual(keys.length, 3)
      assert.strictEqual(new Set(keys).size, 1)
    })
  )

  it.scoped("distinct batches carry distinct keys", () =>
    Effect.gen(function* () {
      const { sent, send } = recorder()
      const buffer = yield* makeMetricBuffer(send, { batchSize: 10 })
      for (let step = 0; step < 30; step++) yield* buffer.add(runA, point(step))
      yield* buffer.flush
      assert.strictEqual(new Set(sent.map((s) => s.key)).size, sent.length)
    })
  )

  it.scoped("logging waits once the byte bound is reached, instead of growing the buffer", () =>
    Effect.gen(function* () {
      const release = yield* Deferred.make<void>()
      const send: SendBatch = () => Deferred.await(release)
      const buffer = yield* makeMetricBuffer(send, { maxBufferedBytes: 1000, batchSize: 5 })
      // Each point costs about 70 bytes: fourteen fit, the rest must wait for the sender.
      const producer = yield* Effect.fork(
        Effect.forEach(
          Array.from({ length: 40 }, (_, i) => i),
          (step) => buffer.add(runA, point(step))
        )
      )
      yield* TestClock.adjust("2 seconds")
      assert.isTrue((yield* buffer.pending) <= 15, "the producer is held back")
      assert.isNull(producer.unsafePoll())
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(producer)
      yield* buffer.flush
      assert.strictEqual(yield* buffer.pending, 0)
    })
  )

  it.scoped("a refused batch is reported on the next point logged to its run", () =>
    Effect.gen(function* () {
      const send: SendBatch = (runId) => Effect.fail(new RunNotActive({ runId }))
      const buffer = yield* makeMetricBuffer(send)
      yield* buffer.add(runA, point(1))
      yield* buffer.flush
      const error = yield* Effect.flip(buffer.add(runA, point(2)))
      assert.strictEqual(error._tag, "RunNotActive")
    })
  )

  it.effect("closing the scope sends what is left", () =>
    Effect.gen(function* () {
      const { sent, send } = recorder()
      const scope = yield* Scope.make()
      const buffer = yield* Scope.extend(makeMetricBuffer(send), scope)
      yield* buffer.add(runA, point(7))
      assert.strictEqual(sent.length, 0)
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(stepsOf(sent, runA), [7])
    })
  )
})
