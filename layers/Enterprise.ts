import { randomBytes } from "node:crypto"
import * as path from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import type { ServeError } from "@effect/platform/HttpServerError"
import { Config, ConfigError, Context, Duration, Effect, Layer, Logger, Option, Redacted } from "effect"
import { ArtifactStore } from "../src/core/artifacts/ArtifactStore.js"
import type { ArtifactStorageError } from "../src/core/artifacts/errors.js"
import { Datasets } from "../src/core/data/Datasets.js"
import { LoggedModels } from "../src/core/models/LoggedModels.js"
import { ModelRegistry } from "../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../src/core/tracking/ExperimentTracker.js"
import { ApiKeys, apiKeyPepperConfig } from "../src/enterprise/auth/apiKeys/ApiKeys.js"
import { makeApiKeyAuthenticator } from "../src/enterprise/auth/apiKeys/authenticator.js"
import { layerCallerAttribution } from "../src/enterprise/auth/attribution.js"
import { Authenticator } from "../src/enterprise/auth/Authenticator.js"
import { makeOidcBearerAuthenticator } from "../src/enterprise/auth/oidc/authenticator.js"
import { type OidcConfig, oidcConfig } from "../src/enterprise/auth/oidc/config.js"
import { makeOidcVerifier } from "../src/enterprise/auth/oidc/verifier.js"
import { Principals } from "../src/enterprise/auth/principals/Principals.js"
import { Authorizer, defaultRoleConfig } from "../src/enterprise/auth/rbac/Authorizer.js"
import { Grants } from "../src/enterprise/auth/rbac/Grants.js"
import { layerRbac } from "../src/enterprise/auth/rbac/layerRbac.js"
import { layerGuardDatasetFiles } from "../src/core/data/datasetFiles.js"
import { makeSqlSamlCaches } from "../src/enterprise/auth/saml/sqlCaches.js"
import { RbacMlflowRoutes } from "../src/enterprise/auth/rbac/mlflowRoutes.js"
import type { Role } from "../src/enterprise/auth/rbac/model.js"
import { makeSessionAuthenticator } from "../src/enterprise/auth/session/authenticator.js"
import { type SessionConfig, sessionConfig } from "../src/enterprise/auth/session/config.js"
import { Sessions } from "../src/enterprise/auth/session/Sessions.js"
import { SsoDirectory } from "../src/enterprise/auth/session/SsoDirectory.js"
import { authenticateCallers, checkWorkspace } from "../src/enterprise/http/authentication.js"
import { makeSsoRoutes, type SsoOptions, ssoOptionsConfig } from "../src/enterprise/http/sso/SsoRoutes.js"
import {
  defaultRateLimitConfig,
  type RateLimitConfig,
  rateLimitConfig
} from "../src/enterprise/security/rateLimit/config.js"
import { rateLimitingWith } from "../src/enterprise/security/rateLimit/middleware.js"
import { RateLimiter } from "../src/enterprise/security/rateLimit/RateLimiter.js"
import { AuditCheckpoints } from "../src/enterprise/security/audit/AuditCheckpoints.js"
import { AuditTrail, auditKeyConfig } from "../src/enterprise/security/audit/AuditTrail.js"
import { makeAdminRoutes, operatorTenantConfig } from "../src/enterprise/http/admin/AdminRoutes.js"
import { auditingAfter } from "../src/enterprise/security/audit/http.js"
import { AuditRoutes } from "../src/enterprise/security/audit/routes.js"
import { layerAuditedGrants } from "../src/enterprise/security/audit/grants.js"
import { layerTenantArtifacts } from "../src/enterprise/tenancy/artifacts.js"
import { layerMlflowDefaultExperiment } from "../src/enterprise/tenancy/defaultExperiment.js"
import { Tenants } from "../src/enterprise/tenancy/Tenants.js"
import type { MlflowDefaultExperiment } from "../src/http/mlflow/defaultExperiment.js"
import { makeServerLayerWith, type ServerOptions } from "../src/http/server/Server.js"
import { TenantId } from "../src/core/context.js"
import { AlertStore } from "../src/operations/alerts/AlertStore.js"
import { DriftMonitor } from "../src/operations/drift/DriftMonitor.js"
import { layerStoreChecks } from "../src/operations/health/checks.js"
import { HealthCheck } from "../src/operations/health/HealthCheck.js"
import { layerWebhookEvents } from "../src/operations/webhooks/events.js"
import { WebhookRoutes } from "../src/operations/webhooks/routes.js"
import { Webhooks, type WebhooksOptions, webhooksOptionsConfig } from "../src/operations/webhooks/Webhooks.js"
import { layerWebhookWorker } from "../src/operations/webhooks/worker.js"
import type { CoreServices, LogFormat } from "./Basic.js"
import { TelemetryRoutes, telemetryPresetConfig, telemetryPresets, withTelemetry } from "./Telemetry.js"
import { makePostgresLayer, type PostgresOptions } from "./Postgres.js"
import type { SqlStoreError } from "./Sql.js"

