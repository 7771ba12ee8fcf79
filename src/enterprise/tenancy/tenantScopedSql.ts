import { Reactivity } from "@effect/experimental"
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import * as Statement from "@effect/sql/Statement"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, String as Str } from "effect"
import { CurrentTenant } from "../../core/context.js"

const setTenant = "SELECT set_config('app.tenant_id', $1, $2)"

/**
 * A string as a PostgreSQL escape-string literal, which reads the same
 * whatever `standard_conforming_strings` says.
 */
const literal = (value: string): string => `E'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`

/**
 * A connection whose statements run with `app.tenant_id` set to `tenant`.
 * Inside a transaction the setting is transaction-local (`set_config(…,
 * true)` sent with `BEGIN`, one round trip for both), so it ends with the
 * transaction whatever happens; a standalone statement sets it for the
 * session before it runs, and since every acquisition through this client
 * sets it again, a pooled connection never carries one request's tenant
 * into another's statement.
 */
const scoped = (connection: Connection, tenant: string): Connection => ({
  execute: (sql, params, transformRows) => connection.execute(sql, params, transformRows),
  executeRaw: (sql, params) => connection.executeRaw(sql, params),
  executeStream: (sql, params, transformRows) => connection.executeStream(sql, params, transformRows),
  executeValues: (sql, params) => connection.executeValues(sql, params),
  executeUnprepared: (sql, params, transformRows) =>
    sql === "BEGIN"
      ? // Without parameters node-postgres sends a simple query, which may hold several statements.
        connection.executeUnprepared(
          `BEGIN; SELECT set_config('app.tenant_id', ${literal(tenant)}, true)`,
          [],
          undefined
        )
      : connection.executeUnprepared(sql, params, transformRows)
})

/**
 * The application's `SqlClient` on PostgreSQL under row-level security: every
 * statement runs with `app.tenant_id` set from the calling fiber's
 * {@link CurrentTenant}, which the tables' policies compare with each row's
 * `tenant_id`. The core repositories stay unaware of tenancy; a query that
 * forgets a tenant filter still sees one tenant's rows only.
 *
 * Connect it as a role that neither owns the tables nor bypasses row-level
 * security (see `makePostgresLayer`'s `adminUrl`).
 */
export const layerTenantScopedSql = (options: {
  readonly transformNames: boolean
}): Layer.Layer<SqlClient.SqlClient, never, PgClient.PgClient> =>
  Layer.effect(
    SqlClient.SqlClient,
    Effect.gen(function* () {
      const pg = yield* PgClient.PgClient
      const acquire = (inTransaction: boolean) =>
        Effect.flatMap(Effect.all([pg.reserve, CurrentTenant]), ([connection, tenant]) =>
          inTransaction
            ? Effect.succeed(scoped(connection, tenant))
            : Effect.as(connection.executeRaw(setTenant, [tenant, false]), connection)
        )
      return yield* SqlClient.make({
        acquirer: acquire(false),
        transactionAcquirer: acquire(true),
        compiler: PgClient.makeCompiler(options.transformNames ? Str.camelToSnake : undefined),
        spanAttributes: [["db.system.name", "postgresql"]],
        transformRows: options.transformNames ? Statement.defaultTransforms(Str.snakeToCamel).array : undefined
      })
    })
  ).pipe(Layer.provide(Reactivity.layer))
