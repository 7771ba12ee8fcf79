import { Config, Duration, type Option, type Redacted } from "effect"

/** How the login flow authenticates to the token endpoint when a client secret is configured. */
export type TokenEndpointAuthMethod = "client_secret_basic" | "client_secret_post"

/**
 * Settings of the OpenID Connect provider the server trusts. Bearer-token
 * verification needs `issuer` and `audience`; the browser login also needs
 * `clientId` and `redirectUri` (and `clientSecret` for a confidential client).
 */
export interface OidcConfig {
  /** The issuer identifier, exactly as the provider writes `iss` (a trailing slash matters). */
  readonly issuer: string
  /** The `aud` value access tokens must carry to be accepted by this server. */
  readonly audience: Option.Option<string>
  readonly clientId: Option.Option<string>
  /** Absent for a public client, which then relies on PKCE alone. */
  readonly clientSecret: Option.Option<Redacted.Redacted>
  readonly redirectUri: Option.Option<string>
  /** The claim holding the caller's groups (a string array, or a single string). */
  readonly groupsClaim: string
  /** The claim holding the caller's tenant, when the deployment is multi-tenant. */
  readonly tenantClaim: Option.Option<string>
  /** Allowed clock skew between this server and the provider for `exp`, `nbf` and `iat`. */
  readonly clockTolerance: Duration.Duration
  /** Scopes requested at login; always contains `openid`. */
  readonly scopes: ReadonlyArray<string>
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod
}

const isHttpUrl = (value: string): boolean => {
  try {
    const url = new URL(value)
    return url.protocol === "https:" || url.protocol === "http:"
  } catch {
    return false
  }
}

/**
 * Reads {@link OidcConfig} from `MLOPS_OIDC_*` variables: `ISSUER`
 * (required), `AUDIENCE`, `CLIENT_ID`, `CLIENT_SECRET` (secret),
 * `REDIRECT_URI`, `GROUPS_CLAIM` (default `groups`), `TENANT_CLAIM`,
 * `CLOCK_TOLERANCE` (seconds, default 30), `SCOPES` (default
 * `openid email profile`) and `TOKEN_ENDPOINT_AUTH_METHOD`
 * (`client_secret_basic`, the default, or `client_secret_post`).
 *
 * @example
 * ```ts
 * // MLOPS_OIDC_ISSUER=https://idp.example.com/realms/mlops MLOPS_OIDC_AUDIENCE=mlops-api
 * const verifier = yield* Effect.flatMap(oidcConfig, (config) => makeOidcVerifier(config))
 * // read while a layer is built: an unset or malformed variable fails startup with a ConfigError
 * ```
 */
export const oidcConfig: Config.Config<OidcConfig> = Config.all({
  // Kept as a string: URL parsing would normalise it, and `iss` is compared byte for byte.
  issuer: Config.string("MLOPS_OIDC_ISSUER").pipe(
    Config.validate({ message: "expected an http(s) URL", validation: isHttpUrl })
  ),
  audience: Config.option(Config.nonEmptyString("MLOPS_OIDC_AUDIENCE")),
  clientId: Config.option(Config.nonEmptyString("MLOPS_OIDC_CLIENT_ID")),
  clientSecret: Config.option(Config.redacted("MLOPS_OIDC_CLIENT_SECRET")),
  redirectUri: Config.option(
    Config.string("MLOPS_OIDC_REDIRECT_URI").pipe(
      Config.validate({ message: "expected an http(s) URL", validation: isHttpUrl })
    )
  ),
  groupsClaim: Config.nonEmptyString("MLOPS_OIDC_GROUPS_CLAIM").pipe(Config.withDefault("groups")),
  tenantClaim: Config.option(Config.nonEmptyString("MLOPS_OIDC_TENANT_CLAIM")),
  clockTolerance: Config.integer("MLOPS_OIDC_CLOCK_TOLERANCE").pipe(
    Config.validate({ message: "expected a number of seconds, 0 or more", validation: (seconds) => seconds >= 0 }),
    Config.withDefault(30),
    Config.map(Duration.seconds)
  ),
  scopes: Config.string("MLOPS_OIDC_SCOPES").pipe(
    Config.withDefault("openid email profile"),
    Config.map((value) => value.split(/\s+/).filter((scope) => scope !== "")),
    // Without `openid` the provider answers with plain OAuth: no ID token to sign in with.
    Config.validate({ message: "the scopes must include openid", validation: (scopes) => scopes.includes("openid") })
  ),
  tokenEndpointAuthMethod: Config.literal(
    "client_secret_basic",
    "client_secret_post"
  )("MLOPS_OIDC_TOKEN_ENDPOINT_AUTH_METHOD").pipe(Config.withDefault("client_secret_basic" as const))
})
