import { ConfigError, Duration, Effect, Option } from "effect"
import { type ExternalIdentity, Unauthenticated } from "../identity.js"
import type { OidcConfig } from "./config.js"
import { makeIssuerResolver } from "./issuer.js"
import { identityFromClaims, precheck, verifyJwt } from "./token.js"

/** Checks bearer access tokens (JWTs) issued by the configured OpenID Provider for this server. */
export interface OidcVerifier {
  /**
   * The identity a token vouches for. Fails with `Unauthenticated` (message
   * "invalid bearer token", specific `reason`) for every token it does not
   * accept; an unreachable provider is a defect, not a rejection.
   */
  readonly verify: (token: string) => Effect.Effect<ExternalIdentity, Unauthenticated>
}

export interface OidcVerifierOptions {
  /**
   * Minimum time between two key-set refetches caused by a token naming an
   * unknown key (default 30 seconds). Bounds the load forged `kid`s can put
   * on the provider; a key the provider starts using is accepted at the
   * latest this long after the last fetch.
   */
  readonly jwksCooldown?: Duration.DurationInput
  /** Upper bound of each request to the provider (default 5 seconds). */
  readonly httpTimeout?: Duration.DurationInput
}

const rejected = (reason: string) => new Unauthenticated({ message: "invalid bearer token", reason })

/**
 * Builds a verifier for `config.issuer` and `config.audience`. Nothing is
 * fetched here: the discovery document is read on the first `verify` (and
 * again on the next one if that failed), so the server starts while the
 * provider is down. Signing keys come from the document's `jwks_uri`; a token
 * signed with a key not seen yet makes the key set be fetched again, which is
 * how key rotation is followed.
 *
 * Fails with a `ConfigError` when no audience is configured: without one,
 * any token the provider issued for another application would be accepted.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const verifier = yield* Effect.flatMap(oidcConfig, (config) => makeOidcVerifier(config))
 *   const identity = yield* verifier.verify(bearerToken)
 *   yield* Effect.log(`${identity.subject} of ${identity.tenant ?? "-"} in ${identity.groups.join(",")}`)
 * })
 * ```
 */
export const makeOidcVerifier = (
  config: OidcConfig,
  options: OidcVerifierOptions = {}
): Effect.Effect<OidcVerifier, ConfigError.ConfigError> =>
  Effect.gen(function* () {
    const audience = yield* Option.match(config.audience, {
      onNone: () =>
        Effect.fail(
          ConfigError.MissingData(["MLOPS_OIDC_AUDIENCE"], "bearer tokens need the audience this server answers to")
        ),
      onSome: Effect.succeed
    })
    const resolveIssuer = yield* makeIssuerResolver(config.issuer, {
      jwksCooldown: Duration.decode(options.jwksCooldown ?? Duration.seconds(30)),
      httpTimeout: Duration.decode(options.httpTimeout ?? Duration.seconds(5))
    })
    const verifyOptions = {
      issuer: config.issuer,
      audience,
      clockTolerance: config.clockTolerance,
      requiredClaims: ["sub", "exp"]
    }
    const claimNames = { groupsClaim: config.groupsClaim, tenantClaim: config.tenantClaim }

    const verify = Effect.fn("OidcVerifier.verify")(function* (token: string) {
      yield* precheck(token, rejected)
      const { keys } = yield* Effect.orDie(resolveIssuer)
      const payload = yield* verifyJwt(token, keys, verifyOptions, rejected)
      return yield* identityFromClaims(config.issuer, payload, claimNames, rejected)
    })

    return { verify } satisfies OidcVerifier
  })
