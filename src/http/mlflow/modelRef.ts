import { Effect, Schema } from "effect"
import { LoggedModelNotFound } from "../../core/models/errors.js"
import type { LoggedModelsShape } from "../../core/models/LoggedModels.js"
import { LoggedModelId } from "../../core/models/model.js"
import type { RunId } from "../../core/tracking/model.js"

const isLoggedModelId = Schema.is(LoggedModelId)

/**
 * The logged model a request names. MLflow answers any id it does not hold
 * with 404, malformed ones included, so a malformed id is "not found" here
 * too rather than a 400.
 */
export const requireModelId = (modelId: string): Effect.Effect<LoggedModelId, LoggedModelNotFound> =>
  isLoggedModelId(modelId) ? Effect.succeed(modelId) : Effect.fail(new LoggedModelNotFound({ modelId }))

/** A metric point as MLflow 3 clients send it: `model_id` links it to a logged model too. */
export interface ModelMetricMessage {
  readonly key: string
  readonly value: number
  readonly timestamp: number
  readonly step?: number
  readonly model_id?: string
  readonly dataset_name?: string
  readonly dataset_digest?: string
}

/**
 * The write of the points that name a `model_id` to their logged models, as
 * MLflow's server adds them there after writing them to the run. Every named
 * model is checked first, so a request naming an unknown model fails before
 * the run's own write; the returned effect is run after it. Points are
 * grouped per model, in the order sent.
 */
export const modelMetricsWrite = (
  models: LoggedModelsShape,
  runId: RunId,
  metrics: ReadonlyArray<ModelMetricMessage>
) => {
  const byModel = new Map<string, Array<ModelMetricMessage>>()
  for (const m of metrics) {
    if (m.model_id === undefined || m.model_id === "") continue
    const points = byModel.get(m.model_id)
    if (points === undefined) byModel.set(m.model_id, [m])
    else points.push(m)
  }
  if (byModel.size === 0) return Effect.succeed(Effect.void)
  return Effect.map(
    Effect.forEach(byModel, ([modelId, points]) =>
      Effect.map(Effect.flatMap(requireModelId(modelId), models.getLoggedModel), (model) =>
        models.logLoggedModelMetrics(
          model.modelId,
          points.map((m) => ({
            key: m.key,
            value: m.value,
            timestamp: m.timestamp,
            runId,
            ...(m.step === undefined ? {} : { step: m.step }),
            ...(m.dataset_name === undefined ? {} : { datasetName: m.dataset_name }),
            ...(m.dataset_digest === undefined ? {} : { datasetDigest: m.dataset_digest })
          }))
        )
      )
    ),
    (writes) => Effect.all(writes, { discard: true })
  )
}
