import { SqlClient } from "@effect/sql"
import { Clock, Effect, Option } from "effect"
import { CurrentPrincipal, CurrentTenant, type TenantId } from "../../../core/context.js"
import { withWriteTransaction } from "../../../storage/transaction.js"
import { CurrentCaller } from "../Authenticator.js"
import { AuditHook } from "./audit.js"
import { Grant, type GranteeKind, type ResourceKind, type ResourceRef, type Role } from "./model.js"

/** A grantee resolved to its stored id and display name. */
export interface GranteeRecord {
  readonly kind: GranteeKind
  readonly id: string
  readonly name: string
}

interface GrantRow {
  readonly tenantId: string
  readonly granteeKind: GranteeKind
  readonly granteeId: string
  readonly granteeName: string | null
  readonly resourceKind: ResourceKind
  readonly resourceId: string
  readonly role: Role
  readonly grantedBy: string
  readonly grantedAt: number
}

const toGrant = (row: GrantRow) =>
  new Grant(
    {
      tenantId: row.tenantId as TenantId,
      granteeKind: row.granteeKind,
      granteeId: row.granteeId,
      granteeName: row.granteeName ?? row.granteeId,
      resourceKind: row.resourceKind,
      resourceId: row.resourceId,
      role: row.role,
      grantedBy: row.grantedBy,
      grantedAt: row.grantedAt
    },
    { disableValidation: true }
  )

/**
 * The `role_grants` table: every write goes through here, so every change
 * is reported to the {@link AuditHook} (inside its transaction) and drops
 * the authorizer's cached views (`onChange`). No authorization here: the
 * `Grants` service and the RBAC decorators decide who may change what.
 * Every query names the tenant, so it holds on SQLite too, where no RLS helps.
 */
