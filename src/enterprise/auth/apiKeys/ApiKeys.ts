import type { SqlClient } from "@effect/sql"
import { Config, Context, Effect, Layer, Redacted } from "effect"
import type { ConfigError } from "effect/ConfigError"
import type { InvalidArgument } from "../../../core/errors.js"
import type { Unauthenticated } from "../identity.js"
import type { PrincipalId, PrincipalNotFound } from "../principals/model.js"
import type { Principals } from "../principals/Principals.js"
import type { ApiKey, ApiKeyNotFound, CreateApiKey, VerifiedKey } from "./model.js"
import { makeSql } from "./sql.js"

/** The pepper that keys API key digests: `MLOPS_API_KEY_PEPPER`, at least 32 characters. */
export const apiKeyPepperConfig: Config.Config<Redacted.Redacted<string>> = Config.redacted(
  "MLOPS_API_KEY_PEPPER"
).pipe(
  Config.validate({
    message: "MLOPS_API_KEY_PEPPER must have at least 32 characters",
    validation: (pepper) => Redacted.value(pepper).length >= 32
  })
)

/** The operations of {@link ApiKeys}. */
export interface ApiKeysShape {
  /** Issues a key to a principal of the current tenant; `key` is the only time the secret is seen. */
  readonly create: (
    input: CreateApiKey
  ) => Effect.Effect<
    { readonly apiKey: ApiKey; readonly key: Redacted.Redacted<string> },
    PrincipalNotFound | InvalidArgument
  >
  /** The current tenant's keys, or one principal's. */
  readonly list: (principalId?: PrincipalId) => Effect.Effect<ReadonlyArray<ApiKey>>
  /** Stops a key from working, at once on this replica and within the authenticator's cache time on others. */
  readonly revoke: (keyId: string) => Effect.Effect<void, ApiKeyNotFound>
  /**
   * The tenant and principal a presented key was issued to, whichever tenant
   * that is. Unknown, malformed, revoked and expired keys fail alike.
   */
  readonly verify: (key: string) => Effect.Effect<VerifiedKey, Unauthenticated>
  /**
   * A counter this process bumps after every change that narrows what a
   * credential may do (here: a revocation), so callers it cached can be
   * dropped at once on this replica; other replicas see the change when
   * their caches expire.
   */
  readonly revision: Effect.Effect<number>
}

/**
 * API keys for users and service accounts: random secrets, stored only as a
 * digest keyed with a server-side pepper (`MLOPS_API_KEY_PEPPER`), looked up
 * by their public key id.
 *
 * @example
 * ```ts
 * const issue = Effect.gen(function* () {
 *   const { key } = yield* (yield* ApiKeys).create({ principalId, name: "nightly training" })
 *   console.log(`MLFLOW_TRACKING_TOKEN=${Redacted.value(key)}`) // shown once
 * })
 * ```
 */
export class ApiKeys extends Context.Tag("effect-mlops/enterprise/ApiKeys")<ApiKeys, ApiKeysShape>() {
  /** Keys in the SQL store, digested with `pepper`. */
  static readonly layer = (
    pepper: Redacted.Redacted<string>
  ): Layer.Layer<ApiKeys, never, SqlClient.SqlClient | Principals> => Layer.effect(this, makeSql(pepper))

  /** {@link ApiKeys.layer} with the pepper from `MLOPS_API_KEY_PEPPER`. */
  static readonly layerConfig: Layer.Layer<ApiKeys, ConfigError, SqlClient.SqlClient | Principals> = Layer.unwrapEffect(
    Effect.map(apiKeyPepperConfig, (pepper) => ApiKeys.layer(pepper))
  )
}
