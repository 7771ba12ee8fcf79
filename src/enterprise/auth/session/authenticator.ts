import { createHash, timingSafeEqual } from "node:crypto"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Option } from "effect"
import { CurrentTenant } from "../../../core/context.js"
import { type AuthenticatorShape, Caller, type RequestHeaders } from "../Authenticator.js"
import { CsrfRejected, Unauthenticated } from "../identity.js"
import type { PrincipalRecord } from "../principals/model.js"
import { Principals, type PrincipalsShape } from "../principals/Principals.js"
import { csrfHeader, isSafeMethod } from "./cookies.js"
import type { Session } from "./model.js"
import { Sessions } from "./Sessions.js"

const digest = (value: string) => createHash("sha256").update(value).digest()

/** Whether the request echoes the session's anti-forgery token; compared in constant time. */
export const csrfMatches = (session: Session, headers: RequestHeaders): boolean => {
  const sent = headers[csrfHeader]
  return typeof sent === "string" && sent !== "" && timingSafeEqual(digest(sent), digest(session.csrf))
}

/**
 * The principal a session names, provided it still exists in the session's
 * tenant, still belongs to the session's identity and is not disabled.
 */
export const principalOfSession = (
  principals: PrincipalsShape,
  session: Session
): Effect.Effect<{ readonly principal: PrincipalRecord; readonly groups: ReadonlyArray<string> }, Unauthenticated> =>
  Effect.gen(function* () {
    const refused = (reason: string) => new Unauthenticated({ message: "invalid session", reason })
    const principal = yield* principals.get(session.principalId).pipe(Effect.mapError(() => refused("principal gone")))
    if (principal.external?.issuer !== session.issuer || principal.external.subject !== session.subject) {
      return yield* refused("principal no longer belongs to the identity")
    }
    if (principal.disabled) return yield* refused("principal disabled")
    const groups = yield* principals.groupsOf(principal.principalId)
    return { principal, groups }
  }).pipe(Effect.provideService(CurrentTenant, session.tenant))

/**
 * The method of the request being authenticated. The authenticator's
 * contract passes headers only, so it is read from the request in context;
 * outside a request it counts as state-changing (the safe side).
 */
const requestMethod = Effect.map(Effect.serviceOption(HttpServerRequest.HttpServerRequest), (request) =>
  Option.match(request, { onNone: () => "POST", onSome: (r) => r.method.toUpperCase() })
)

/**
 * The browser session after an OIDC or SAML sign-in (`via: "session"`):
 * the sealed `mlops_session` cookie names the principal and tenant; groups
 * come from the store, so a change there applies at the next request. A
 * request without the cookie is left to other authenticators. A cookie that
 * is invalid or expired, or names a principal that is gone or disabled, is
 * refused. A state-changing request (not GET, HEAD or OPTIONS) must also
 * carry the session's anti-forgery token in `x-csrf-token`, which only the
 * web UI's scripts can read (from the `mlops_csrf` cookie): a form or script
 * on another site cannot, so it cannot act with the browser's cookie.
 *
 * @example
 * ```ts
 * const AuthLive = Layer.effect(
 *   Authenticator,
 *   Effect.map(Effect.all([makeApiKeyAuthenticator, makeSessionAuthenticator]), Authenticator.firstOf)
 * )
 * ```
 */
export const makeSessionAuthenticator: Effect.Effect<AuthenticatorShape, never, Sessions | Principals> = Effect.gen(
  function* () {
    const sessions = yield* Sessions
    const principals = yield* Principals

    const authenticate = Effect.fn("SessionAuthenticator.authenticate")(function* (headers: RequestHeaders) {
      const found = yield* sessions.fromHeaders(headers)
      if (Option.isNone(found)) return Option.none<Caller>()
      const session = found.value
      if (!isSafeMethod(yield* requestMethod) && !csrfMatches(session, headers)) {
        return yield* new CsrfRejected({ message: "missing or wrong x-csrf-token header" })
      }
      const { principal, groups } = yield* principalOfSession(principals, session)
      return Option.some(
        new Caller({
          principalId: principal.principalId,
          tenantId: principal.tenantId,
          username: principal.username,
          kind: principal.kind,
          groups,
          via: "session"
        })
      )
    })

    return { authenticate }
  }
)
