import type { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { CurrentTenant } from "../../../core/context.js"
import { type Forbidden, InvalidArgument } from "../../../core/errors.js"
import { ModelRegistry } from "../../../core/registry/ModelRegistry.js"
import type { RegisteredModelNotFound } from "../../../core/registry/errors.js"
import type { ExperimentNotFound } from "../../../core/tracking/errors.js"
import { ExperimentTracker } from "../../../core/tracking/ExperimentTracker.js"
import { ExperimentId } from "../../../core/tracking/model.js"
import { CurrentCaller } from "../Authenticator.js"
import { GroupNotFound, type PrincipalId, type PrincipalNotFound } from "../principals/model.js"
import { Principals } from "../principals/Principals.js"
import { Authorizer } from "./Authorizer.js"
import type { Grant, Grantee, GrantRole, ResourceRef, Role } from "./model.js"
import { Resource } from "./model.js"
import { type GranteeRecord, makeGrantStore } from "./store.js"

/** Why a grantee could not be named: no such principal or group in the tenant. */
export type GranteeError = PrincipalNotFound | GroupNotFound

/** The operations of {@link Grants}; each acts in the current tenant. */
export interface GrantsShape {
  /**
   * Grants `role` on `resource` to a principal or a group, replacing the
   * grantee's previous role there. `admin` is granted on the tenant only.
   * The resource must exist. Returns the replaced grant, if any, and the new one.
   */
  readonly grant: (
    input: GrantRole
  ) => Effect.Effect<
    { readonly before: Option.Option<Grant>; readonly after: Grant },
    Forbidden | InvalidArgument | GranteeError | ExperimentNotFound | RegisteredModelNotFound
  >
  /** Removes the grantee's grant on the resource; the removed grant, or None when there was none. */
  readonly revoke: (
    grantee: Grantee,
    resource: ResourceRef
  ) => Effect.Effect<Option.Option<Grant>, Forbidden | GranteeError>
  /** The grantee's own grant on the resource (not what it inherits from groups or the tenant). */
  readonly get: (
    grantee: Grantee,
    resource: ResourceRef
  ) => Effect.Effect<Option.Option<Grant>, Forbidden | GranteeError>
  /** Every grant on the resource. */
  readonly list: (resource: ResourceRef) => Effect.Effect<ReadonlyArray<Grant>, Forbidden>
  /** Every grant to the grantee: the tenant first, then experiments and registered models. */
  readonly listFor: (grantee: Grantee) => Effect.Effect<ReadonlyArray<Grant>, Forbidden | GranteeError>
  /** The role a principal has on a resource, with its groups, the tenant and the default taken into account. */
  readonly effectiveRole: (
    principalId: PrincipalId,
    resource: ResourceRef
  ) => Effect.Effect<Role, Forbidden | PrincipalNotFound>
}

const isExperimentId = Schema.is(ExperimentId)

const make = Effect.gen(function* () {
  const authorizer = yield* Authorizer
  const principals = yield* Principals
  const tracker = yield* ExperimentTracker
  const registry = yield* ModelRegistry
  const store = yield* makeGrantStore(authorizer.invalidate)

  /** Tenant grants are the admins' business; a resource's, its maintainers' (MLflow's MANAGE). */
  const manage = (action: string, resource: ResourceRef) =>
    authorizer.requireRole(action, resource.kind === "tenant" ? "admin" : "maintainer", resource)

  /** Admins may look at anyone; a principal at itself. */
  const selfOrAdmin = (action: string, principalId: string) =>
    Effect.flatMap(CurrentCaller, (caller) =>
      Option.isSome(caller) && caller.value.principalId === principalId
        ? Effect.void
        : authorizer.requireRole(action, "admin", Resource.tenant)
    )

  const resolve = (grantee: Grantee): Effect.Effect<GranteeRecord, GranteeError> =>
    grantee.kind === "principal"
      ? Effect.map(principals.get(grantee.principalId as PrincipalId), (p) => ({
          kind: "principal" as const,
          id: p.principalId,
          name: p.username
        }))
      : Effect.flatMap(principals.listGroups(), (groups) => {
          const group = groups.find((g) => g.name === grantee.group)
          return group === undefined
            ? Effect.fail(new GroupNotFound({ group: grantee.group }))
            : Effect.succeed({ kind: "group" as const, id: group.groupId, name: group.name })
        })

  const checkResource = (resource: ResourceRef, role: Role) =>
    Effect.gen(function* () {
      if (resource.kind === "tenant") {
        if (resource.id !== "") {
          return yield* new InvalidArgument({ field: "resource.id", reason: "the tenant's id is empty" })
        }
        return
      }
      if (role === "admin") {
        return yield* new InvalidArgument({ field: "role", reason: "admin is granted on the tenant only" })
      }
      if (resource.kind === "experiment") {
        if (!isExperimentId(resource.id)) {
          return yield* new InvalidArgument({ field: "resource.id", reason: "not an experiment id" })
        }
        yield* tracker.getExperiment(resource.id).pipe(Effect.catchTag("Forbidden", () => Effect.void))
      } else {
        yield* registry.getRegisteredModel(resource.id).pipe(Effect.catchTag("Forbidden", () => Effect.void))
      }
    })

  const grant = Effect.fn("Grants.grant")(function* (input: GrantRole) {
    yield* manage("Grants.grant", input.resource)
    yield* checkResource(input.resource, input.role)
    const grantee = yield* resolve(input.grantee)
    return yield* store.upsert(grantee, input.resource, input.role)
  })

  const revoke = Effect.fn("Grants.revoke")(function* (grantee: Grantee, resource: ResourceRef) {
    yield* manage("Grants.revoke", resource)
    const record = yield* resolve(grantee)
    return yield* store.remove(record.kind, record.id, resource)
  })

  const get = Effect.fn("Grants.get")(function* (grantee: Grantee, resource: ResourceRef) {
    yield* manage("Grants.get", resource)
    const record = yield* resolve(grantee)
    return yield* store.find(record.kind, record.id, resource)
  })

  const list = Effect.fn("Grants.list")(function* (resource: ResourceRef) {
    yield* manage("Grants.list", resource)
    return yield* store.listResource(resource)
  })

  const listFor = Effect.fn("Grants.listFor")(function* (grantee: Grantee) {
    if (grantee.kind === "principal") yield* selfOrAdmin("Grants.listFor", grantee.principalId)
    else yield* authorizer.requireRole("Grants.listFor", "admin", Resource.tenant)
    const record = yield* resolve(grantee)
    return yield* store.listGrantee(record.kind, record.id)
  })

  const effectiveRole = Effect.fn("Grants.effectiveRole")(function* (principalId: PrincipalId, resource: ResourceRef) {
    yield* selfOrAdmin("Grants.effectiveRole", principalId)
    const principal = yield* principals.get(principalId)
    const view = yield* authorizer.viewOf(yield* CurrentTenant, principal.principalId)
    return view.roleOn(resource)
  })

  return { grant, revoke, get, list, listFor, effectiveRole } satisfies GrantsShape
})

/**
 * Who has which role on what: grants to principals and groups on the
 * tenant, an experiment or a registered model (by name, as MLflow keys
 * model permissions). Changes need `admin` on the tenant and `maintainer`
 * on a resource (MLflow's MANAGE), when a caller is present; in-process
 * programs are trusted. Every change is reported to the {@link AuditHook}
 * and applies at once in this process.
 *
 * @example
 * ```ts
 * const share = Effect.gen(function* () {
 *   const grants = yield* Grants
 *   yield* grants.grant({ grantee: { kind: "group", group: "ml-platform" }, resource: Resource.experiment("3"), role: "editor" })
 * })
 * ```
 */
export class Grants extends Context.Tag("effect-mlops/enterprise/Grants")<Grants, GrantsShape>() {
  /**
   * Over the SQL store's `role_grants`. Give it the core services *without*
   * the RBAC decorators (it checks resources exist on its own authority).
   */
  static readonly layer: Layer.Layer<
    Grants,
    never,
    SqlClient.SqlClient | Authorizer | Principals | ExperimentTracker | ModelRegistry
  > = Layer.effect(this, make)
}
