/**
 * The provider's published metadata and signing keys, shared by the bearer
 * verifier and the login flow. Internal to the OIDC module.
 */
import { Data, Duration, Effect, Option, Schema, SynchronizedRef } from "effect"
import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from "jose"

/**
 * The provider could not be reached or answered something unusable. It says
 * nothing about the credential, so it is never reported as `Unauthenticated`:
 * callers turn it into a defect (a 5xx at the edge), and a client holding a
 * good token is not told to sign in again.
 */
export class IdentityProviderUnavailable extends Data.TaggedError("IdentityProviderUnavailable")<{
  readonly message: string
  readonly cause?: unknown
}> {}

const Metadata = Schema.Struct({
  issuer: Schema.String,
  jwks_uri: Schema.String,
  authorization_endpoint: Schema.optional(Schema.String),
  token_endpoint: Schema.optional(Schema.String)
})
export type IssuerMetadata = typeof Metadata.Type

export interface ResolvedIssuer {
  readonly metadata: IssuerMetadata
  /** Keys by `kid` from `jwks_uri`; an unknown `kid` refetches the set (at most once per cooldown). */
  readonly keys: JWTVerifyGetKey
}

export interface IssuerOptions {
  /** Minimum time between two key-set refetches caused by an unknown `kid`. */
  readonly jwksCooldown: Duration.Duration
  /** Upper bound of every request to the provider. */
  readonly httpTimeout: Duration.Duration
}

/** OIDC Discovery §4: a terminating slash of the issuer is dropped before the well-known suffix. */
export const discoveryUrl = (issuer: string): string => `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`

export interface JsonResponse {
  readonly status: number
  /** `undefined` when the body is not JSON. */
  readonly body: unknown
}

/** One request to the provider, redirects not followed; only transport failures fail. */
export const fetchJson = (
  url: string,
  init: RequestInit,
  timeout: Duration.Duration
): Effect.Effect<JsonResponse, IdentityProviderUnavailable> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(url, {
        ...init,
        redirect: "manual",
        // A wall-clock timeout: the provider is real even when the Effect clock is a TestClock.
        signal: AbortSignal.any([signal, AbortSignal.timeout(Math.ceil(Duration.toMillis(timeout)))])
      })
      const text = await response.text()
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        body = undefined
      }
      return { status: response.status, body }
    },
    catch: (cause) => new IdentityProviderUnavailable({ message: `request to ${url} failed`, cause })
  })

/** Thrown by the key lookup when the key set itself could not be obtained, as opposed to a token naming no key. */
export class KeySetUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super("the provider's JSON Web Key Set could not be fetched", { cause })
  }
}

const isKeySetFailure = (error: unknown): boolean =>
  !(error instanceof errors.JOSEError) ||
  error instanceof errors.JWKSTimeout ||
  error instanceof errors.JWKSInvalid ||
  // jose's generic error is only raised for a non-200 or non-JSON key-set response
  error.code === errors.JOSEError.code

const separatingOutages =
  (keys: JWTVerifyGetKey): JWTVerifyGetKey =>
  async (header, token) => {
    try {
      return await keys(header, token)
    } catch (error) {
      throw isKeySetFailure(error) ? new KeySetUnavailable(error) : error
    }
  }

const discover = (issuer: string, options: IssuerOptions) =>
  Effect.gen(function* () {
    const url = discoveryUrl(issuer)
    const unavailable = (message: string, cause?: unknown) =>
      new IdentityProviderUnavailable({ message: `${url}: ${message}`, cause })
    const response = yield* fetchJson(url, { headers: { accept: "application/json" } }, options.httpTimeout)
    if (response.status !== 200) return yield* unavailable(`answered ${response.status}`)
    const metadata = yield* Schema.decodeUnknown(Metadata)(response.body).pipe(
      Effect.mapError((cause) => unavailable("not an OpenID Provider configuration", cause))
    )
    // OIDC Discovery §4.3: a document vouching for another issuer must not be used.
    if (metadata.issuer !== issuer) return yield* unavailable(`names issuer ${metadata.issuer}, expected ${issuer}`)
    const jwksUri = yield* Effect.try({
      try: () => new URL(metadata.jwks_uri),
      catch: (cause) => unavailable("jwks_uri is not a URL", cause)
    })
    const keys = createRemoteJWKSet(jwksUri, {
      cooldownDuration: Duration.toMillis(options.jwksCooldown),
      timeoutDuration: Math.ceil(Duration.toMillis(options.httpTimeout))
    })
    return { metadata, keys: separatingOutages(keys) } satisfies ResolvedIssuer
  }).pipe(Effect.withSpan("Oidc.discover", { attributes: { issuer } }))

/**
 * Resolves the issuer on first use and keeps the result; a failed discovery
 * is not kept, so the next use tries again instead of failing until restart.
 * Concurrent first uses wait for a single request.
 */
export const makeIssuerResolver = (
  issuer: string,
  options: IssuerOptions
): Effect.Effect<Effect.Effect<ResolvedIssuer, IdentityProviderUnavailable>> =>
  Effect.map(SynchronizedRef.make(Option.none<ResolvedIssuer>()), (cache) =>
    SynchronizedRef.modifyEffect(
      cache,
      Option.match({
        onSome: (resolved) => Effect.succeed([resolved, Option.some(resolved)] as const),
        onNone: () => Effect.map(discover(issuer, options), (resolved) => [resolved, Option.some(resolved)] as const)
      })
    )
  )