/** What the enterprise server needs beyond the services: sign-in methods, rate limits and the operator tenant. */
export interface EnterpriseHttpSettings {
  readonly sso: SsoOptions
  readonly rateLimits: RateLimitConfig
  readonly operatorTenant: TenantId
}

/** The {@link EnterpriseHttpSettings} of a configuration, for {@link makeEnterpriseServerLayer}. */
export class EnterpriseHttp extends Context.Tag("effect-mlops/layers/EnterpriseHttp")<
  EnterpriseHttp,
  EnterpriseHttpSettings
>() {}

/** The services of {@link EnterpriseLayer}: the core ones plus tenants, principals, API keys and authentication. */
export type EnterpriseServices =
  | CoreServices
  | Tenants
  | Principals
  | ApiKeys
  | Authenticator
  | Sessions
  | SsoDirectory
  | RateLimiter
  | AuditTrail
  | Grants
  | Authorizer
  | EnterpriseHttp
  | MlflowDefaultExperiment
  | Webhooks

/** Options of {@link makeEnterpriseLayer}. */
export interface EnterpriseOptions {
  /** The PostgreSQL store (see `makePostgresLayer`). */
  readonly database: PostgresOptions
  /** Directory of the artifact files; each tenant's live under `artifacts/files/tenants/<tenant>/`. */
  readonly dataPath: string
  /** Server-side secret that keys the stored digests of API keys (at least 32 characters). */
  readonly apiKeyPepper: Redacted.Redacted<string>
  /** Secret that keys the audit trail's hash chain and head checkpoints (at least 32 characters). */
  readonly auditKey: Redacted.Redacted<string>
  /**
   * Browser sessions after single sign-on. Required when `sso` configures a
   * method; without one, sessions use a key that lives only in this process.
   */
  readonly session?: SessionConfig
  /** Single sign-on for the web UI (OIDC, SAML) and the tenant of identities that name none. */
  readonly sso?: SsoOptions
  /** OIDC access tokens accepted as bearer tokens (issuer and audience required), e.g. for pipelines. */
  readonly oidcBearer?: OidcConfig
  /** Requests per second per principal and per tenant (defaults: 50/200 burst and 500/2000). */
  readonly rateLimits?: RateLimitConfig
  /** The tenant whose admins create and list tenants over HTTP (default `default`). */
  readonly operatorTenant?: TenantId
  /** The role of a tenant's members where no grant says otherwise (default `viewer`, MLflow's READ). */
  readonly defaultRole?: Exclude<Role, "admin">
  /** Registry webhooks: private network targets, attempts, timeouts (see `WebhooksOptions`). */
  readonly webhooks?: WebhooksOptions
  /**
   * Where traces, metrics and logs go (`TelemetryLive`, `DatadogTelemetry`,
   * `NewRelicTelemetry` from `effect-mlops/telemetry`, or a layer of your own).
   * Default: the standard `OTEL_*` environment, which exports nothing
   * without an endpoint. Ingest and search metrics are recorded either way
   * for `/metrics`.
   */
  readonly telemetry?: Layer.Layer<never, ConfigError.ConfigError>
  /** One line per record: `logfmt` (default) or `json`. */
  readonly logFormat?: Exclude<LogFormat, "pretty">
}

const ephemeralSession = (): SessionConfig => ({
  key: Redacted.make(randomBytes(32).toString("base64url")),
  previousKey: Option.none(),
  maxAge: Duration.hours(12),
  alwaysSecure: false
})

/**
 * The enterprise configuration: the core services on PostgreSQL with every
 * tenant isolated by row-level security and artifacts under per-tenant
 * prefixes, plus tenants, users, service accounts, groups, API keys, single
 * sign-on sessions and rate limits, and an `Authenticator` for the server
 * that accepts API keys, OIDC bearer tokens (when configured) and sessions.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { makeEnterpriseLayer } from "effect-mlops/enterprise"
 *
 * const Live = makeEnterpriseLayer({
 *   database: { url: Redacted.make("postgres://mlops_app:secret@db/mlops") },
 *   dataPath: "/var/lib/mlops",
 *   apiKeyPepper: Redacted.make(process.env.PEPPER ?? "")
 * })
 * ```
 */
