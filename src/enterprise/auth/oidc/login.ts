import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { ConfigError, Duration, Effect, Option, Redacted, Schema } from "effect"
import { type ExternalIdentity, Unauthenticated } from "../identity.js"
import type { OidcConfig } from "./config.js"
import { fetchJson, IdentityProviderUnavailable, makeIssuerResolver, type ResolvedIssuer } from "./issuer.js"
import { identityFromClaims, precheck, verifyJwt } from "./token.js"

/**
 * What `start` generated and `finish` must be given back: the caller keeps
 * it between the two requests, in a cookie the browser's scripts cannot read
 * (HttpOnly, and signed or encrypted), bound to the browser that started.
 */
export interface PendingLogin {
  readonly state: string
  readonly codeVerifier: string
  readonly nonce: string
}

export interface LoginRedirect extends PendingLogin {
  /** Where to send the browser: the provider's authorization endpoint with the request's parameters. */
  readonly url: string
}

/** The query parameters the provider sent to the redirect URI. */
export interface AuthorizationCallback {
  readonly code: string
  readonly state: string
  /** RFC 9207 `iss`: checked when present, so a response from another provider is refused. */
  readonly iss?: string
}

/** The authorization-code flow with PKCE, for signing a browser in through the OpenID Provider. */
export interface OidcLogin {
  /** A fresh authorization request. */
  readonly start: () => Effect.Effect<LoginRedirect>
  /**
   * Redeems the code the provider sent back and returns who signed in.
   * Fails with `Unauthenticated` (message "sign-in failed", specific
   * `reason`) for a state mismatch, a code the provider refuses (unknown,
   * expired, replayed, wrong PKCE verifier) or an ID token that does not
   * check out; an unreachable provider is a defect.
   */
  readonly finish: (
    params: AuthorizationCallback,
    pending: PendingLogin
  ) => Effect.Effect<ExternalIdentity, Unauthenticated>
}

export interface OidcLoginOptions {
  /** Upper bound of each request to the provider (default 5 seconds). */
  readonly httpTimeout?: Duration.DurationInput
}

const rejected = (reason: string) => new Unauthenticated({ message: "sign-in failed", reason })

/** 256 bits of randomness; as a PKCE verifier it is 43 characters, the minimum RFC 7636 allows. */
const randomToken = () => randomBytes(32).toString("base64url")

const sha256 = (value: string) => createHash("sha256").update(value).digest()

/** Compares digests so neither the contents nor the length of the expected value leak through timing. */
const sameSecret = (received: string, expected: string): boolean =>
  typeof received === "string" && expected !== "" && timingSafeEqual(sha256(received), sha256(expected))

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 requires inside the Basic credentials. */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)

const TokenResponse = Schema.Struct({ id_token: Schema.optional(Schema.String) })
const TokenError = Schema.Struct({ error: Schema.String })

/** An OAuth error code is a short ASCII word; anything else is not worth logging verbatim. */
const errorCode = (body: unknown): string =>
  Option.match(Schema.decodeUnknownOption(TokenError)(body), {
    onNone: () => "unknown error",
    onSome: ({ error }) => (/^[\x20-\x7e]{1,64}$/.test(error) ? error : "unknown error")
  })

/** A provider whose metadata lacks a usable endpoint is broken, which no user action fixes: a defect. */
const endpoint = (resolved: ResolvedIssuer, name: "authorization_endpoint" | "token_endpoint") =>
  Effect.try({
    try: () => new URL(resolved.metadata[name] ?? ""),
    catch: (cause) => new IdentityProviderUnavailable({ message: `the provider's ${name} is not a URL`, cause })
  }).pipe(Effect.orDie)

const required = <A>(value: Option.Option<A>, name: string, why: string) =>
  Option.match(value, {
    onNone: () => Effect.fail(ConfigError.MissingData([name], why)),
    onSome: Effect.succeed
  })

/**
 * Builds the login flow for `config.clientId` and `config.redirectUri`
 * (both required, else a `ConfigError`). The client authenticates at the
 * token endpoint with `config.clientSecret` by `config.tokenEndpointAuthMethod`,
 * or as a public client when no secret is configured. The provider's
 * metadata is read on first use, as the verifier's is.
 *
 * @example
 * ```ts
 * const login = yield* Effect.flatMap(oidcConfig, (config) => makeOidcLogin(config))
 * // GET /login
 * const { url, ...pending } = yield* login.start()
 * // store `pending` in an HttpOnly cookie, then redirect the browser to `url`
 * // GET /oidc/callback?code=…&state=…
 * const identity = yield* login.finish({ code, state }, pendingFromCookie)
 * ```
 */
