import { SqlClient } from "@effect/sql"
import { Clock, Config, Context, Duration, Effect, Layer, Option } from "effect"
import type { ConfigError } from "effect/ConfigError"
import type { TenantId } from "../../../core/context.js"
import { Forbidden } from "../../../core/errors.js"
import { type Caller, CurrentCaller } from "../Authenticator.js"
import { type Action, ruleOf } from "./actions.js"
import { atLeast, type ResourceRef, type Role, resourceLabel, stronger } from "./model.js"

/**
 * What one principal may do in its tenant, from its grants and its groups'
 * grants at one moment: a synchronous lookup, so a search page is filtered
 * without a query per item.
 */
export interface RoleView {
  readonly tenantId: TenantId
  readonly principalId: string
  /** The tenant-level role: the principal's grant on the tenant, else its groups' strongest, else the default. */
  readonly tenantRole: Role
  /**
   * The effective role on a resource: `admin` if the tenant-level role is
   * admin; else the principal's own grant on the resource; else the
   * strongest of its groups' grants on it; else the tenant-level role.
   */
  readonly roleOn: (resource: ResourceRef) => Role
}

/** Options of {@link Authorizer.layer}. */
export interface AuthorizerOptions {
  /**
   * The role of a principal without any tenant-level grant, neither its own
   * nor a group's. Default `viewer`, like MLflow's default `READ`.
   */
  readonly defaultRole?: Exclude<Role, "admin">
  /**
   * How long a principal's grants are reused without asking the database
   * again (at most 5 seconds; default 5). A change made through this process
   * applies at once; one made through another replica within this time.
   */
  readonly cacheTtl?: Duration.DurationInput
}

/** The operations of {@link Authorizer}. */
export interface AuthorizerShape {
  /** The default role (see {@link AuthorizerOptions.defaultRole}). */
  readonly defaultRole: Role
  /** The roles of a principal of `tenantId`, possibly cached. */
  readonly viewOf: (tenantId: TenantId, principalId: string) => Effect.Effect<RoleView>
  /** The current caller's roles; None for an in-process program, which is trusted. */
  readonly currentView: Effect.Effect<Option.Option<RoleView>>
  /**
   * Succeeds when the current caller has at least the role `action` needs
   * (see `actions`) on `resource`, or when there is no caller; fails with
   * `Forbidden` otherwise.
   */
  readonly authorize: (action: Action, resource: ResourceRef) => Effect.Effect<void, Forbidden>
  /** {@link authorize} with an explicit role, for operations outside the core's action table (grants, users). */
  readonly requireRole: (action: string, role: Role, resource: ResourceRef) => Effect.Effect<void, Forbidden>
  /**
   * Whether the current caller may read a resource, as a synchronous
   * predicate for filtering; always true without a caller.
   */
  readonly readable: Effect.Effect<(resource: ResourceRef) => boolean>
  /** Forgets every cached view: called by every grant change in this process. */
  readonly invalidate: Effect.Effect<void>
}

interface GrantRow {
  readonly resourceKind: string
  readonly resourceId: string
  readonly granteeKind: string
  readonly role: Role
}

const maxCacheTtlMillis = 5_000
const maxCachedViews = 10_000
const tenantKey = "tenant:"

/** The {@link RoleView} of a principal's grant rows. */
export const viewFromGrants = (
  tenantId: TenantId,
  principalId: string,
  rows: ReadonlyArray<GrantRow>,
  defaultRole: Role
): RoleView => {
  const own = new Map<string, Role>()
  const groups = new Map<string, Role>()
  for (const row of rows) {
    const key = `${row.resourceKind}:${row.resourceId}`
    if (row.granteeKind === "principal") own.set(key, row.role)
    else groups.set(key, stronger(groups.get(key) ?? "none", row.role))
  }
  const tenantRole = own.get(tenantKey) ?? groups.get(tenantKey) ?? defaultRole
  return {
    tenantId,
    principalId,
    tenantRole,
    roleOn: (resource) => {
      if (tenantRole === "admin" || resource.kind === "tenant") return tenantRole
      const key = `${resource.kind}:${resource.id}`
      return own.get(key) ?? groups.get(key) ?? tenantRole
    }
  }
}

const forbidden = (caller: Caller, action: string, role: Role, resource: ResourceRef) =>
  new Forbidden({
    action,
    resource: resourceLabel(resource),
    message: `permission denied: ${caller.username} may not ${action} on ${resourceLabel(resource)}, which needs the ${role} role`
  })

