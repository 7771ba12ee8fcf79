import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Config, Effect, Layer, Option, Redacted, Schema } from "effect"
import type { ConfigError } from "effect/ConfigError"
import { CurrentTenant, TenantId } from "../../../core/context.js"
import { Forbidden, InvalidArgument } from "../../../core/errors.js"
import { ApiKeys } from "../../auth/apiKeys/ApiKeys.js"
import { ApiKeyNotFound } from "../../auth/apiKeys/model.js"
import { Group, PrincipalId, PrincipalRecord } from "../../auth/principals/model.js"
import { Principals } from "../../auth/principals/Principals.js"
import { Authorizer } from "../../auth/rbac/Authorizer.js"
import { Grants } from "../../auth/rbac/Grants.js"
import { type Grantee, Resource, type ResourceKind, type ResourceRef, resourceLabel } from "../../auth/rbac/model.js"
import { Tenant, tenantIdPattern } from "../../tenancy/model.js"
import { Tenants } from "../../tenancy/Tenants.js"
import { GrantNotFound } from "./errors.js"
import {
  AddMemberBody,
  CreatedKey,
  CreateGroupBody,
  CreateKeyBody,
  CreateOwnKeyBody,
  CreateTenantBody,
  CreateUserBody,
  GrantBody,
  GrantChange,
  GrantList,
  GrantRevoked,
  GrantsQuery,
  GroupList,
  KeyList,
  KeysQuery,
  Me,
  RevokeQuery,
  TenantList,
  UserDetails,
  UserList,
  UsersQuery
} from "./model.js"
import {
  body,
  currentCaller,
  jsonWith,
  noContent,
  pathParam,
  query,
  requireTenantAdmin,
  respond,
  secretJsonWith
} from "./respond.js"

/** Options of {@link makeAdminRoutes}. */
export interface AdminRoutesOptions {
  /**
   * The tenant whose admins manage tenants (`/api/v1/admin/tenants`).
   * Default `default`, the tenant every deployment starts with.
   */
  readonly operatorTenant?: string
}

/** `MLOPS_OPERATOR_TENANT`: the tenant whose admins create and list tenants over HTTP (default `default`). */
export const operatorTenantConfig: Config.Config<TenantId> = Config.string("MLOPS_OPERATOR_TENANT").pipe(
  Config.withDefault("default"),
  Config.validate({
    message: "MLOPS_OPERATOR_TENANT must be a tenant id: lowercase letters, digits and dashes",
    validation: (tenant) => tenantIdPattern.test(tenant)
  }),
  Config.map((tenant) => TenantId.make(tenant))
)

const isPrincipalId = Schema.is(PrincipalId)

/** The fields that are set, for inputs under `exactOptionalPropertyTypes`. */
const defined = <T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>
  }

const tenantList = jsonWith(TenantList)
const tenantCreated = jsonWith(Tenant, 201)
const userList = jsonWith(UserList)
const userCreated = jsonWith(PrincipalRecord, 201)
const userJson = jsonWith(PrincipalRecord)
const userDetails = jsonWith(UserDetails)
const groupList = jsonWith(GroupList)
const groupCreated = jsonWith(Group, 201)
const keyList = jsonWith(KeyList)
const keyCreated = secretJsonWith(CreatedKey)
const grantList = jsonWith(GrantList)
const grantCreated = jsonWith(GrantChange, 201)
const grantChanged = jsonWith(GrantChange)
const grantRevoked = jsonWith(GrantRevoked)
const meJson = jsonWith(Me)

const users = "/api/v1/admin/users"
const groups = "/api/v1/admin/groups"
const keys = "/api/v1/admin/keys"
const grantsPath = "/api/v1/admin/grants"

