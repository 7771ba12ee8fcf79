import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { CurrentTenant, type TenantId } from "../../core/context.js"
import { MlflowDefaultExperiment } from "../../http/mlflow/defaultExperiment.js"

/**
 * MLflow's experiment `"0"` as each tenant's own Default experiment: the
 * tenant's first experiment, which `Tenants.create` makes (`"0"` itself in
 * the tenant `default`). Looked up once per tenant and process — a tenant's
 * first experiment never changes — and left as `"0"` for a tenant without
 * any, which then finds nothing.
 *
 * @example
 * ```ts
 * const Server = makeServerLayer(options).pipe(Layer.provide(layerMlflowDefaultExperiment), Layer.provide(Sql))
 * ```
 */
export const layerMlflowDefaultExperiment: Layer.Layer<MlflowDefaultExperiment, never, SqlClient.SqlClient> =
  Layer.effect(
    MlflowDefaultExperiment,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const known = new Map<TenantId, string>()
      const lookup = (tenant: TenantId) =>
        Effect.map(
          sql<{ readonly id: number | string | null }>`SELECT MIN(experiment_id) AS id FROM experiments
            WHERE tenant_id = ${tenant}`,
          (rows) => rows[0]?.id ?? null
        ).pipe(
          Effect.map((id) => {
            if (id === null) return "0"
            known.set(tenant, String(id))
            return String(id)
          }),
          Effect.orDie
        )
      return {
        id: Effect.flatMap(CurrentTenant, (tenant) => {
          const cached = known.get(tenant)
          return cached === undefined ? lookup(tenant) : Effect.succeed(cached)
        })
      }
    })
  )
