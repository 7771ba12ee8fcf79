import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Clock, Config, type ConfigError, Duration, Effect, Either, Layer, Option, Schema } from "effect"
import type { ExternalIdentity } from "../../auth/identity.js"
import { type OidcConfig, oidcConfig } from "../../auth/oidc/config.js"
import { makeOidcLogin, type OidcLoginOptions } from "../../auth/oidc/login.js"
import { Principals } from "../../auth/principals/Principals.js"
import { provisionIdentity } from "../../auth/provisioning.js"
import { type SamlConfig, samlConfig } from "../../auth/saml/config.js"
import { makeSamlServiceProvider, type SamlServiceProviderOptions } from "../../auth/saml/serviceProvider.js"
import { csrfMatches, principalOfSession } from "../../auth/session/authenticator.js"
import { cookieOptions, isSecureRequest, readCookie } from "../../auth/session/cookies.js"
import type { Session } from "../../auth/session/model.js"
import { SsoDirectory } from "../../auth/session/SsoDirectory.js"
import { Sessions } from "../../auth/session/Sessions.js"
import { Tenants } from "../../tenancy/Tenants.js"
import {
  CsrfTokenInvalid,
  LoginStateInvalid,
  PrincipalDisabled,
  SessionRequired,
  SignInRejected,
  type SsoError,
  SsoMethodNotConfigured,
  SsoRequestInvalid,
  TenantNotAvailable,
  TenantNotJoined
} from "./errors.js"
import { safeLocalPath } from "./redirect.js"
import { errorJson, errorPage, expire, htmlPage, withoutSessionCookies, withSessionCookies } from "./responses.js"

/** What {@link makeSsoRoutes} serves; a method is offered only when its configuration is given. */
export interface SsoOptions {
  /**
   * OIDC sign-in (authorization code with PKCE). Needs `clientId` and a
   * `redirectUri` ending in `/auth/oidc/callback` on this server.
   */
  readonly oidc?: OidcConfig | undefined
  readonly oidcLogin?: OidcLoginOptions | undefined
  /** SAML sign-in. Its `callbackUrl` is `/auth/saml/acs` on this server. */
  readonly saml?: SamlConfig | undefined
  /**
   * Shared replay and request caches for the SAML service provider. The
   * defaults live in this process: with several replicas, a login must come
   * back to the replica that started it unless shared caches are given.
   */
  readonly samlOptions?: SamlServiceProviderOptions | undefined
  /** The tenant of identities whose provider names none (default `default`). */
  readonly defaultTenant?: string | undefined
}

/** The methods `/auth/providers` lists, for the web UI's sign-in page. */
export type SsoMethod = "oidc" | "saml"

const pendingCookie = "mlops_oidc"
const pendingPath = "/auth/oidc"
const pendingPurpose = "mlops_oidc"
const pendingLifetime = Duration.minutes(10)

/** What the OIDC login keeps in the browser between the redirect and the callback. */
const PendingOidcLogin = Schema.parseJson(
  Schema.Struct({
    state: Schema.String,
    codeVerifier: Schema.String,
    nonce: Schema.String,
    next: Schema.String,
    expiresAt: Schema.Number
  })
)
const encodePending = Schema.encodeSync(PendingOidcLogin)
const decodePending = Schema.decodeUnknownOption(PendingOidcLogin)

const SwitchTenantBody = Schema.Struct({ tenant: Schema.String })

const base = "http://local.invalid"
const queryOf = (request: HttpServerRequest.HttpServerRequest) => new URL(request.url, base).searchParams

/** An OAuth error code worth showing: short printable ASCII. */
const providerErrorCode = (code: string) => (/^[\x20-\x7e]{1,64}$/.test(code) ? code : "unknown error")

const logRefusal = (error: SsoError) =>
  Effect.logInfo("sign-in refused").pipe(
    Effect.annotateLogs({
      error: error._tag,
      ...("reason" in error && typeof error.reason === "string" ? { reason: error.reason } : {})
    })
  )