export const makeEnterpriseLayer = (
  options: EnterpriseOptions
): Layer.Layer<EnterpriseServices, SqlStoreError | ArtifactStorageError | ConfigError.ConfigError> => {
  const sso = options.sso ?? {}
  const ssoEnabled = sso.oidc !== undefined || sso.saml !== undefined
  const Sql = makePostgresLayer(options.database)
  const Tracker = layerCallerAttribution.pipe(Layer.provide(ExperimentTracker.layer), Layer.provide(Sql))
  const Registry = ModelRegistry.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
  const Models = LoggedModels.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
  const RawArtifacts = ArtifactStore.layer(path.join(path.resolve(options.dataPath), "artifacts")).pipe(
    Layer.provide(NodeContext.layer)
  )
  const Artifacts = layerTenantArtifacts.pipe(Layer.provide(RawArtifacts))
  // Audit checkpoints live outside the database, in the un-prefixed store.
  const Audit = AuditTrail.layer(options.auditKey).pipe(
    Layer.provide(AuditCheckpoints.layerArtifacts),
    Layer.provide(RawArtifacts),
    Layer.provide(Sql)
  )
  const Data = Datasets.layer.pipe(Layer.provide(Artifacts), Layer.provide(Sql))
  const WebhooksLive = Webhooks.layer(options.webhooks).pipe(Layer.provide(Sql))
  // Registry and run events are recorded in the change's transaction, below the role checks, so a refused
  // call publishes nothing. The server delivers them (makeEnterpriseServerLayer).
  const Evented = layerWebhookEvents.pipe(Layer.provide(Layer.mergeAll(Tracker, Registry, WebhooksLive)))
  // Role checks wrap the core services; tenants and the registry below them use the tracker undecorated.
  const Core = Layer.mergeAll(Evented, Models, layerGuardDatasetFiles.pipe(Layer.provide(Artifacts)), Data)
  const AuthorizerLive = Authorizer.layer({ defaultRole: options.defaultRole ?? "viewer" }).pipe(Layer.provide(Sql))
  const AuditedGrants = layerAuditedGrants.pipe(Layer.provide(Audit))
  const Guarded = layerRbac.pipe(
    Layer.provide(Core),
    Layer.provide(AuthorizerLive),
    Layer.provide(AuditedGrants),
    Layer.provide(Sql)
  )
  const TenantsLive = Tenants.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
  const PrincipalsLive = Principals.layer.pipe(Layer.provide(Sql))
  const GrantsLive = Grants.layer.pipe(Layer.provide([AuthorizerLive, PrincipalsLive, Core, AuditedGrants, Sql]))
  const Keys = ApiKeys.layer(options.apiKeyPepper).pipe(Layer.provide(PrincipalsLive), Layer.provide(Sql))
  const SessionsLive =
    options.session === undefined && ssoEnabled
      ? Layer.fail(ConfigError.MissingData(["MLOPS_SESSION_KEY"], "single sign-on needs a session key"))
      : Sessions.layer(options.session ?? ephemeralSession())
  const Directory = SsoDirectory.layer.pipe(Layer.provide(Sql))
  const Auth = Layer.effect(
    Authenticator,
    Effect.gen(function* () {
      const bearer =
        options.oidcBearer === undefined
          ? []
          : [
              yield* makeOidcBearerAuthenticator(
                yield* makeOidcVerifier(options.oidcBearer),
                sso.defaultTenant ?? "default"
              )
            ]
      return Authenticator.firstOf([yield* makeApiKeyAuthenticator, ...bearer, yield* makeSessionAuthenticator])
    })
  ).pipe(Layer.provide(Keys), Layer.provide(PrincipalsLive), Layer.provide(TenantsLive), Layer.provide(SessionsLive))
  const Http = Layer.effect(
    EnterpriseHttp,
    Effect.gen(function* () {
      // SAML's single-use ids live in the database: any replica can finish a login another began, and none
      // accepts a response another already has.
      const samlCaches =
        sso.saml === undefined
          ? {}
          : yield* makeSqlSamlCaches({
              requestTtlMs: Duration.toMillis(sso.samlOptions?.requestTtl ?? Duration.minutes(30))
            })
      return {
        sso: { ...sso, samlOptions: { ...samlCaches, ...sso.samlOptions } },
        rateLimits: options.rateLimits ?? defaultRateLimitConfig,
        operatorTenant: options.operatorTenant ?? TenantId.make("default")
      }
    })
  ).pipe(Layer.provide(Sql))
  // The artifact probe writes through the store below tenant prefixes and role checks.
  const Health = layerStoreChecks.pipe(Layer.provideMerge(HealthCheck.layer), Layer.provide([Sql, RawArtifacts]))
  const Services = Layer.mergeAll(
    layerMlflowDefaultExperiment.pipe(Layer.provide(Sql)),
    Health,
    Guarded,
    // Drift reports log through the role checks, like any caller's writes.
    DriftMonitor.layer.pipe(Layer.provide(Guarded)),
    WebhooksLive,
    // Alert states, leases and samples are global tables, outside any tenant.
    AlertStore.layer.pipe(Layer.provide(Sql)),
    GrantsLive,
    AuthorizerLive,
    TenantsLive,
    PrincipalsLive,
    Keys,
    SessionsLive,
    Directory,
    Auth,
    RateLimiter.layerMemory,
    Audit,
    Http,
    options.logFormat === "json" ? Logger.json : Logger.logFmt
  )
  return withTelemetry(Services, options.telemetry ?? telemetryPresets.otel)
}