export const makeGrantStore = (onChange: Effect.Effect<void>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const audit = yield* AuditHook
    const write = withWriteTransaction(sql)

    const select = sql.literal(`SELECT g.tenant_id, g.grantee_kind, g.grantee_id,
        COALESCE(p.username, pg.name) AS grantee_name, g.resource_kind, g.resource_id, g.role,
        g.granted_by, g.granted_at
      FROM role_grants g
      LEFT JOIN principals p ON g.grantee_kind = 'principal' AND p.principal_id = g.grantee_id
      LEFT JOIN principal_groups pg ON g.grantee_kind = 'group' AND pg.group_id = g.grantee_id`)

    const rows = (query: Effect.Effect<ReadonlyArray<GrantRow>, unknown>) =>
      Effect.map(Effect.orDie(query), (found) => found.map(toGrant))

    const findIn = (tenant: TenantId, kind: GranteeKind, granteeId: string, resource: ResourceRef) =>
      Effect.map(
        rows(sql<GrantRow>`${select} WHERE g.tenant_id = ${tenant} AND g.resource_kind = ${resource.kind}
          AND g.resource_id = ${resource.id} AND g.grantee_kind = ${kind} AND g.grantee_id = ${granteeId}`),
        (found) => Option.fromNullable(found[0])
      )

    const onResource = (tenant: TenantId, resource: ResourceRef) =>
      rows(sql<GrantRow>`${select} WHERE g.tenant_id = ${tenant} AND g.resource_kind = ${resource.kind}
        AND g.resource_id = ${resource.id} ORDER BY g.grantee_kind, g.grantee_id`)

    const grantedBy = Effect.flatMap(CurrentCaller, (caller) =>
      Option.isSome(caller) ? Effect.succeed(caller.value.username) : Effect.map(CurrentPrincipal, (p) => p.id)
    )

    const deleteRow = (grant: Grant) =>
      sql`DELETE FROM role_grants WHERE tenant_id = ${grant.tenantId} AND resource_kind = ${grant.resourceKind}
        AND resource_id = ${grant.resourceId} AND grantee_kind = ${grant.granteeKind}
        AND grantee_id = ${grant.granteeId}`

    /** A change, its audit record and the cache drop, in one transaction. */
    const change = <A>(body: Effect.Effect<A, unknown>) => write(body).pipe(Effect.orDie, Effect.zipLeft(onChange))

    /** The grant of one grantee on one resource in the current tenant. */
    const find = (kind: GranteeKind, granteeId: string, resource: ResourceRef) =>
      Effect.flatMap(CurrentTenant, (tenant) => findIn(tenant, kind, granteeId, resource))

    /** Sets the grantee's role on the resource; the grant it replaced, if any, and the new one. */
    const upsert = (grantee: GranteeRecord, resource: ResourceRef, role: Role) =>
      Effect.gen(function* () {
        const tenant = yield* CurrentTenant
        const by = yield* grantedBy
        const at = yield* Clock.currentTimeMillis
        return yield* change(
          Effect.gen(function* () {
            const before = yield* findIn(tenant, grantee.kind, grantee.id, resource)
            yield* sql`INSERT INTO role_grants ${sql.insert({
              tenantId: tenant,
              granteeKind: grantee.kind,
              granteeId: grantee.id,
              resourceKind: resource.kind,
              resourceId: resource.id,
              role,
              grantedBy: by,
              grantedAt: at
            })} ON CONFLICT (tenant_id, resource_kind, resource_id, grantee_kind, grantee_id)
              DO UPDATE SET role = ${role}, granted_by = ${by}, granted_at = ${at}`
            const after = new Grant(
              {
                tenantId: tenant,
                granteeKind: grantee.kind,
                granteeId: grantee.id,
                granteeName: grantee.name,
                resourceKind: resource.kind,
                resourceId: resource.id,
                role,
                grantedBy: by,
                grantedAt: at
              },
              { disableValidation: true }
            )
            yield* audit.permissionChanged(before, Option.some(after))
            return { before, after }
          })
        )
      })

    /** Removes the grantee's grant on the resource; the removed grant, if there was one. */
    const remove = (kind: GranteeKind, granteeId: string, resource: ResourceRef) =>
      Effect.flatMap(CurrentTenant, (tenant) =>
        change(
          Effect.gen(function* () {
            const before = yield* findIn(tenant, kind, granteeId, resource)
            if (Option.isNone(before)) return before
            yield* deleteRow(before.value)
            yield* audit.permissionChanged(before, Option.none())
            return before
          })
        )
      )

    /** Every grant on the resource in the current tenant. */
    const listResource = (resource: ResourceRef) => Effect.flatMap(CurrentTenant, (t) => onResource(t, resource))

    /** Every grant to the grantee in the current tenant, tenant first, then by resource. */
    const listGrantee = (kind: GranteeKind, granteeId: string) =>
      Effect.flatMap(CurrentTenant, (tenant) =>
        rows(sql<GrantRow>`${select} WHERE g.tenant_id = ${tenant} AND g.grantee_kind = ${kind}
          AND g.grantee_id = ${granteeId} ORDER BY g.resource_kind DESC, g.resource_id`)
      )

    /** Removes every grant on the resource (a deleted registered model). */
    const removeResource = (resource: ResourceRef) =>
      Effect.flatMap(CurrentTenant, (tenant) =>
        change(
          Effect.gen(function* () {
            const grants = yield* onResource(tenant, resource)
            for (const grant of grants) {
              yield* deleteRow(grant)
              yield* audit.permissionChanged(Option.some(grant), Option.none())
            }
          })
        )
      )

    /** Removes every grant to the grantee (a deleted user). */
    const removeGrantee = (kind: GranteeKind, granteeId: string) =>
      change(
        Effect.flatMap(listGrantee(kind, granteeId), (grants) =>
          Effect.forEach(
            grants,
            (grant) => Effect.zipRight(deleteRow(grant), audit.permissionChanged(Option.some(grant), Option.none())),
            { discard: true }
          )
        )
      )

    /**
     * Moves every grant on a resource to its new id (a renamed registered
     * model: grants are keyed by name). Grants left on the new name by an
     * earlier model of that name are removed first.
     */
    const moveResource = (kind: ResourceKind, fromId: string, toId: string) =>
      Effect.flatMap(CurrentTenant, (tenant) =>
        change(
          Effect.gen(function* () {
            for (const stale of yield* onResource(tenant, { kind, id: toId })) {
              yield* deleteRow(stale)
              yield* audit.permissionChanged(Option.some(stale), Option.none())
            }
            const moving = yield* onResource(tenant, { kind, id: fromId })
            yield* sql`UPDATE role_grants SET resource_id = ${toId}
              WHERE tenant_id = ${tenant} AND resource_kind = ${kind} AND resource_id = ${fromId}`
            for (const grant of moving) {
              const moved = new Grant({ ...grant, resourceId: toId }, { disableValidation: true })
              yield* audit.permissionChanged(Option.some(grant), Option.some(moved))
            }
          })
        )
      )

    return { find, upsert, remove, listResource, listGrantee, removeResource, removeGrantee, moveResource }
  })

/** The operations of {@link makeGrantStore}. */
export type GrantStore = Effect.Effect.Success<ReturnType<typeof makeGrantStore>>
