import { randomUUID } from "node:crypto"
import { Deferred, Duration, Effect, Schedule, type Scope } from "effect"
import type { Forbidden, InvalidArgument, LimitExceeded } from "../core/errors.js"
import type { RunNotActive, RunNotFound } from "../core/tracking/errors.js"
import type { MetricInput, RunId } from "../core/tracking/model.js"
import { honouringRetryAfter } from "./retryAfter.js"

/** What the server can refuse a batch for; anything else is retried. */
export type BatchRejection = RunNotFound | RunNotActive | InvalidArgument | LimitExceeded | Forbidden

/** Sends one batch of a run's points with an idempotency key; fails with `Retry` when worth retrying. */
export type SendBatch = (
  runId: RunId,
  metrics: ReadonlyArray<MetricInput>,
  idempotencyKey: string
) => Effect.Effect<void, BatchRejection | Retry>

/** A failure worth retrying with the same idempotency key (network, 429, 5xx). */
export class Retry {
  readonly _tag = "Retry"
  constructor(readonly cause: unknown) {}
}

/** Tuning of a {@link MetricBuffer}. */
export interface MetricBufferOptions {
  /** Points per request, at most 1000 (the server's batch limit). Default 1000. */
  readonly batchSize?: number
  /** How long a point may wait before it is sent. Default 1 second. */
  readonly flushInterval?: Duration.DurationInput
  /** Memory bound of buffered and in-flight points; `logMetric` waits when it is reached. Default 32 MiB. */
  readonly maxBufferedBytes?: number
  /** How long closing the layer waits for the server to take the last points. Default 30 seconds. */
  readonly closeTimeout?: Duration.DurationInput
}

/** Client-side buffer of metric points, sent in per-run batches by one background fiber. */
export interface MetricBuffer {
  /** Buffers a point; waits only when the byte bound is reached. Fails with a run's earlier rejection. */
  readonly add: (runId: RunId, point: MetricInput) => Effect.Effect<void, BatchRejection>
  /** Resolves when every point added before the call is stored by the server. */
  readonly flush: Effect.Effect<void>
  /** Points added but not yet acknowledged. */
  readonly pending: Effect.Effect<number>
}

// A rough per-point memory cost: the key's UTF-16 chars plus the object and three numbers.
const pointBytes = (point: MetricInput): number => point.key.length * 2 + 64

// Retries back off exponentially up to 5 seconds (or as long as a 429's `Retry-After` asks) and go
// on until the layer closes: an outage delays points, it does not drop them.
const sendRetry = honouringRetryAfter(
  Schedule.exponential("100 millis", 2).pipe(Schedule.union(Schedule.spaced("5 seconds")), Schedule.jittered)
)

/**
 * Starts the buffer's sender in the current scope. Closing the scope sends
 * what is left (waiting up to `closeTimeout`) before the sender stops.
 * Points of one run are sent in the order they were added, one request at a
 * time, each batch with its own idempotency key reused on every retry, so a
 * retried batch is stored once.
 */
export const makeMetricBuffer = (
  send: SendBatch,
  options: MetricBufferOptions = {}
): Effect.Effect<MetricBuffer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const batchSize = Math.min(options.batchSize ?? 1000, 1000)
    const maxBytes = options.maxBufferedBytes ?? 32 * 1024 * 1024
    const interval = Duration.decode(options.flushInterval ?? "1 second")

    let queued = new Map<RunId, Array<MetricInput>>()
    let queuedPoints = 0
    let unacknowledged = 0
    let bytes = 0
    let waiters: Array<Deferred.Deferred<void>> = []
    let wake = yield* Deferred.make<void>()
    let space = yield* Deferred.make<void>()
    const rejections = new Map<RunId, BatchRejection>()

    const signalWake = Effect.suspend(() => Deferred.succeed(wake, undefined))

    const sendChunk = (runId: RunId, chunk: ReadonlyArray<MetricInput>) => {
      const key = randomUUID()
      return send(runId, chunk, key).pipe(
        Effect.retry({ schedule: sendRetry, while: (error) => error._tag === "Retry" }),
        Effect.catchAll((error) =>
          error._tag === "Retry"
            ? Effect.void
            : Effect.zipRight(
                Effect.sync(() => rejections.set(runId, error)),
                Effect.logError(`metric points of run ${runId} were refused`, error)
              )
        ),
        Effect.ensuring(
          Effect.suspend(() => {
            unacknowledged -= chunk.length
            for (const point of chunk) bytes -= pointBytes(point)
            const freed = space
            return Effect.flatMap(Deferred.make<void>(), (next) => {
              space = next
              return Deferred.succeed(freed, undefined)
            })
          })
        )
      )
    }

    const drain = Effect.suspend(() => {
      const done = waiters
      const batch = queued
      waiters = []
      queued = new Map()
      queuedPoints = 0
      return Effect.forEach(
        batch,
        ([runId, points]) =>
          Effect.forEach(
            Array.from({ length: Math.ceil(points.length / batchSize) }, (_, i) =>
              points.slice(i * batchSize, (i + 1) * batchSize)
            ),
            (chunk) => sendChunk(runId, chunk),
            { discard: true }
          ),
        { discard: true }
      ).pipe(Effect.zipRight(Effect.forEach(done, (waiter) => Deferred.succeed(waiter, undefined), { discard: true })))
    })

    const sender = Effect.gen(function* () {
      while (true) {
        yield* Effect.raceFirst(Deferred.await(wake), Effect.sleep(interval))
        wake = yield* Deferred.make<void>()
        yield* drain
      }
    })
    yield* Effect.forkScoped(sender)

    const flush: Effect.Effect<void> = Effect.suspend(() => {
      if (unacknowledged === 0) return Effect.void
      return Effect.flatMap(Deferred.make<void>(), (waiter) => {
        waiters.push(waiter)
        return Effect.zipRight(signalWake, Deferred.await(waiter))
      })
    })

    // Added after the sender was forked, so it runs before the sender is interrupted.
    yield* Effect.addFinalizer(() =>
      flush.pipe(
        Effect.timeoutOption(options.closeTimeout ?? "30 seconds"),
        Effect.flatMap((done) =>
          done._tag === "Some"
            ? Effect.void
            : Effect.logError(`closing with ${unacknowledged} metric points the server has not acknowledged`)
        )
      )
    )

    const enqueue = (runId: RunId, point: MetricInput): Effect.Effect<void> => {
      let points = queued.get(runId)
      if (points === undefined) {
        points = []
        queued.set(runId, points)
      }
      points.push(point)
      queuedPoints++
      unacknowledged++
      bytes += pointBytes(point)
      return points.length >= batchSize || queuedPoints >= batchSize * 4 ? signalWake : Effect.void
    }

    const add = (runId: RunId, point: MetricInput): Effect.Effect<void, BatchRejection> =>
      Effect.suspend(() => {
        const rejected = rejections.get(runId)
        if (rejected !== undefined) return Effect.fail(rejected)
        // Backpressure: wait for the sender to free space rather than grow without bound.
        if (bytes > 0 && bytes + pointBytes(point) > maxBytes) {
          return Effect.zipRight(Effect.zipRight(signalWake, Deferred.await(space)), add(runId, point))
        }
        return enqueue(runId, point)
      })

    return { add, flush, pending: Effect.sync(() => unacknowledged) }
  })
