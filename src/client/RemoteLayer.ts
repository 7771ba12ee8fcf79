import { Context, Effect, Layer } from "effect"
import { ArtifactStore } from "../core/artifacts/ArtifactStore.js"
import { Datasets } from "../core/data/Datasets.js"
import { LoggedModels } from "../core/models/LoggedModels.js"
import { ModelRegistry } from "../core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../core/tracking/ExperimentTracker.js"
import { makeRemoteArtifacts } from "./artifacts.js"
import { makeRemoteDatasets } from "./datasets.js"
import { makeRemoteLoggedModels } from "./loggedModels.js"
import { type BatchRejection, type MetricBufferOptions, makeMetricBuffer, Retry } from "./metricBuffer.js"
import { makeRemoteRegistry } from "./registry.js"
import { makeRemoteTracker } from "./tracker.js"
import { HttpEngine, isTransportError, makeApiClient, makeHttpClient, type RemoteConnection } from "./transport.js"

/** Options of {@link RemoteLayer}. */
export interface RemoteOptions extends RemoteConnection {
  /** Buffering of `logMetric` calls. */
  readonly metrics?: MetricBufferOptions
}

/**
 * Control of a remote session's write buffer: `flush` resolves once the
 * server has durably stored every metric point logged before the call.
 */
export class RemoteSession extends Context.Tag("effect-mlops/client/RemoteSession")<
  RemoteSession,
  { readonly flush: Effect.Effect<void>; readonly pendingPoints: Effect.Effect<number> }
>() {}

const isRejection = (error: { readonly _tag: string }): error is BatchRejection =>
  error._tag === "RunNotFound" ||
  error._tag === "RunNotActive" ||
  error._tag === "InvalidArgument" ||
  error._tag === "LimitExceeded" ||
  error._tag === "Forbidden"

// Network failures and unexpected answers are retried with the same key; a refusal is final.
const classifyBatchError = (error: { readonly _tag: string }): Effect.Effect<never, BatchRejection | Retry> => {
  if (isRejection(error)) return Effect.fail(error)
  if (isTransportError(error) && error._tag !== "HttpApiDecodeError") return Effect.fail(new Retry(error))
  return Effect.die(error)
}

/**
 * The core services of a tracking server, over HTTP: moving a program from
 * an embedded store to a shared server is this one layer swap.
 *
 * `logMetric` returns as soon as the point is buffered; points are sent in
 * batches of up to 1000 per run (on size, every second, and when the layer
 * closes), each batch with an idempotency key so a retry after a lost answer
 * never stores a point twice. If the server is down, batches are retried
 * with backoff and `logMetric` waits once the buffer's byte bound is reached.
 * A point the server refuses (say, its run was deleted by someone else) is
 * logged, and the next `logMetric` to that run fails with the reason.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ExperimentTracker } from "effect-mlops"
 * import { RemoteLayer } from "effect-mlops/layers"
 *
 * const program = Effect.flatMap(ExperimentTracker, (tracker) => tracker.createExperiment({ name: "shared" }))
 * Effect.runPromise(program.pipe(Effect.provide(RemoteLayer({ url: "http://127.0.0.1:5000" }))))
 * ```
 */
export const RemoteLayer = (
  options: RemoteOptions
): Layer.Layer<ExperimentTracker | ModelRegistry | LoggedModels | ArtifactStore | Datasets | RemoteSession> => {
  const baseUrl = options.url.replace(/\/+$/, "")
  const connection: RemoteConnection =
    options.token === undefined ? { url: baseUrl } : { url: baseUrl, token: options.token }
  return Layer.scopedContext(
    Effect.gen(function* () {
      const client = yield* makeApiClient(connection, true)
      const batchClient = yield* makeApiClient(connection, false)
      const http = yield* makeHttpClient(connection)
      const buffer = yield* makeMetricBuffer(
        (runId, metrics, idempotencyKey) =>
          batchClient.runs
            .logBatch({ path: { runId }, payload: { metrics, idempotencyKey } })
            .pipe(Effect.catchAll(classifyBatchError)),
        options.metrics
      )
      const artifacts = makeRemoteArtifacts(client, http, baseUrl)
      return Context.make(ExperimentTracker, makeRemoteTracker(client, buffer)).pipe(
        Context.add(ModelRegistry, makeRemoteRegistry(client)),
        Context.add(LoggedModels, makeRemoteLoggedModels(client)),
        Context.add(ArtifactStore, artifacts),
        Context.add(Datasets, makeRemoteDatasets(client, http, baseUrl, artifacts)),
        Context.add(RemoteSession, { flush: buffer.flush, pendingPoints: buffer.pending })
      )
    })
  ).pipe(Layer.provide(HttpEngine))
}