/**
 * {@link makeEnterpriseLayer} from the environment (every variable is listed
 * in the README): the database (`MLOPS_DATABASE_URL`,
 * `MLOPS_DATABASE_ADMIN_URL`, `MLOPS_DATABASE_POOL_SIZE`), `MLOPS_DATA_DIR`,
 * `MLOPS_API_KEY_PEPPER`, `MLOPS_AUDIT_KEY`, sessions (`MLOPS_SESSION_KEY`, …), single sign-on
 * (`MLOPS_OIDC_*`, `MLOPS_SAML_*`, `MLOPS_SSO_DEFAULT_TENANT`), OIDC bearer
 * tokens when `MLOPS_OIDC_AUDIENCE` is set, rate limits
 * (`MLOPS_RATE_LIMIT_*`), `MLOPS_RBAC_DEFAULT_ROLE`, `MLOPS_OPERATOR_TENANT`, webhooks
 * (`MLOPS_WEBHOOKS_*`), telemetry (`MLOPS_TELEMETRY` with `OTEL_*`, `DD_*` or `NEW_RELIC_*`) and `MLOPS_LOG_FORMAT`. Secrets are read with
 * `Config.redacted` and never logged.
 */
export const EnterpriseLayer: Layer.Layer<
  EnterpriseServices,
  SqlStoreError | ArtifactStorageError | ConfigError.ConfigError
> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const adminUrl = yield* Config.option(Config.redacted("MLOPS_DATABASE_ADMIN_URL"))
    const session = yield* Config.option(sessionConfig)
    const audience = yield* Config.option(Config.nonEmptyString("MLOPS_OIDC_AUDIENCE"))
    return makeEnterpriseLayer({
      database: {
        url: yield* Config.redacted("MLOPS_DATABASE_URL"),
        ...(Option.isSome(adminUrl) ? { adminUrl: adminUrl.value } : {}),
        maxConnections: yield* Config.integer("MLOPS_DATABASE_POOL_SIZE").pipe(Config.withDefault(10))
      },
      dataPath: yield* Config.string("MLOPS_DATA_DIR").pipe(Config.withDefault("./mlops-data")),
      apiKeyPepper: yield* apiKeyPepperConfig,
      auditKey: yield* auditKeyConfig,
      ...(Option.isSome(session) ? { session: session.value } : {}),
      sso: yield* ssoOptionsConfig,
      ...(Option.isSome(audience) ? { oidcBearer: yield* oidcConfig } : {}),
      rateLimits: yield* rateLimitConfig,
      defaultRole: yield* defaultRoleConfig,
      operatorTenant: yield* operatorTenantConfig,
      webhooks: yield* webhooksOptionsConfig,
      telemetry: telemetryPresets[yield* telemetryPresetConfig],
      logFormat: yield* Config.literal("logfmt", "json")("MLOPS_LOG_FORMAT").pipe(Config.withDefault("logfmt"))
    })
  })
)

/**
 * Authentication, then rate limits, then the audit trail, then the
 * workspace check, for every API request: the limiter needs the caller,
 * auditing after it records refused writes without letting a flood of 429s
 * write to the trail, and a write refused for naming another workspace is
 * recorded like any other refusal.
 */
const enterpriseMiddleware = Layer.unwrapEffect(
  Effect.map(EnterpriseHttp, (settings) =>
    Layer.provideMerge(
      checkWorkspace,
      auditingAfter(Layer.provideMerge(rateLimitingWith(settings.rateLimits), authenticateCallers))
    )
  )
)

/**
 * The sign-in routes (`/auth/*`), the admin API, the audit trail's, MLflow's permission and the webhook routes,
 * and Prometheus `/metrics` with the request metrics.
 */
