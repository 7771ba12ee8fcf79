import { Context, Effect, Option, Schema } from "effect"
import { TenantId } from "../../core/context.js"
import { type CsrfRejected, Unauthenticated } from "./identity.js"
import { PrincipalId, PrincipalKind } from "./principals/model.js"

/** Who an authenticated request acts as: the principal, its tenant and its groups. */
export class Caller extends Schema.Class<Caller>("Caller")({
  principalId: PrincipalId,
  tenantId: TenantId,
  username: Schema.String,
  kind: PrincipalKind,
  groups: Schema.Array(Schema.String),
  /** How the request proved it. */
  via: Schema.Literal("api-key", "oidc", "saml", "session")
}) {}

/**
 * The caller of the current request, set by the authentication middleware.
 * None in a program that uses the services in-process: it holds the
 * database's credentials, so there is no one to check.
 */
export class CurrentCaller extends Context.Reference<CurrentCaller>()("effect-mlops/enterprise/CurrentCaller", {
  defaultValue: (): Option.Option<Caller> => Option.none()
}) {}

/** Request headers, lower-cased as Node delivers them. */
export type RequestHeaders = Readonly<Record<string, string | undefined>>

/** The operations of {@link Authenticator}. */
export interface AuthenticatorShape {
  /**
   * The caller proven by the request's credentials. None when the request
   * carries no credential this authenticator understands (another may);
   * `Unauthenticated` when it carries one that fails; `CsrfRejected` when a
   * session's state-changing request lacks its anti-forgery token.
   */
  readonly authenticate: (
    headers: RequestHeaders
  ) => Effect.Effect<Option.Option<Caller>, Unauthenticated | CsrfRejected>
}

/**
 * Proves who a request comes from. Several methods can be active at once
 * ({@link Authenticator.firstOf}): API keys, OIDC bearer tokens, a browser
 * session after SAML or OIDC login.
 *
 * @example
 * ```ts
 * const AuthLive = Layer.effect(Authenticator, Effect.map(Effect.all([apiKeys, oidc]), Authenticator.firstOf))
 * ```
 */
export class Authenticator extends Context.Tag("effect-mlops/enterprise/Authenticator")<
  Authenticator,
  AuthenticatorShape
>() {
  /** Tries each authenticator in order; the first that recognises the credentials decides. */
  static readonly firstOf = (authenticators: ReadonlyArray<AuthenticatorShape>): AuthenticatorShape => ({
    authenticate: (headers) =>
      Effect.gen(function* () {
        for (const authenticator of authenticators) {
          const caller = yield* authenticator.authenticate(headers)
          if (Option.isSome(caller)) return caller
        }
        return Option.none()
      })
  })
}

/** The credential of an `Authorization` header, split by scheme. */
export type AuthorizationCredential =
  | { readonly scheme: "bearer"; readonly token: string }
  | { readonly scheme: "basic"; readonly username: string; readonly password: string }

/**
 * Parses `Authorization: Bearer …` and `Authorization: Basic …`; None when
 * the header is absent or uses another scheme. A malformed Basic credential
 * fails, so it is answered 401 rather than ignored.
 */
export const readAuthorization = (
  headers: RequestHeaders
): Effect.Effect<Option.Option<AuthorizationCredential>, Unauthenticated> => {
  const header = headers.authorization
  if (header === undefined) return Effect.succeed(Option.none())
  const space = header.indexOf(" ")
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
  const value = space < 0 ? "" : header.slice(space + 1).trim()
  if (scheme === "bearer") return Effect.succeed(Option.some({ scheme, token: value }))
  if (scheme !== "basic") return Effect.succeed(Option.none())
  const decoded = Buffer.from(value, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (value === "" || colon < 0) {
    return Effect.fail(new Unauthenticated({ message: "malformed Basic credentials", reason: "no colon" }))
  }
  return Effect.succeed(Option.some({ scheme, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }))
}
