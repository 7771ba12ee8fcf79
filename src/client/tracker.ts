import { Clock, Effect, Either } from "effect"
import { RunNotActive } from "../core/tracking/errors.js"
import type { ExperimentTrackerShape } from "../core/tracking/ExperimentTracker.js"
import type { MetricInput, RunId } from "../core/tracking/model.js"
import { validateMetric } from "../core/tracking/validate.js"
import type { MetricBuffer } from "./metricBuffer.js"
import { type ApiClient, orDieTransport, rejectUnencodable } from "./transport.js"

/**
 * `ExperimentTracker` over the native API. `logMetric` only buffers (see
 * {@link MetricBuffer}); every other call first flushes the buffer, so a
 * program reads its own writes and a run's points reach the server before
 * the run is finished.
 */
export const makeRemoteTracker = (client: ApiClient, buffer: MetricBuffer): ExperimentTrackerShape => {
  const experiments = client.experiments
  const runs = client.runs
  // Runs this client has seen active: the first point logged to any other run checks it on the server.
  const activeRuns = new Set<RunId>()

  const call = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.zipRight(buffer.flush, orDieTransport(effect))
  // For calls whose input has rules the types cannot carry (integers, literals): see rejectUnencodable.
  const send = <P, A, E, R>(input: P, request: (input: P) => Effect.Effect<A, E, R>) =>
    call(rejectUnencodable(input)(request(input)))

  const checkActive = (runId: RunId) =>
    activeRuns.has(runId)
      ? Effect.void
      : Effect.flatMap(call(runs.get({ path: { runId } })), (run) =>
          run.info.lifecycleStage === "active"
            ? Effect.sync(() => activeRuns.add(runId))
            : Effect.fail(new RunNotActive({ runId }))
        )

  return {
    createExperiment: (input) => send(input, (payload) => experiments.create({ payload })),
    getExperiment: (experimentId) => call(experiments.get({ path: { experimentId } })),
    getExperimentByName: (name) => call(experiments.getByName({ urlParams: { name } })),
    searchExperiments: (query = {}) => send(query, (payload) => experiments.search({ payload })),
    renameExperiment: (experimentId, name) => call(experiments.rename({ path: { experimentId }, payload: { name } })),
    setExperimentTag: (experimentId, key, value) =>
      call(experiments.setTag({ path: { experimentId }, payload: { key, value } })),
    deleteExperimentTag: (experimentId, key) =>
      call(experiments.deleteTag({ path: { experimentId }, urlParams: { key } })),
    deleteExperiment: (experimentId) =>
      Effect.zipLeft(
        call(experiments.delete({ path: { experimentId } })),
        Effect.sync(() => activeRuns.clear())
      ),
    restoreExperiment: (experimentId) => call(experiments.restore({ path: { experimentId } })),
    getExperimentSummaries: (experimentIds) => call(experiments.summaries({ payload: { experimentIds } })),
    getExperimentKeys: (experimentId) => call(experiments.keys({ path: { experimentId } })),

    createRun: (input) =>
      Effect.tap(
        send(input, (payload) => runs.create({ payload })),
        (run) => Effect.sync(() => activeRuns.add(run.info.runId))
      ),
    getRun: (runId) => call(runs.get({ path: { runId } })),
    updateRun: (runId, update) => send(update, (payload) => runs.update({ path: { runId }, payload })),
    deleteRun: (runId) =>
      Effect.zipLeft(
        call(runs.delete({ path: { runId } })),
        Effect.sync(() => activeRuns.delete(runId))
      ),
    restoreRun: (runId) => call(runs.restore({ path: { runId } })),
    logParam: (runId, key, value) => call(runs.logParam({ path: { runId }, payload: { key, value } })),
    logMetric: (runId, metric) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const valid = validateMetric(metric, now)
        if (Either.isLeft(valid)) return Effect.fail(valid.left)
        // A copy: the caller may reuse its object, and the point is sent later.
        const { key, value, timestamp, step } = valid.right
        const point: MetricInput = { key, value, timestamp, step }
        return Effect.zipRight(checkActive(runId), buffer.add(runId, point))
      }),
    setTag: (runId, key, value) => call(runs.setTag({ path: { runId }, payload: { key, value } })),
    deleteTag: (runId, key) => call(runs.deleteTag({ path: { runId }, urlParams: { key } })),
    logBatch: (runId, batch) => send(batch, (payload) => runs.logBatch({ path: { runId }, payload })),
    logInputs: (runId, datasets) => send({ datasets }, (payload) => runs.logInputs({ path: { runId }, payload })),
    getMetricHistory: ({ runId, ...query }) =>
      send(query, (urlParams) => runs.metricHistory({ path: { runId }, urlParams })),
    searchRuns: (query) => send(query, (payload) => runs.search({ payload }))
  }
}
