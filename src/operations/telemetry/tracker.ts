import { Context, Duration, Effect, Layer, Metric } from "effect"
import { CurrentTenant } from "../../core/context.js"
import { whileMethodSpans } from "../../core/spans.js"
import { ExperimentTracker, type ExperimentTrackerShape } from "../../core/tracking/ExperimentTracker.js"
import type { ExperimentId, RunId } from "../../core/tracking/model.js"
import { ingestBatches, ingestPoints, searchDuration } from "./metrics.js"

/** Span attributes naming what a call works on. */
export const SpanAttribute = {
  tenant: "mlops.tenant.id",
  experiment: "mlops.experiment.id",
  experiments: "mlops.experiment.ids",
  run: "mlops.run.id"
} as const

/**
 * `effect` with the tenant and `ids` on every span it opens (the core's
 * `ExperimentTracker.<method>` span and its SQL spans). With method spans
 * off, nothing is annotated: the annotations cost a fiber-ref scope per call.
 */
const withIds = <A, E>(effect: Effect.Effect<A, E>, ids: Record<string, unknown>): Effect.Effect<A, E> =>
  whileMethodSpans(
    (context) => Effect.annotateSpans(effect, { [SpanAttribute.tenant]: Context.get(context, CurrentTenant), ...ids }),
    effect
  )

const onRun =
  <Rest extends ReadonlyArray<unknown>, A, E>(method: (runId: RunId, ...rest: Rest) => Effect.Effect<A, E>) =>
  (runId: RunId, ...rest: Rest) =>
    withIds(method(runId, ...rest), { [SpanAttribute.run]: runId })

const onExperiment =
  <Rest extends ReadonlyArray<unknown>, A, E>(
    method: (experimentId: ExperimentId, ...rest: Rest) => Effect.Effect<A, E>
  ) =>
  (experimentId: ExperimentId, ...rest: Rest) =>
    withIds(method(experimentId, ...rest), { [SpanAttribute.experiment]: experimentId })

const searchMetrics = {
  searchExperiments: Metric.tagged(searchDuration, "operation", "searchExperiments"),
  searchRuns: Metric.tagged(searchDuration, "operation", "searchRuns"),
  getMetricHistory: Metric.tagged(searchDuration, "operation", "getMetricHistory")
}

const timedSearch = <A, E>(operation: keyof typeof searchMetrics, effect: Effect.Effect<A, E>) =>
  Metric.trackDurationWith(effect, searchMetrics[operation], Duration.toSeconds)

const make = Effect.map(
  ExperimentTracker,
  (tracker): ExperimentTrackerShape => ({
    ...tracker,
    getExperiment: onExperiment(tracker.getExperiment),
    renameExperiment: onExperiment(tracker.renameExperiment),
    setExperimentTag: onExperiment(tracker.setExperimentTag),
    deleteExperimentTag: onExperiment(tracker.deleteExperimentTag),
    deleteExperiment: onExperiment(tracker.deleteExperiment),
    restoreExperiment: onExperiment(tracker.restoreExperiment),
    getExperimentKeys: onExperiment(tracker.getExperimentKeys),
    searchExperiments: (query) => withIds(timedSearch("searchExperiments", tracker.searchExperiments(query)), {}),
    createRun: (input) => withIds(tracker.createRun(input), { [SpanAttribute.experiment]: input.experimentId }),
    getRun: onRun(tracker.getRun),
    updateRun: onRun(tracker.updateRun),
    deleteRun: onRun(tracker.deleteRun),
    restoreRun: onRun(tracker.restoreRun),
    logParam: onRun(tracker.logParam),
    logMetric: onRun((runId, metric) =>
      Effect.tap(tracker.logMetric(runId, metric), () => Metric.increment(ingestPoints))
    ),
    setTag: onRun(tracker.setTag),
    deleteTag: onRun(tracker.deleteTag),
    logBatch: onRun((runId, batch) =>
      Effect.tap(tracker.logBatch(runId, batch), () =>
        Effect.zipRight(Metric.increment(ingestBatches), Metric.incrementBy(ingestPoints, batch.metrics?.length ?? 0))
      )
    ),
    logInputs: onRun(tracker.logInputs),
    getMetricHistory: (query) =>
      withIds(timedSearch("getMetricHistory", tracker.getMetricHistory(query)), { [SpanAttribute.run]: query.runId }),
    searchRuns: (query) =>
      withIds(timedSearch("searchRuns", tracker.searchRuns(query)), {
        [SpanAttribute.experiments]: query.experimentIds.join(",")
      })
  })
)

/**
 * Decorates the {@link ExperimentTracker} below it: ingest counters
 * (`mlops_ingest_points_total`, `mlops_ingest_batches_total`), search
 * latency (`mlops_search_duration_seconds`), and the tenant, experiment and
 * run ids on the core's spans (`ExperimentTracker.logBatch` …).
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { makeBasicLayer } from "effect-mlops/layers"
 * import { layerInstrumentedTracker } from "effect-mlops/telemetry"
 *
 * const Services = layerInstrumentedTracker.pipe(Layer.provideMerge(makeBasicLayer({ dataPath: "./mlops-data" })))
 * ```
 */
export const layerInstrumentedTracker: Layer.Layer<ExperimentTracker, never, ExperimentTracker> = Layer.effect(
  ExperimentTracker,
  make
)