const enterpriseRoutes = Layer.mergeAll(
  Layer.unwrapEffect(
    Effect.map(EnterpriseHttp, (settings) =>
      Layer.merge(makeSsoRoutes(settings.sso), makeAdminRoutes({ operatorTenant: settings.operatorTenant }))
    )
  ),
  AuditRoutes,
  RbacMlflowRoutes,
  WebhookRoutes,
  TelemetryRoutes
)

/**
 * The tracking server with authentication: every API request must carry an
 * API key (Bearer or Basic), an OIDC access token or a signed-in browser
 * session, runs in its caller's tenant, and is rate-limited per principal
 * and tenant; `/auth/*` serves single sign-on for the web UI. Each server
 * process also delivers webhooks (a delivery is claimed by one replica) —
 * the worker belongs to the server, so a CLI command or batch job on
 * `EnterpriseLayer` never sends any.
 *
 * @example
 * ```ts
 * makeEnterpriseServerLayer({ port: 5000 }).pipe(Layer.provide(EnterpriseLayer), Layer.launch, NodeRuntime.runMain)
 * ```
 */
export const makeEnterpriseServerLayer = (
  options: Omit<ServerOptions, "trustIdentityHeaders">
): Layer.Layer<never, ServeError | ConfigError.ConfigError, EnterpriseServices> =>
  Layer.merge(makeServerLayerWith(options, enterpriseMiddleware, enterpriseRoutes), layerWebhookWorker())

// Each piece on its own, for compositions of your own (e.g. BasicLayer plus OIDC bearer tokens).
export { makePostgresLayer, type PostgresOptions } from "./Postgres.js"
export { ApiKeys, apiKeyPepperConfig } from "../src/enterprise/auth/apiKeys/ApiKeys.js"
export { makeApiKeyAuthenticator } from "../src/enterprise/auth/apiKeys/authenticator.js"
export { ApiKey, ApiKeyNotFound } from "../src/enterprise/auth/apiKeys/model.js"
export { Authenticator, Caller, CurrentCaller } from "../src/enterprise/auth/Authenticator.js"
export { ExternalIdentity, Unauthenticated } from "../src/enterprise/auth/identity.js"
export { makeOidcBearerAuthenticator } from "../src/enterprise/auth/oidc/authenticator.js"
export { type OidcConfig, oidcConfig } from "../src/enterprise/auth/oidc/config.js"
export { makeOidcLogin } from "../src/enterprise/auth/oidc/login.js"
export { makeOidcVerifier } from "../src/enterprise/auth/oidc/verifier.js"
export { Group, PrincipalId, PrincipalRecord } from "../src/enterprise/auth/principals/model.js"
export { Principals } from "../src/enterprise/auth/principals/Principals.js"
export { type SamlConfig, samlConfig } from "../src/enterprise/auth/saml/config.js"
export { makeSamlServiceProvider } from "../src/enterprise/auth/saml/serviceProvider.js"
export { makeSqlSamlCaches } from "../src/enterprise/auth/saml/sqlCaches.js"
export { Sessions } from "../src/enterprise/auth/session/Sessions.js"
export {
  AdminRoutes,
  AdminRoutesConfig,
  type AdminRoutesOptions,
  makeAdminRoutes,
  operatorTenantConfig
} from "../src/enterprise/http/admin/AdminRoutes.js"
export { authenticateCallers, authentication, checkWorkspace } from "../src/enterprise/http/authentication.js"
export { makeSsoRoutes, type SsoOptions } from "../src/enterprise/http/sso/SsoRoutes.js"
export { Authorizer } from "../src/enterprise/auth/rbac/Authorizer.js"
export { Grants } from "../src/enterprise/auth/rbac/Grants.js"
export { layerRbac } from "../src/enterprise/auth/rbac/layerRbac.js"
export { Grant, Role } from "../src/enterprise/auth/rbac/model.js"
export { AuditTrail } from "../src/enterprise/security/audit/AuditTrail.js"
export { RateLimiter } from "../src/enterprise/security/rateLimit/RateLimiter.js"
export { rateLimitingWith } from "../src/enterprise/security/rateLimit/middleware.js"
export { tenantPrefixed } from "../src/enterprise/tenancy/artifacts.js"
export { layerMlflowDefaultExperiment } from "../src/enterprise/tenancy/defaultExperiment.js"
export { Tenant, TenantAlreadyExists, TenantNotFound } from "../src/enterprise/tenancy/model.js"
export { Tenants } from "../src/enterprise/tenancy/Tenants.js"
