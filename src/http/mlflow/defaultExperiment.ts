import { Context, Effect } from "effect"

/** MLflow's id of the Default experiment, which its clients log to when told no other. */
const mlflowDefaultId = "0"

/** The operations of {@link MlflowDefaultExperiment}. */
export interface MlflowDefaultExperimentShape {
  /** The id MLflow's experiment `"0"` stands for in the current tenant. */
  readonly id: Effect.Effect<string>
}

/**
 * What MLflow's experiment `"0"` names. MLflow clients fall back to it
 * (`mlflow.start_run()` with no experiment set creates the run in `"0"`),
 * but on a multi-tenant store each tenant has its own Default experiment
 * under its own id; a tenancy layer provides the current tenant's. Without
 * one, `"0"` is itself.
 *
 * @example
 * ```ts
 * Layer.succeed(MlflowDefaultExperiment, { id: Effect.succeed("42") })
 * ```
 */
export class MlflowDefaultExperiment extends Context.Reference<MlflowDefaultExperiment>()(
  "effect-mlops/mlflow/DefaultExperiment",
  { defaultValue: (): MlflowDefaultExperimentShape => ({ id: Effect.succeed(mlflowDefaultId) }) }
) {}

const isDefault = (value: unknown) => value === mlflowDefaultId || value === 0

/**
 * The request message with experiment `"0"` in `experiment_id` and
 * `experiment_ids` replaced by the tenant's Default experiment; the message
 * itself when it names none.
 */
export const resolveDefaultExperiment = (message: unknown): Effect.Effect<unknown> => {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return Effect.succeed(message)
  const fields = message as Record<string, unknown>
  const ids = fields.experiment_ids
  const inList = Array.isArray(ids) ? ids.some(isDefault) : isDefault(ids)
  if (!isDefault(fields.experiment_id) && !inList) return Effect.succeed(message)
  return Effect.flatMap(MlflowDefaultExperiment, (defaults) =>
    Effect.map(defaults.id, (id) => {
      if (id === mlflowDefaultId) return message
      const resolved: Record<string, unknown> = { ...fields }
      if (isDefault(fields.experiment_id)) resolved.experiment_id = id
      if (Array.isArray(ids)) resolved.experiment_ids = ids.map((each) => (isDefault(each) ? id : each))
      else if (isDefault(ids)) resolved.experiment_ids = id
      return resolved
    })
  )
}
