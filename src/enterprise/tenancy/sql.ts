import { SqlClient } from "@effect/sql"
import { Clock, Effect, Option } from "effect"
import { CurrentTenant, TenantId } from "../../core/context.js"
import { InvalidArgument } from "../../core/errors.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { withWriteTransaction } from "../../storage/transaction.js"
import { type CreateTenant, Tenant, TenantAlreadyExists, TenantNotFound, tenantIdPattern } from "./model.js"

interface TenantRow {
  readonly tenantId: string
  readonly displayName: string
  readonly creationTime: number
}

const toTenant = (row: TenantRow) =>
  new Tenant({ tenantId: TenantId.make(row.tenantId), displayName: row.displayName, creationTime: row.creationTime })

/** {@link Tenants} over the `tenants` table, which is global: no tenant is set to read it. */
export const makeSql = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const tracker = yield* ExperimentTracker

  const find = (tenantId: string) =>
    sql<TenantRow>`SELECT tenant_id, display_name, creation_time FROM tenants WHERE tenant_id = ${tenantId}`.pipe(
      Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toTenant))
    )

  const create = Effect.fn("Tenants.create")(function* (input: CreateTenant) {
    if (!tenantIdPattern.test(input.tenantId)) {
      return yield* new InvalidArgument({
        field: "tenantId",
        reason: "a tenant id is 1-63 lowercase letters, digits and dashes, starting with a letter or digit"
      })
    }
    const displayName = input.displayName ?? input.tenantId
    if (displayName.trim() === "" || displayName.length > 200) {
      return yield* new InvalidArgument({ field: "displayName", reason: "must be 1-200 characters" })
    }
    const creationTime = yield* Clock.currentTimeMillis
    const tenantId = TenantId.make(input.tenantId)
    const created = yield* withWriteTransaction(sql)(
      Effect.gen(function* () {
        if (Option.isSome(yield* find(tenantId))) return false
        yield* sql`INSERT INTO tenants ${sql.insert({ tenantId, displayName, creationTime })}`
        return true
      })
    ).pipe(Effect.orDie)
    if (!created) return yield* new TenantAlreadyExists({ tenantId })
    // MLflow clients log to a "Default" experiment unless told otherwise; each tenant has its own.
    yield* tracker.createExperiment({ name: "Default" }).pipe(
      Effect.provideService(CurrentTenant, tenantId),
      Effect.catchTag("ExperimentAlreadyExists", () => Effect.void),
      Effect.orDie
    )
    return new Tenant({ tenantId, displayName, creationTime })
  })

  const get = Effect.fn("Tenants.get")(function* (tenantId: string) {
    const found = yield* find(tenantId).pipe(Effect.orDie)
    if (Option.isNone(found)) return yield* new TenantNotFound({ tenantId })
    return found.value
  })

  const list = Effect.fn("Tenants.list")(function* () {
    const rows = yield* sql<TenantRow>`SELECT tenant_id, display_name, creation_time FROM tenants
      ORDER BY tenant_id`.pipe(Effect.orDie)
    return rows.map(toTenant)
  })

  return { create, get, list }
})