/**
 * Answers a browser route's typed errors with a page. An identity provider
 * that cannot be reached (a defect of the OIDC module) is a 502 page; other
 * defects stay server errors.
 */
const asPage = <R>(
  effect: Effect.Effect<HttpServerResponse.HttpServerResponse, SsoError, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  effect.pipe(
    Effect.catchAll((error) => Effect.as(logRefusal(error), errorPage(error))),
    Effect.catchAllDefect((defect) =>
      typeof defect === "object" && defect !== null && "_tag" in defect && defect._tag === "IdentityProviderUnavailable"
        ? Effect.as(
            Effect.logWarning("identity provider unavailable", Cause.die(defect)),
            htmlPage(502, "Sign-in unavailable", "The identity provider could not be reached. Please try again later.")
          )
        : Effect.die(defect)
    )
  )

const asJson = <R>(
  effect: Effect.Effect<HttpServerResponse.HttpServerResponse, SsoError, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  Effect.catchAll(effect, (error) => Effect.as(logRefusal(error), errorJson(error)))

/**
 * The sign-in routes of the web UI, public (the authentication middleware
 * lets `/auth/*` through):
 *
 * - `GET /auth/providers` → `{ methods: ["oidc", "saml"] }`, the configured methods;
 * - `GET /auth/oidc/login?next=/path` → 302 to the OpenID Provider, the
 *   login's state, PKCE verifier, nonce and `next` sealed in a 10-minute
 *   HttpOnly cookie; `GET /auth/oidc/callback` → signs in, 302 to `next`;
 * - `GET /auth/saml/metadata` (our SP metadata), `GET /auth/saml/login?next=`
 *   → 302 to the IdP with `next` as RelayState; `POST /auth/saml/acs` → signs
 *   in, 302 to the RelayState when it is a local path, else `/`;
 * - `GET /auth/me` → the signed-in person (`username`, `displayName`,
 *   `email`, `tenant`, `tenants`, `groups`, `via`, `expiresAt`) or 401;
 * - `POST /auth/switch-tenant` `{ tenant }` → the session moved to another
 *   tenant the person belongs to, else 403;
 * - `POST /auth/logout` → 204, session cookies cleared.
 *
 * Signing in provisions the identity (`Principals.provision`) in the tenant
 * its provider names (which must exist, else a 403 page) or in
 * `defaultTenant`, and sets the session cookies (see `Sessions`). The two
 * POSTs that act on a session need its `x-csrf-token`. `next` and
 * RelayState must be local paths: no open redirect. Client mistakes are
 * answered 4xx with a message, as a page on the routes a browser navigates
 * to, as JSON on the others; other `/auth/` paths are JSON 404s.
 *
 * @example
 * ```ts
 * const Routes = Layer.merge(makeRoutesWith({}, authentication), makeSsoRoutes({ oidc, saml }))
 * ```
 */
export const makeSsoRoutes = (
  options: SsoOptions
): Layer.Layer<
  never,
  ConfigError.ConfigError,
  HttpLayerRouter.HttpRouter | Sessions | Principals | Tenants | SsoDirectory
> =>
  HttpLayerRouter.use((router) =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const principals = yield* Principals
      const tenants = yield* Tenants
      const directory = yield* SsoDirectory
      const defaultTenant = options.defaultTenant ?? "default"
      const oidc = options.oidc === undefined ? undefined : yield* makeOidcLogin(options.oidc, options.oidcLogin ?? {})
      const saml =
        options.saml === undefined ? undefined : yield* makeSamlServiceProvider(options.saml, options.samlOptions)
      const methods: ReadonlyArray<SsoMethod> = [
        ...(oidc === undefined ? [] : ["oidc" as const]),
        ...(saml === undefined ? [] : ["saml" as const])
      ]

      const secureFor = (request: HttpServerRequest.HttpServerRequest) =>
        isSecureRequest(request, sessions.alwaysSecure)

      /** The identity's principal in its tenant, created or updated, and a session for it. */
      const establish = Effect.fn("Sso.establish")(function* (identity: ExternalIdentity) {
        const { principal, tenant } = yield* provisionIdentity(identity, defaultTenant).pipe(
          Effect.catchTag("TenantNotFound", (missing) => new TenantNotAvailable({ tenant: missing.tenantId })),
          Effect.provideService(Principals, principals),
          Effect.provideService(Tenants, tenants)
        )
        if (principal.disabled) return yield* new PrincipalDisabled({ tenant: tenant.tenantId })
        yield* Effect.logInfo("signed in").pipe(
          Effect.annotateLogs({ principal: principal.username, tenant: tenant.tenantId, via: identity.provider })
        )
        return yield* sessions.issue({
          provider: identity.provider,
          issuer: identity.issuer,
          subject: identity.subject,
          tenant: tenant.tenantId,
          principalId: principal.principalId,
          expiresAt: identity.expiresAt
        })
      })

      /** Sets the session and sends the browser on; 303 after a POST, so the browser follows with a GET. */
      const signedIn = (
        request: HttpServerRequest.HttpServerRequest,
        session: Session,
        location: string,
        status: 302 | 303
      ) =>
        Effect.map(Clock.currentTimeMillis, (now) =>
          withSessionCookies(HttpServerResponse.redirect(location, { status }), session, sessions.encode(session), {
            secure: secureFor(request),
            now
          })
        )

      /** The request's valid session, or why there is none. */
      const currentSession = (request: HttpServerRequest.HttpServerRequest) =>
        sessions.fromHeaders(request.headers).pipe(
          Effect.mapError((error) => new SessionRequired({ reason: error.reason ?? error.message })),
          Effect.flatMap(
            Option.match({
              onNone: () => Effect.fail(new SessionRequired({ reason: "no session cookie" })),
              onSome: Effect.succeed
            })
          )
        )

      const requireCsrf = (request: HttpServerRequest.HttpServerRequest, session: Session) =>
        csrfMatches(session, request.headers) ? Effect.void : Effect.fail(new CsrfTokenInvalid())

      const me = (session: Session) =>
        Effect.gen(function* () {
          const { principal, groups } = yield* principalOfSession(principals, session).pipe(
            Effect.mapError((error) => new SessionRequired({ reason: error.reason ?? error.message }))
          )
          const memberships = yield* directory.memberships(session.issuer, session.subject)
          return {
            username: principal.username,
            displayName: principal.displayName ?? null,
            email: principal.email ?? null,
            tenant: session.tenant,
            tenants: memberships.filter((m) => !m.disabled).map((m) => m.tenantId),
            groups,
            via: session.provider,
            expiresAt: session.expiresAt
          }
        })

      /** A 401 that also drops cookies that cannot be used any more. */
      const signedOutJson = (request: HttpServerRequest.HttpServerRequest) => (error: SsoError) =>
        error._tag === "SessionRequired"
          ? Effect.as(logRefusal(error), withoutSessionCookies(errorJson(error), secureFor(request)))
          : Effect.fail(error)

      yield* router.add(
        "GET",
        "/auth/providers",
        HttpServerResponse.unsafeJson({ methods }, { headers: { "cache-control": "no-store" } })
      )

      yield* router.add("GET", "/auth/me", (request) =>
        currentSession(request).pipe(
          Effect.flatMap(me),
          Effect.map((body) => HttpServerResponse.unsafeJson(body, { headers: { "cache-control": "no-store" } })),
          Effect.catchAll(signedOutJson(request)),
          asJson
        )
      )

      yield* router.add("POST", "/auth/switch-tenant", (request) =>
        Effect.gen(function* () {
          const session = yield* currentSession(request)
          yield* requireCsrf(request, session)
          const body = yield* request.json.pipe(
            Effect.flatMap(Schema.decodeUnknown(SwitchTenantBody)),
            Effect.mapError(() => new SsoRequestInvalid({ detail: 'expected a JSON body { "tenant": "<tenant id>" }' }))
          )
          const memberships = yield* directory.memberships(session.issuer, session.subject)
          const membership = memberships.find((m) => m.tenantId === body.tenant && !m.disabled)
          if (membership === undefined) return yield* new TenantNotJoined({ tenant: body.tenant.slice(0, 100) })
          const moved = sessions.reissue(session, membership.tenantId, membership.principalId)
          const now = yield* Clock.currentTimeMillis
          return withSessionCookies(HttpServerResponse.unsafeJson(yield* me(moved)), moved, sessions.encode(moved), {
            secure: secureFor(request),
            now
          })
        }).pipe(Effect.catchAll(signedOutJson(request)), asJson)
      )

      yield* router.add("POST", "/auth/logout", (request) =>
        Effect.gen(function* () {
          // A valid session must prove the request is the UI's; cookies that are no good anyway are just cleared.
          const session = yield* Effect.option(currentSession(request))
          if (Option.isSome(session)) yield* requireCsrf(request, session.value)
          return withoutSessionCookies(HttpServerResponse.empty({ status: 204 }), secureFor(request))
        }).pipe(asJson)
      )

      if (oidc !== undefined) {
        yield* router.add("GET", "/auth/oidc/login", (request) =>
          Effect.gen(function* () {
            const next = yield* safeLocalPath(queryOf(request).get("next"))
            const { url, ...pending } = yield* oidc.start()
            const now = yield* Clock.currentTimeMillis
            const sealed = sessions.seal(
              pendingPurpose,
              encodePending({ ...pending, next, expiresAt: now + Duration.toMillis(pendingLifetime) })
            )
            return HttpServerResponse.redirect(url).pipe(
              HttpServerResponse.unsafeSetCookie(
                pendingCookie,
                sealed,
                cookieOptions({
                  secure: secureFor(request),
                  httpOnly: true,
                  maxAge: pendingLifetime,
                  path: pendingPath
                })
              )
            )
          }).pipe(asPage)
        )

        yield* router.add("GET", "/auth/oidc/callback", (request) =>
          Effect.gen(function* () {
            const query = queryOf(request)
            const error = query.get("error")
            if (error !== null) {
              return yield* new SignInRejected({
                reason: `provider answered ${providerErrorCode(error)}`,
                providerError: providerErrorCode(error)
              })
            }
            const cookie = readCookie(request.headers, pendingCookie)
            if (cookie === undefined) return yield* new LoginStateInvalid({ reason: "no login cookie" })
            const pending = Option.flatMap(sessions.unseal(pendingPurpose, cookie), decodePending)
            if (Option.isNone(pending)) return yield* new LoginStateInvalid({ reason: "login cookie not ours" })
            if (pending.value.expiresAt <= (yield* Clock.currentTimeMillis)) {
              return yield* new LoginStateInvalid({ reason: "login cookie expired" })
            }
            const iss = query.get("iss")
            const identity = yield* oidc
              .finish(
                { code: query.get("code") ?? "", state: query.get("state") ?? "", ...(iss === null ? {} : { iss }) },
                pending.value
              )
              .pipe(Effect.mapError((e) => new SignInRejected({ reason: e.reason ?? e.message })))
            const session = yield* establish(identity)
            // `next` was checked when the login started; checked again, as it costs nothing.
            const next = Either.getOrElse(safeLocalPath(pending.value.next), () => "/")
            return yield* signedIn(request, session, next, 302)
          }).pipe(
            asPage,
            // The state is single-use whatever happened.
            Effect.map(expire(pendingCookie, { secure: secureFor(request), httpOnly: true, path: pendingPath }))
          )
        )
      }

      if (saml !== undefined) {
        yield* router.add(
          "GET",
          "/auth/saml/metadata",
          HttpServerResponse.text(saml.metadata(), { contentType: "application/samlmetadata+xml; charset=utf-8" })
        )

        yield* router.add("GET", "/auth/saml/login", (request) =>
          Effect.gen(function* () {
            const next = yield* safeLocalPath(queryOf(request).get("next"))
            return HttpServerResponse.redirect(yield* saml.loginUrl(next))
          }).pipe(asPage)
        )

        yield* router.add("POST", "/auth/saml/acs", (request) =>
          Effect.gen(function* () {
            const contentType = request.headers["content-type"] ?? ""
            if (!contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
              return yield* new SsoRequestInvalid({ detail: "expected an HTML form post (HTTP-POST binding)" })
            }
            const form = yield* request.urlParamsBody.pipe(
              Effect.mapError(() => new SsoRequestInvalid({ detail: "the form could not be read" }))
            )
            const field = (name: string) => form.find(([key]) => key === name)?.[1]
            const samlResponse = field("SAMLResponse")
            const relayState = field("RelayState")
            const identity = yield* saml
              .acs({
                SAMLResponse: samlResponse ?? "",
                ...(relayState === undefined ? {} : { RelayState: relayState })
              })
              .pipe(Effect.mapError((e) => new SignInRejected({ reason: e.reason ?? e.message })))
            const session = yield* establish(identity)
            // RelayState is not signed: anything but a local path goes home.
            return yield* signedIn(
              request,
              session,
              Either.getOrElse(safeLocalPath(relayState), () => "/"),
              303
            )
          }).pipe(asPage)
        )
      }

      // Below the routes above (find-my-way prefers static paths) and above the web UI's `/*`.
      yield* router.add("*", "/auth/*", (request) => {
        const path = new URL(request.url, base).pathname
        const method = path.startsWith("/auth/oidc/") ? "OIDC" : path.startsWith("/auth/saml/") ? "SAML" : undefined
        return Effect.succeed(
          method === undefined
            ? HttpServerResponse.unsafeJson({ _tag: "NotFound", message: `no sign-in route ${path}` }, { status: 404 })
            : errorJson(new SsoMethodNotConfigured({ method }))
        )
      })
    })
  )

