import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { TenantId } from "../../../core/context.js"
import type { PrincipalId } from "../principals/model.js"
import type { SsoDirectoryShape, SsoMembership } from "./SsoDirectory.js"

interface MembershipRow {
  readonly tenantId: string
  readonly principalId: string
  readonly disabled: number
}

/** {@link SsoDirectoryShape} over SQL. */
export const makeSql: Effect.Effect<SsoDirectoryShape, never, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // Transaction-local, so the identity never outlives this lookup on a pooled connection.
  const nameIdentity = (issuer: string, subject: string) =>
    sql.onDialectOrElse({
      pg: () =>
        sql`SELECT set_config('app.sso_issuer', ${issuer}, true), set_config('app.sso_subject', ${subject}, true)`.pipe(
          Effect.asVoid
        ),
      orElse: () => Effect.void
    })

  const memberships = Effect.fn("SsoDirectory.memberships")(
    function* (issuer: string, subject: string) {
      yield* nameIdentity(issuer, subject)
      const rows = yield* sql<MembershipRow>`SELECT tenant_id, principal_id, disabled FROM principals
        WHERE external_issuer = ${issuer} AND external_subject = ${subject} ORDER BY tenant_id`
      return rows.map(
        (row): SsoMembership => ({
          tenantId: row.tenantId as TenantId,
          principalId: row.principalId as PrincipalId,
          disabled: Number(row.disabled) !== 0
        })
      )
    },
    sql.withTransaction,
    Effect.orDie
  )

  return { memberships }
})