export const makeOidcLogin = (
  config: OidcConfig,
  options: OidcLoginOptions = {}
): Effect.Effect<OidcLogin, ConfigError.ConfigError> =>
  Effect.gen(function* () {
    const clientId = yield* required(config.clientId, "MLOPS_OIDC_CLIENT_ID", "the login needs the client id")
    const redirectUri = yield* required(config.redirectUri, "MLOPS_OIDC_REDIRECT_URI", "the login needs a redirect URI")
    const httpTimeout = Duration.decode(options.httpTimeout ?? Duration.seconds(5))
    const resolveIssuer = yield* makeIssuerResolver(config.issuer, {
      jwksCooldown: Duration.seconds(30),
      httpTimeout
    })
    const claimNames = { groupsClaim: config.groupsClaim, tenantClaim: config.tenantClaim }

    const start = Effect.fn("OidcLogin.start")(function* () {
      const resolved = yield* Effect.orDie(resolveIssuer)
      const url = yield* endpoint(resolved, "authorization_endpoint")
      const pending = { state: randomToken(), codeVerifier: randomToken(), nonce: randomToken() }
      const query = {
        response_type: "code",
        client_id: clientId,
        redirect_uri: redirectUri,
        scope: config.scopes.join(" "),
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: createHash("sha256").update(pending.codeVerifier).digest("base64url"),
        code_challenge_method: "S256"
      }
      // `set`, not a rebuilt query: an authorization endpoint may carry parameters of its own.
      for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
      return { url: url.href, ...pending } satisfies LoginRedirect
    })

    const redeem = (tokenEndpoint: string, code: string, codeVerifier: string) => {
      const body = new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
        code_verifier: codeVerifier
      })
      const headers: Record<string, string> = {
        accept: "application/json",
        "content-type": "application/x-www-form-urlencoded"
      }
      Option.match(config.clientSecret, {
        onNone: () => body.set("client_id", clientId),
        onSome: (secret) => {
          if (config.tokenEndpointAuthMethod === "client_secret_post") {
            body.set("client_id", clientId)
            body.set("client_secret", Redacted.value(secret))
          } else {
            const credentials = `${formEncode(clientId)}:${formEncode(Redacted.value(secret))}`
            headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`
          }
        }
      })
      return fetchJson(tokenEndpoint, { method: "POST", headers, body: body.toString() }, httpTimeout)
    }

    const finish = Effect.fn("OidcLogin.finish")(function* (params: AuthorizationCallback, pending: PendingLogin) {
      // Binds the response to the browser that started the login (RFC 6749 §10.12, CSRF).
      if (!sameSecret(params.state, pending.state)) return yield* rejected("state mismatch")
      if (params.iss !== undefined && params.iss !== config.issuer) return yield* rejected("wrong issuer in response")
      if (typeof params.code !== "string" || params.code === "") return yield* rejected("missing code")

      const resolved = yield* Effect.orDie(resolveIssuer)
      const tokenEndpoint = (yield* endpoint(resolved, "token_endpoint")).href
      const response = yield* Effect.orDie(redeem(tokenEndpoint, params.code, pending.codeVerifier))
      if (response.status === 400 || response.status === 401) {
        return yield* rejected(`token endpoint refused the code: ${errorCode(response.body)}`)
      }
      if (response.status !== 200) {
        return yield* Effect.die(
          new IdentityProviderUnavailable({ message: `${tokenEndpoint} answered ${response.status}` })
        )
      }
      const idToken = Option.flatMapNullable(
        Schema.decodeUnknownOption(TokenResponse)(response.body),
        (tokens) => tokens.id_token
      )
      if (Option.isNone(idToken)) return yield* rejected("no id_token in the token response")

      yield* precheck(idToken.value, rejected)
      const claims = yield* verifyJwt(
        idToken.value,
        resolved.keys,
        {
          issuer: config.issuer,
          audience: clientId,
          clockTolerance: config.clockTolerance,
          requiredClaims: ["sub", "exp", "iat", "nonce"]
        },
        rejected
      )
      // Ties the ID token to this login: a token obtained for another one cannot be injected.
      if (typeof claims.nonce !== "string" || !sameSecret(claims.nonce, pending.nonce)) {
        return yield* rejected("nonce mismatch")
      }
      // OIDC Core §3.1.3.7: with several audiences, the token must say it was issued to us.
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      if ((audiences.length > 1 || claims.azp !== undefined) && claims.azp !== clientId) {
        return yield* rejected("wrong authorized party")
      }
      return yield* identityFromClaims(config.issuer, claims, claimNames, rejected)
    })

    return { start, finish } satisfies OidcLogin
  })
