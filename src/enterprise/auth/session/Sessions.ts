import { randomBytes } from "node:crypto"
import { Clock, type ConfigError, Context, Duration, Effect, Layer, Option, Schema } from "effect"
import type { TenantId } from "../../../core/context.js"
import type { RequestHeaders } from "../Authenticator.js"
import { Unauthenticated } from "../identity.js"
import type { PrincipalId } from "../principals/model.js"
import { type SessionConfig, sessionConfig } from "./config.js"
import { readCookie, sessionCookie } from "./cookies.js"
import { Session, type SessionGrant } from "./model.js"
import { makeSealer } from "./seal.js"

/** The operations of {@link Sessions}. */
export interface SessionsShape {
  /** The upper bound of a session's life. */
  readonly maxAge: Duration.Duration
  /** Whether every cookie is marked `Secure` (`MLOPS_COOKIE_SECURE`). */
  readonly alwaysSecure: boolean
  /**
   * A fresh session for a sign-in, with a new anti-forgery token. It ends at
   * the identity provider's bound or after the maximum age, whichever comes
   * first; a grant without a bound of its own gets the maximum age.
   */
  readonly issue: (grant: SessionGrant) => Effect.Effect<Session>
  /**
   * The same person's session in another tenant (the tenant switcher): same
   * identity and end, a new anti-forgery token.
   */
  readonly reissue: (session: Session, tenant: TenantId, principalId: PrincipalId) => Session
  /** The sealed cookie value of `session` (encrypted and signed with the current key). */
  readonly encode: (session: Session) => string
  /**
   * The session sealed in a cookie value. Fails with `Unauthenticated`
   * ("invalid session") when it was not sealed by the current or the previous
   * key, was altered, is malformed, or has expired.
   */
  readonly decode: (value: string) => Effect.Effect<Session, Unauthenticated>
  /** The session of a request's `mlops_session` cookie; None without one, as {@link SessionsShape.decode} with one. */
  readonly fromHeaders: (headers: RequestHeaders) => Effect.Effect<Option.Option<Session>, Unauthenticated>
  /** Seals another value for a cookie (e.g. a pending OIDC login) with the session keys, bound to `purpose`. */
  readonly seal: (purpose: string, value: string) => string
  /** Opens what {@link SessionsShape.seal} sealed for the same purpose; None for anything else. */
  readonly unseal: (purpose: string, token: string) => Option.Option<string>
}

const sessionPurpose = "mlops_session"
const decodeSession = Schema.decodeUnknownOption(Schema.parseJson(Session))
const invalid = (reason: string) => new Unauthenticated({ message: "invalid session", reason })

const make = (config: SessionConfig): SessionsShape => {
  const sealer = makeSealer([config.key, ...Option.toArray(config.previousKey)])

  const newCsrfToken = () => randomBytes(32).toString("base64url")

  const issue = Effect.fn("Sessions.issue")(function* (grant: SessionGrant) {
    const now = yield* Clock.currentTimeMillis
    const cap = now + Duration.toMillis(config.maxAge)
    const bound = grant.expiresAt
    return new Session({
      provider: grant.provider,
      issuer: grant.issuer,
      subject: grant.subject,
      tenant: grant.tenant,
      principalId: grant.principalId,
      expiresAt: bound !== undefined && Number.isFinite(bound) ? Math.min(bound, cap) : cap,
      csrf: newCsrfToken()
    })
  })

  const reissue = (session: Session, tenant: TenantId, principalId: PrincipalId) =>
    new Session({ ...session, tenant, principalId, csrf: newCsrfToken() })

  const encode = (session: Session): string =>
    sealer.seal(sessionPurpose, JSON.stringify(Schema.encodeSync(Session)(session)))

  const decode = (value: string): Effect.Effect<Session, Unauthenticated> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const opened = sealer.unseal(sessionPurpose, value)
      if (Option.isNone(opened)) return Effect.fail(invalid("not sealed by a current key, or altered"))
      const session = decodeSession(opened.value)
      if (Option.isNone(session)) return Effect.fail(invalid("malformed session"))
      if (!(session.value.expiresAt > now)) return Effect.fail(invalid("session expired"))
      return Effect.succeed(session.value)
    })

  const fromHeaders = (headers: RequestHeaders) => {
    const value = readCookie(headers, sessionCookie)
    return value === undefined ? Effect.succeedNone : Effect.asSome(decode(value))
  }

  return {
    maxAge: config.maxAge,
    alwaysSecure: config.alwaysSecure,
    issue,
    reissue,
    encode,
    decode,
    fromHeaders,
    seal: sealer.seal,
    unseal: sealer.unseal
  }
}

/**
 * Browser sessions that need no server state: the session is sealed
 * (AES-256-GCM, then HMAC-SHA-256) in the `mlops_session` cookie, so any
 * replica holding the same key reads it and nothing is stored. Signing out
 * clears the cookie; a copied cookie stays valid until it expires, which
 * the maximum age bounds.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const sessions = yield* Sessions
 *   const session = yield* sessions.issue({ provider: "oidc", issuer, subject, tenant, principalId })
 *   const cookieValue = sessions.encode(session)
 * })
 * program.pipe(Effect.provide(Sessions.layerConfig))
 * ```
 */
export class Sessions extends Context.Tag("effect-mlops/enterprise/Sessions")<Sessions, SessionsShape>() {
  /** Sessions sealed with an explicit configuration. */
  static readonly layer = (config: SessionConfig): Layer.Layer<Sessions> => Layer.succeed(this, make(config))

  /** Sessions configured from `MLOPS_SESSION_KEY`, `MLOPS_SESSION_KEY_PREVIOUS`, `MLOPS_SESSION_MAX_AGE` and `MLOPS_COOKIE_SECURE`. */
  static readonly layerConfig: Layer.Layer<Sessions, ConfigError.ConfigError> = Layer.effect(
    this,
    Effect.map(sessionConfig, make)
  )
}
