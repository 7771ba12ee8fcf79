import type { SqlClient } from "@effect/sql"
import { Context, type Effect, Layer } from "effect"
import type { TenantId } from "../../../core/context.js"
import type { PrincipalId } from "../principals/model.js"
import { makeSql } from "./ssoDirectorySql.js"

/** The principal a single-sign-on identity has in one tenant. */
export interface SsoMembership {
  readonly tenantId: TenantId
  readonly principalId: PrincipalId
  readonly disabled: boolean
}

/** The operations of {@link SsoDirectory}. */
export interface SsoDirectoryShape {
  /** Every tenant where the identity (issuer and subject) has a principal, by tenant id, whatever the current tenant. */
  readonly memberships: (issuer: string, subject: string) => Effect.Effect<ReadonlyArray<SsoMembership>>
}

/**
 * Finds a signed-in person across tenants, for the tenant switcher. On
 * PostgreSQL the lookup runs under row-level security: the `sso_lookup`
 * policy shows exactly the principals of the identity the transaction names
 * (`app.sso_issuer`, `app.sso_subject`), nothing else of other tenants.
 *
 * @example
 * ```ts
 * const tenants = Effect.flatMap(SsoDirectory, (directory) => directory.memberships(issuer, subject))
 * ```
 */
export class SsoDirectory extends Context.Tag("effect-mlops/enterprise/SsoDirectory")<
  SsoDirectory,
  SsoDirectoryShape
>() {
  /** Over the SQL store (SQLite, or PostgreSQL with its `sso_lookup` policy). */
  static readonly layer: Layer.Layer<SsoDirectory, never, SqlClient.SqlClient> = Layer.effect(this, makeSql)
}
