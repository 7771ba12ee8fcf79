import * as path from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import type { ServeError } from "@effect/platform/HttpServerError"
import { Config, Effect, Layer, Logger, type Redacted } from "effect"
import type { ConfigError } from "effect/ConfigError"
import { ArtifactStore } from "../src/core/artifacts/ArtifactStore.js"
import type { ArtifactStorageError } from "../src/core/artifacts/errors.js"
import { Datasets } from "../src/core/data/Datasets.js"
import { LoggedModels } from "../src/core/models/LoggedModels.js"
import { ModelRegistry } from "../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../src/core/tracking/ExperimentTracker.js"
import { layerCallerAttribution } from "../src/enterprise/auth/attribution.js"
import { ApiKeys, apiKeyPepperConfig } from "../src/enterprise/auth/apiKeys/ApiKeys.js"
import { makeApiKeyAuthenticator } from "../src/enterprise/auth/apiKeys/authenticator.js"
import { Authenticator } from "../src/enterprise/auth/Authenticator.js"
import { Principals } from "../src/enterprise/auth/principals/Principals.js"
import { authentication } from "../src/enterprise/http/authentication.js"
import { layerTenantArtifacts } from "../src/enterprise/tenancy/artifacts.js"
import { Tenants } from "../src/enterprise/tenancy/Tenants.js"
import { makeServerLayerWith, type ServerOptions } from "../src/http/server/Server.js"
import type { CoreServices, LogFormat } from "./Basic.js"
import { makePostgresLayer, type PostgresOptions } from "./Postgres.js"
import type { SqlStoreError } from "./Sql.js"

/** The services of {@link EnterpriseLayer}: the core ones plus tenants, principals, API keys and authentication. */
export type EnterpriseServices = CoreServices | Tenants | Principals | ApiKeys | Authenticator

/** Options of {@link makeEnterpriseLayer}. */
export interface EnterpriseOptions {
  /** The PostgreSQL store (see `makePostgresLayer`). */
  readonly database: PostgresOptions
  /** Directory of the artifact files; each tenant's live under `artifacts/tenants/<tenant>/`. */
  readonly dataPath: string
  /** Server-side secret that keys the stored digests of API keys (at least 32 characters). */
  readonly apiKeyPepper: Redacted.Redacted<string>
  /** One line per record: `logfmt` (default) or `json`. */
  readonly logFormat?: Exclude<LogFormat, "pretty">
}

/**
 * The enterprise configuration: the core services on PostgreSQL with every
 * tenant isolated by row-level security and artifacts under per-tenant
 * prefixes, plus tenants, users, service accounts, groups and API keys, and
 * an `Authenticator` for the server.
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
): Layer.Layer<EnterpriseServices, SqlStoreError | ArtifactStorageError> => {
  const Sql = makePostgresLayer(options.database)
  const Tracker = layerCallerAttribution.pipe(Layer.provide(ExperimentTracker.layer), Layer.provide(Sql))
  const Registry = ModelRegistry.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
  const Models = LoggedModels.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
  const Artifacts = layerTenantArtifacts.pipe(
    Layer.provide(ArtifactStore.layer(path.join(path.resolve(options.dataPath), "artifacts"))),
    Layer.provide(NodeContext.layer)
  )
  const Data = Datasets.layer.pipe(Layer.provide(Artifacts), Layer.provide(Sql))
  const TenantsLive = Tenants.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
  const PrincipalsLive = Principals.layer.pipe(Layer.provide(Sql))
  const Keys = ApiKeys.layer(options.apiKeyPepper).pipe(Layer.provide(PrincipalsLive), Layer.provide(Sql))
  const Auth = Layer.effect(
    Authenticator,
    Effect.map(makeApiKeyAuthenticator, (keys) => Authenticator.firstOf([keys]))
  )
  return Layer.mergeAll(
    Tracker,
    Registry,
    Models,
    Artifacts,
    Data,
    TenantsLive,
    PrincipalsLive,
    Keys,
    Auth.pipe(Layer.provide(Keys), Layer.provide(PrincipalsLive)),
    options.logFormat === "json" ? Logger.json : Logger.logFmt
  )
}

/**
 * {@link makeEnterpriseLayer} from the environment:
 * `MLOPS_DATABASE_URL` (the application's role), `MLOPS_DATABASE_ADMIN_URL`
 * (optional: the owner, to migrate and grant), `MLOPS_DATABASE_POOL_SIZE`
 * (default 10), `MLOPS_DATA_DIR` (default `./mlops-data`),
 * `MLOPS_API_KEY_PEPPER` (at least 32 characters) and `MLOPS_LOG_FORMAT`
 * (`logfmt` or `json`). Secrets are read with `Config.redacted` and never logged.
 */
export const EnterpriseLayer: Layer.Layer<EnterpriseServices, SqlStoreError | ArtifactStorageError | ConfigError> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const adminUrl = yield* Config.option(Config.redacted("MLOPS_DATABASE_ADMIN_URL"))
      return makeEnterpriseLayer({
        database: {
          url: yield* Config.redacted("MLOPS_DATABASE_URL"),
          ...(adminUrl._tag === "Some" ? { adminUrl: adminUrl.value } : {}),
          maxConnections: yield* Config.integer("MLOPS_DATABASE_POOL_SIZE").pipe(Config.withDefault(10))
        },
        dataPath: yield* Config.string("MLOPS_DATA_DIR").pipe(Config.withDefault("./mlops-data")),
        apiKeyPepper: yield* apiKeyPepperConfig,
        logFormat: yield* Config.literal("logfmt", "json")("MLOPS_LOG_FORMAT").pipe(Config.withDefault("logfmt"))
      })
    })
  )

/**
 * The tracking server with authentication: every API request must carry an
 * API key (Bearer or Basic) or another credential the `Authenticator`
 * accepts, and runs in its caller's tenant.
 *
 * @example
 * ```ts
 * makeEnterpriseServerLayer({ port: 5000 }).pipe(Layer.provide(EnterpriseLayer), Layer.launch, NodeRuntime.runMain)
 * ```
 */
export const makeEnterpriseServerLayer = (
  options: Omit<ServerOptions, "trustIdentityHeaders">
): Layer.Layer<never, ServeError, EnterpriseServices> => makeServerLayerWith(options, authentication)
