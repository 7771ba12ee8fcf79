import type { SqlClient } from "@effect/sql"
import { Context, type Effect, Layer } from "effect"
import type { InvalidArgument } from "../../core/errors.js"
import type { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import type { CreateTenant, Tenant, TenantAlreadyExists, TenantNotFound } from "./model.js"
import { makeSql } from "./sql.js"

/** The operations of {@link Tenants}. */
export interface TenantsShape {
  /** Creates a tenant with its own Default experiment. */
  readonly create: (input: CreateTenant) => Effect.Effect<Tenant, TenantAlreadyExists | InvalidArgument>
  readonly get: (tenantId: string) => Effect.Effect<Tenant, TenantNotFound>
  /** Every tenant, by id. */
  readonly list: () => Effect.Effect<ReadonlyArray<Tenant>>
}

/**
 * The tenants (workspaces) of a deployment: an administrator's service.
 * Which tenant a request acts in is `CurrentTenant`, set by authentication.
 *
 * @example
 * ```ts
 * const program = Effect.flatMap(Tenants, (tenants) => tenants.create({ tenantId: "acme", displayName: "Acme" }))
 * ```
 */
export class Tenants extends Context.Tag("effect-mlops/enterprise/Tenants")<Tenants, TenantsShape>() {
  /** Tenants in the SQL store (SQLite or PostgreSQL). */
  static readonly layer: Layer.Layer<Tenants, never, SqlClient.SqlClient | ExperimentTracker> = Layer.effect(
    this,
    makeSql
  )
}