const routes = (options: AdminRoutesOptions) =>
  HttpLayerRouter.use((router) =>
    Effect.gen(function* () {
      const tenants = yield* Tenants
      const principals = yield* Principals
      const apiKeys = yield* ApiKeys
      const grants = yield* Grants
      const authorizer = yield* Authorizer
      const operatorTenant = options.operatorTenant ?? "default"

      const admin = (action: string) => requireTenantAdmin(authorizer, action)

      /** Tenants are the business of the operator tenant's admins. */
      const operator = (action: string) =>
        Effect.gen(function* () {
          const caller = yield* currentCaller
          if (caller.tenantId !== operatorTenant) {
            return yield* new Forbidden({
              action,
              resource: "tenants",
              message: `permission denied: ${caller.username} may not ${action}: only the admins of the operator tenant manage tenants`
            })
          }
          yield* authorizer.requireRole(action, "admin", Resource.tenant)
        })

      /** A principal of the current tenant by id (`p-…`) or user name. */
      const principalOf = (ref: string) => (isPrincipalId(ref) ? principals.get(ref) : principals.findByUsername(ref))

      const tenantRoleOf = (principal: PrincipalRecord) =>
        Effect.map(authorizer.viewOf(principal.tenantId, principal.principalId), (view) => view.tenantRole)

      // -- tenants (operator) --------------------------------------------------------------

      yield* router.add(
        "GET",
        "/api/v1/admin/tenants",
        Effect.gen(function* () {
          yield* operator("admin.tenants.list")
          return tenantList({ tenants: yield* tenants.list() })
        }).pipe(respond("AdminRoutes.listTenants"))
      )

      yield* router.add(
        "POST",
        "/api/v1/admin/tenants",
        Effect.gen(function* () {
          yield* operator("admin.tenants.create")
          const input = yield* body(CreateTenantBody)
          return tenantCreated(yield* tenants.create(input))
        }).pipe(respond("AdminRoutes.createTenant"))
      )

      // -- users and service accounts ------------------------------------------------------

      yield* router.add(
        "GET",
        users,
        Effect.gen(function* () {
          yield* admin("admin.users.list")
          const { kind } = yield* query(UsersQuery)
          const all = yield* principals.list()
          return userList({ users: kind === undefined ? all : all.filter((p) => p.kind === kind) })
        }).pipe(respond("AdminRoutes.listUsers"))
      )

      yield* router.add(
        "POST",
        users,
        Effect.gen(function* () {
          yield* admin("admin.users.create")
          const input = yield* body(CreateUserBody)
          const created = yield* principals.create({
            username: input.username,
            kind: input.kind ?? "user",
            ...defined({ email: input.email, displayName: input.displayName })
          })
          return userCreated(created)
        }).pipe(respond("AdminRoutes.createUser"))
      )

      yield* router.add(
        "GET",
        `${users}/:principal`,
        Effect.gen(function* () {
          yield* admin("admin.users.get")
          const principal = yield* principalOf(yield* pathParam("principal"))
          return userDetails({
            ...principal,
            groups: yield* principals.groupsOf(principal.principalId),
            tenantRole: yield* tenantRoleOf(principal)
          })
        }).pipe(respond("AdminRoutes.getUser"))
      )

      for (const change of ["disable", "enable"] as const) {
        yield* router.add(
          "POST",
          `${users}/:principal/${change}`,
          Effect.gen(function* () {
            const caller = yield* admin(`admin.users.${change}`)
            const principal = yield* principalOf(yield* pathParam("principal"))
            if (change === "disable" && principal.principalId === caller.principalId) {
              return yield* new InvalidArgument({
                field: "principal",
                reason: "an admin cannot disable itself (another admin, or the admin CLI, can)"
              })
            }
            yield* principals.setDisabled(principal.principalId, change === "disable")
            return userJson(yield* principals.get(principal.principalId))
          }).pipe(respond(`AdminRoutes.${change}User`))
        )
      }

      // -- groups ---------------------------------------------------------------------------

      yield* router.add(
        "GET",
        groups,
        Effect.gen(function* () {
          yield* admin("admin.groups.list")
          return groupList({ groups: yield* principals.listGroups() })
        }).pipe(respond("AdminRoutes.listGroups"))
      )

      yield* router.add(
        "POST",
        groups,
        Effect.gen(function* () {
          yield* admin("admin.groups.create")
          const input = yield* body(CreateGroupBody)
          return groupCreated(yield* principals.createGroup(input.name))
        }).pipe(respond("AdminRoutes.createGroup"))
      )

      yield* router.add(
        "POST",
        `${groups}/:group/members`,
        Effect.gen(function* () {
          yield* admin("admin.groups.addMember")
          const group = yield* pathParam("group")
          const input = yield* body(AddMemberBody)
          const principal = yield* principalOf(input.principal)
          yield* principals.addMember(group, principal.principalId)
          return noContent
        }).pipe(respond("AdminRoutes.addMember"))
      )

      yield* router.add(
        "DELETE",
        `${groups}/:group/members/:principal`,
        Effect.gen(function* () {
          yield* admin("admin.groups.removeMember")
          const group = yield* pathParam("group")
          const principal = yield* principalOf(yield* pathParam("principal"))
          yield* principals.removeMember(group, principal.principalId)
          return noContent
        }).pipe(respond("AdminRoutes.removeMember"))
      )

      // -- API keys -------------------------------------------------------------------------

      /** Issues a key and answers its secret, this once. */
      const issueKey = (principalId: PrincipalId, input: typeof CreateOwnKeyBody.Type) =>
        Effect.map(
          apiKeys.create({ principalId, name: input.name, ...defined({ expiresAt: input.expiresAt }) }),
          ({ apiKey, key }) => keyCreated({ apiKey, key: Redacted.value(key) })
        )

      yield* router.add(
        "GET",
        keys,
        Effect.gen(function* () {
          yield* admin("admin.keys.list")
          const { principal } = yield* query(KeysQuery)
          const owner = principal === undefined ? undefined : (yield* principalOf(principal)).principalId
          return keyList({ keys: yield* apiKeys.list(owner) })
        }).pipe(respond("AdminRoutes.listKeys"))
      )

      yield* router.add(
        "POST",
        keys,
        Effect.gen(function* () {
          yield* admin("admin.keys.create")
          const input = yield* body(CreateKeyBody)
          const principal = yield* principalOf(input.principal)
          return yield* issueKey(principal.principalId, input)
        }).pipe(respond("AdminRoutes.createKey"))
      )

      yield* router.add(
        "DELETE",
        `${keys}/:keyId`,
        Effect.gen(function* () {
          yield* admin("admin.keys.revoke")
          yield* apiKeys.revoke(yield* pathParam("keyId"))
          return noContent
        }).pipe(respond("AdminRoutes.revokeKey"))
      )

      // -- grants ---------------------------------------------------------------------------

      /** The grantee named by exactly one of `principal` and `group`, and its label in errors. */
      const granteeOf = (fields: { readonly principal?: string; readonly group?: string }) =>
        Effect.gen(function* () {
          if ((fields.principal === undefined) === (fields.group === undefined)) {
            return yield* new InvalidArgument({ field: "principal", reason: "name exactly one of principal and group" })
          }
          if (fields.principal !== undefined) {
            const principal = yield* principalOf(fields.principal)
            const grantee: Grantee = { kind: "principal", principalId: principal.principalId }
            return { grantee, label: `principal:${principal.username}` }
          }
          const group = fields.group ?? ""
          const grantee: Grantee = { kind: "group", group }
          return { grantee, label: `group:${group}` }
        })

      const resourceOf = (kind: ResourceKind, id: string | undefined): Effect.Effect<ResourceRef, InvalidArgument> => {
        if (kind === "tenant") {
          return id === undefined || id === ""
            ? Effect.succeed(Resource.tenant)
            : Effect.fail(new InvalidArgument({ field: "resourceId", reason: "a tenant grant takes no resourceId" }))
        }
        return id === undefined || id === ""
          ? Effect.fail(new InvalidArgument({ field: "resourceId", reason: `is required for a ${kind}` }))
          : Effect.succeed({ kind, id })
      }

      /** `Grants` names the resource's id `resource.id`; the API names it `resourceId`. */
      const resourceIdField = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.mapError(effect, (error) =>
          error instanceof InvalidArgument && error.field === "resource.id"
            ? (new InvalidArgument({ field: "resourceId", reason: error.reason }) as E)
            : error
        )

      yield* router.add(
        "GET",
        grantsPath,
        Effect.gen(function* () {
          yield* admin("admin.grants.list")
          const q = yield* query(GrantsQuery)
          if (q.principal === undefined && q.group === undefined) {
            if (q.resourceKind === undefined) {
              return yield* new InvalidArgument({
                field: "resourceKind",
                reason: "name a resource (resourceKind and resourceId) or a grantee (principal or group)"
              })
            }
            const resource = yield* resourceOf(q.resourceKind, q.resourceId)
            return grantList({ grants: yield* grants.list(resource) })
          }
          const { grantee } = yield* granteeOf(q)
          const all = yield* grants.listFor(grantee)
          if (q.resourceKind === undefined) return grantList({ grants: all })
          const resource = yield* resourceOf(q.resourceKind, q.resourceId)
          return grantList({
            grants: all.filter((g) => g.resourceKind === resource.kind && g.resourceId === resource.id)
          })
        }).pipe(respond("AdminRoutes.listGrants"))
      )

      yield* router.add(
        "PUT",
        grantsPath,
        Effect.gen(function* () {
          yield* admin("admin.grants.grant")
          const input = yield* body(GrantBody)
          const { grantee } = yield* granteeOf(input)
          const resource = yield* resourceOf(input.resourceKind, input.resourceId)
          const { before, after } = yield* grants.grant({ grantee, resource, role: input.role }).pipe(resourceIdField)
          return Option.match(before, {
            onNone: () => grantCreated({ grant: after }),
            onSome: (previous) => grantChanged({ grant: after, previous })
          })
        }).pipe(respond("AdminRoutes.grant"))
      )

      yield* router.add(
        "DELETE",
        grantsPath,
        Effect.gen(function* () {
          yield* admin("admin.grants.revoke")
          const q = yield* query(RevokeQuery)
          const { grantee, label } = yield* granteeOf(q)
          const resource = yield* resourceOf(q.resourceKind, q.resourceId)
          const revoked = yield* grants.revoke(grantee, resource)
          if (Option.isNone(revoked)) {
            return yield* new GrantNotFound({ grantee: label, resource: resourceLabel(resource) })
          }
          return grantRevoked({ revoked: revoked.value })
        }).pipe(respond("AdminRoutes.revoke"))
      )

      // -- the caller itself ----------------------------------------------------------------

      yield* router.add(
        "GET",
        "/api/v1/me",
        Effect.gen(function* () {
          const caller = yield* currentCaller
          const principal = yield* principals.get(caller.principalId)
          return meJson({
            principal,
            tenant: yield* tenants.get(yield* CurrentTenant),
            groups: yield* principals.groupsOf(principal.principalId),
            tenantRole: yield* tenantRoleOf(principal)
          })
        }).pipe(respond("AdminRoutes.me"))
      )

      yield* router.add(
        "GET",
        "/api/v1/me/keys",
        Effect.gen(function* () {
          const caller = yield* currentCaller
          return keyList({ keys: yield* apiKeys.list(caller.principalId) })
        }).pipe(respond("AdminRoutes.listOwnKeys"))
      )

      yield* router.add(
        "POST",
        "/api/v1/me/keys",
        Effect.gen(function* () {
          const caller = yield* currentCaller
          const input = yield* body(CreateOwnKeyBody)
          return yield* issueKey(caller.principalId, input)
        }).pipe(respond("AdminRoutes.createOwnKey"))
      )

      yield* router.add(
        "DELETE",
        "/api/v1/me/keys/:keyId",
        Effect.gen(function* () {
          const caller = yield* currentCaller
          const keyId = yield* pathParam("keyId")
          // Someone else's key is not found, whether or not it exists.
          const own = yield* apiKeys.list(caller.principalId)
          if (!own.some((key) => key.keyId === keyId)) return yield* new ApiKeyNotFound({ keyId })
          yield* apiKeys.revoke(keyId)
          return noContent
        }).pipe(respond("AdminRoutes.revokeOwnKey"))
      )
    })
  )

