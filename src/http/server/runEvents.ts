import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Deferred, Duration, Effect, Either, Layer, Schedule, Schema, Stream } from "effect"
import { Forbidden } from "../../core/errors.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { Run, RunId } from "../../core/tracking/model.js"
import { streamResponse } from "../streamResponse.js"

/** How often an open stream looks at its run. */
const pollEvery = Duration.seconds(1)
/** A comment line this often keeps proxies from closing a quiet stream. */
const heartbeatEvery = Duration.seconds(15)

const encodeRun = Schema.encodeSync(Run)
const encodeForbidden = Schema.encodeSync(Forbidden)
const decodeRunId = Schema.decodeUnknownEither(RunId)

/** What a viewer of the run would see change: status, end, latest metrics, params and tags. */
const snapshot = (run: Run): string =>
  JSON.stringify([
    run.info.status,
    run.info.endTime,
    run.info.runName,
    run.data.metrics.map((m) => [m.key, m.step, m.timestamp, String(m.value)]),
    run.data.params.length,
    run.data.tags.map((t) => [t.key, t.value])
  ])

const json = (status: number, body: object) => HttpServerResponse.unsafeJson(body, { status })

/**
 * `GET /api/v1/runs/{runId}/events`: server-sent events for a live view of
 * a run. A `run` event carries the run (as `GET /api/v1/runs/{runId}`
 * answers it) when the stream opens and whenever its status, latest
 * metrics, params or tags change; the stream ends after the event that
 * shows the run finished. It reads the store, so it sees writes made
 * through any server replica.
 *
 * Open streams end when the server shuts down (before it waits for
 * in-flight requests), so an open browser tab never holds up a restart;
 * `EventSource` reconnects by itself.
 */
export const RunEventsRoutes = Layer.unwrapScoped(
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const closing = yield* Deferred.make<void>()
    yield* Effect.addFinalizer(() => Deferred.succeed(closing, undefined))

    const events = (runId: RunId) =>
      Stream.repeatEffectWithSchedule(tracker.getRun(runId), Schedule.spaced(pollEvery)).pipe(
        Stream.changesWith((a, b) => snapshot(a) === snapshot(b)),
        Stream.takeUntil((run) => run.info.status !== "RUNNING"),
        Stream.map((run) => `event: run\ndata: ${JSON.stringify(encodeRun(run))}\n\n`),
        // A run deleted while watched ends the stream.
        Stream.catchAll(() => Stream.empty),
        Stream.merge(Stream.as(Stream.fromSchedule(Schedule.spaced(heartbeatEvery)), ": heartbeat\n\n"), {
          haltStrategy: "left"
        }),
        Stream.interruptWhen(Deferred.await(closing)),
        Stream.encodeText
      )

    const handler = Effect.gen(function* () {
      const params = yield* HttpRouter.params
      const runId = decodeRunId(params.runId)
      if (Either.isLeft(runId)) return json(400, { _tag: "InvalidArgument", field: "runId", reason: "not a run id" })
      const found = yield* Effect.either(tracker.getRun(runId.right))
      if (Either.isLeft(found)) {
        return found.left._tag === "Forbidden"
          ? json(403, encodeForbidden(found.left))
          : json(404, { _tag: "RunNotFound", runId: runId.right })
      }
      return yield* streamResponse(events(runId.right), {
        contentType: "text/event-stream",
        headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
      })
    })
    return HttpLayerRouter.add("GET", "/api/v1/runs/:runId/events", handler)
  })
)