const make = (options: AuthorizerOptions) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const defaultRole: Role = options.defaultRole ?? "viewer"
    const ttl = Math.min(Duration.toMillis(options.cacheTtl ?? maxCacheTtlMillis), maxCacheTtlMillis)
    const cache = new Map<string, { readonly view: RoleView; readonly until: number }>()
    // Bumped by every invalidation: a view loaded across a change is used once, not cached.
    let generation = 0

    // One indexed query: the principal's own grants and those of the groups it belongs to now.
    const load = (tenantId: TenantId, principalId: string) =>
      sql<GrantRow>`SELECT resource_kind, resource_id, grantee_kind, role FROM role_grants
        WHERE tenant_id = ${tenantId} AND (
          (grantee_kind = 'principal' AND grantee_id = ${principalId})
          OR (grantee_kind = 'group' AND grantee_id IN (
            SELECT group_id FROM group_members WHERE tenant_id = ${tenantId} AND principal_id = ${principalId})))`.pipe(
        Effect.map((rows) => viewFromGrants(tenantId, principalId, rows, defaultRole)),
        Effect.orDie,
        Effect.withSpan("Authorizer.load")
      )

    const viewOf = (tenantId: TenantId, principalId: string): Effect.Effect<RoleView> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const key = `${tenantId}\u0000${principalId}`
        const hit = cache.get(key)
        if (hit !== undefined && hit.until > now) return Effect.succeed(hit.view)
        const loading = generation
        return Effect.tap(load(tenantId, principalId), (view) =>
          Effect.sync(() => {
            if (loading !== generation) return
            cache.delete(key)
            if (cache.size >= maxCachedViews) cache.delete(cache.keys().next().value as string)
            cache.set(key, { view, until: now + ttl })
          })
        )
      })

    const currentView: Effect.Effect<Option.Option<RoleView>> = Effect.flatMap(CurrentCaller, (caller) =>
      Option.isNone(caller)
        ? Effect.succeedNone
        : Effect.map(viewOf(caller.value.tenantId, caller.value.principalId), Option.some)
    )

    const requireRole = (action: string, role: Role, resource: ResourceRef): Effect.Effect<void, Forbidden> =>
      Effect.flatMap(CurrentCaller, (caller) =>
        Option.isNone(caller)
          ? Effect.void
          : Effect.flatMap(viewOf(caller.value.tenantId, caller.value.principalId), (view) =>
              atLeast(view.roleOn(resource), role)
                ? Effect.void
                : Effect.fail(forbidden(caller.value, action, role, resource))
            )
      )

    const authorize = (action: Action, resource: ResourceRef) => requireRole(action, ruleOf(action).role, resource)

    const readable = Effect.map(currentView, (view): ((resource: ResourceRef) => boolean) =>
      Option.isNone(view) ? () => true : (resource) => atLeast(view.value.roleOn(resource), "viewer")
    )

    return {
      defaultRole,
      viewOf,
      currentView,
      authorize,
      requireRole,
      readable,
      invalidate: Effect.sync(() => {
        generation++
        cache.clear()
      })
    } satisfies AuthorizerShape
  })

/** `MLOPS_RBAC_DEFAULT_ROLE`: `none`, `viewer` (default), `editor` or `maintainer`. */
export const defaultRoleConfig: Config.Config<Exclude<Role, "admin">> = Config.literal(
  "none",
  "viewer",
  "editor",
  "maintainer"
)("MLOPS_RBAC_DEFAULT_ROLE").pipe(Config.withDefault("viewer" as const))

/**
 * Decides what the caller of a request may do: its effective role on a
 * resource from the `role_grants` of its tenant. A tenant-level `admin`
 * always wins; otherwise the principal's own grant on the resource, else
 * the strongest of its groups' grants on it, else its tenant-level grant,
 * else its groups' strongest tenant-level grant, else the default role.
 * In-process programs have no `CurrentCaller` and are never refused.
 *
 * @example
 * ```ts
 * const check = Effect.flatMap(Authorizer, (authorizer) =>
 *   authorizer.authorize("ExperimentTracker.createRun", Resource.experiment("3"))
 * )
 * ```
 */
export class Authorizer extends Context.Tag("effect-mlops/enterprise/Authorizer")<Authorizer, AuthorizerShape>() {
  /**
   * Over the SQL store's `role_grants` (SQLite or PostgreSQL). This is a
   * function: bind its result to one constant (layers are memoised by reference).
   */
  static readonly layer = (options: AuthorizerOptions = {}): Layer.Layer<Authorizer, never, SqlClient.SqlClient> =>
    Layer.effect(Authorizer, make(options))

  /** {@link Authorizer.layer} with the default role from `MLOPS_RBAC_DEFAULT_ROLE`. */
  static readonly layerConfig: Layer.Layer<Authorizer, ConfigError, SqlClient.SqlClient> = Layer.unwrapEffect(
    Effect.map(defaultRoleConfig, (defaultRole) => Authorizer.layer({ defaultRole }))
  )
}