/**
 * {@link SsoOptions} from the environment: OIDC sign-in when
 * `MLOPS_OIDC_CLIENT_ID` is set (then `oidcConfig`, with
 * `MLOPS_OIDC_REDIRECT_URI` required), SAML when `MLOPS_SAML_ENTRY_POINT` is
 * set (then `samlConfig`), and `MLOPS_SSO_DEFAULT_TENANT` (default `default`).
 * A method that is half configured fails at startup.
 */
export const ssoOptionsConfig: Effect.Effect<SsoOptions, ConfigError.ConfigError> = Effect.gen(function* () {
  const oidcClient = yield* Config.option(Config.nonEmptyString("MLOPS_OIDC_CLIENT_ID"))
  const samlEntryPoint = yield* Config.option(Config.nonEmptyString("MLOPS_SAML_ENTRY_POINT"))
  return {
    oidc: Option.isSome(oidcClient) ? yield* oidcConfig : undefined,
    saml: Option.isSome(samlEntryPoint) ? yield* samlConfig : undefined,
    defaultTenant: yield* Config.nonEmptyString("MLOPS_SSO_DEFAULT_TENANT").pipe(Config.withDefault("default"))
  }
})

/**
 * {@link makeSsoRoutes} configured from the environment ({@link ssoOptionsConfig}),
 * with the SAML caches in memory.
 */
export const SsoRoutes: Layer.Layer<
  never,
  ConfigError.ConfigError,
  HttpLayerRouter.HttpRouter | Sessions | Principals | Tenants | SsoDirectory
> = Layer.unwrapEffect(Effect.map(ssoOptionsConfig, makeSsoRoutes))