/** What the admin routes need: the router and the enterprise identity services. */
export type AdminRoutesServices = HttpLayerRouter.HttpRouter | Tenants | Principals | ApiKeys | Grants | Authorizer

/**
 * The admin API of an enterprise deployment, in the caller's tenant
 * (`CurrentTenant` and `CurrentCaller`, set by the authentication
 * middleware, which must run before these routes):
 *
 * - `/api/v1/admin/tenants` (list, create): admins of the operator tenant only;
 * - `/api/v1/admin/users`, `/groups`, `/keys`, `/grants`: the tenant's
 *   `admin` role — users and service accounts (list, create, get, disable,
 *   enable), groups (list, create, add and remove members), API keys (list,
 *   create for a principal with the secret answered once, revoke) and role
 *   grants (list by resource or grantee, grant or change, revoke);
 * - `/api/v1/me`, `/api/v1/me/keys`: any caller, about itself and its own keys.
 *
 * Bodies and query strings are decoded with Schema: a mistake is a 400
 * `InvalidArgument` naming the field; a missing principal, group, key or
 * grant a 404, a taken name a 409, a refusal a 403 `Forbidden` — in the
 * native API's shape (`_tag`, the error's fields and a `message`).
 * Every route is listed in `docs/admin-api.md`.
 *
 * @example
 * ```ts
 * makeServerLayerWith(options, authentication, makeAdminRoutes({ operatorTenant: "ops" }))
 * ```
 */
export const makeAdminRoutes = (options: AdminRoutesOptions = {}): Layer.Layer<never, never, AdminRoutesServices> =>
  routes(options)

/** {@link makeAdminRoutes} with the operator tenant `default`. */
export const AdminRoutes: Layer.Layer<never, never, AdminRoutesServices> = makeAdminRoutes()

/** {@link makeAdminRoutes} with the operator tenant from `MLOPS_OPERATOR_TENANT` (default `default`). */
export const AdminRoutesConfig: Layer.Layer<never, ConfigError, AdminRoutesServices> = Layer.unwrapEffect(
  Effect.map(operatorTenantConfig, (operatorTenant) => makeAdminRoutes({ operatorTenant }))
)
