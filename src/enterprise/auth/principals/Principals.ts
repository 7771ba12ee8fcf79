import type { SqlClient } from "@effect/sql"
import { Context, type Effect, Layer } from "effect"
import type { InvalidArgument } from "../../../core/errors.js"
import type { ExternalIdentity } from "../identity.js"
import type {
  CreatePrincipal,
  Group,
  GroupAlreadyExists,
  GroupNotFound,
  PrincipalAlreadyExists,
  PrincipalId,
  PrincipalNotFound,
  PrincipalRecord
} from "./model.js"
import { makeSql } from "./sql.js"

/** The operations of {@link Principals}; each acts in the current tenant. */
export interface PrincipalsShape {
  readonly create: (input: CreatePrincipal) => Effect.Effect<PrincipalRecord, PrincipalAlreadyExists | InvalidArgument>
  readonly get: (principalId: PrincipalId) => Effect.Effect<PrincipalRecord, PrincipalNotFound>
  readonly findByUsername: (username: string) => Effect.Effect<PrincipalRecord, PrincipalNotFound>
  readonly list: () => Effect.Effect<ReadonlyArray<PrincipalRecord>>
  /** A disabled principal cannot authenticate; its keys and grants stay for the record. */
  readonly setDisabled: (principalId: PrincipalId, disabled: boolean) => Effect.Effect<void, PrincipalNotFound>
  /**
   * The principal of a single-sign-on identity, created on its first login
   * (user name from the email, else the subject) and updated on later ones;
   * its memberships in SSO-managed groups follow the identity's groups.
   */
  readonly provision: (identity: ExternalIdentity) => Effect.Effect<PrincipalRecord>
  readonly createGroup: (name: string) => Effect.Effect<Group, GroupAlreadyExists | InvalidArgument>
  readonly listGroups: () => Effect.Effect<ReadonlyArray<Group>>
  readonly addMember: (
    group: string,
    principalId: PrincipalId
  ) => Effect.Effect<void, GroupNotFound | PrincipalNotFound>
  readonly removeMember: (group: string, principalId: PrincipalId) => Effect.Effect<void, GroupNotFound>
  /** The names of the groups the principal belongs to. */
  readonly groupsOf: (principalId: PrincipalId) => Effect.Effect<ReadonlyArray<string>>
  /**
   * A counter this process bumps after every change that narrows what a
   * credential may do (here: disabling a principal, changing its groups), so callers it cached can be
   * dropped at once on this replica; other replicas see the change when
   * their caches expire.
   */
  readonly revision: Effect.Effect<number>
}

/**
 * Users, service accounts and groups, per tenant.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const principals = yield* Principals
 *   const bot = yield* principals.create({ username: "trainer", kind: "service_account" })
 *   yield* principals.createGroup("ml-platform")
 *   yield* principals.addMember("ml-platform", bot.principalId)
 * })
 * ```
 */
export class Principals extends Context.Tag("effect-mlops/enterprise/Principals")<Principals, PrincipalsShape>() {
  /** Principals in the SQL store (SQLite or PostgreSQL, isolated per tenant there). */
  static readonly layer: Layer.Layer<Principals, never, SqlClient.SqlClient> = Layer.effect(this, makeSql)
}
