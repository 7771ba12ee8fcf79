import { type ConfigError, Context, Effect, Layer } from "effect"
import { type SamlConfig, samlConfig } from "./config.js"
import {
  makeSamlServiceProvider,
  type SamlServiceProviderOptions,
  type SamlServiceProviderShape
} from "./serviceProvider.js"

/**
 * The SAML 2.0 service provider of this deployment: metadata, login redirect
 * and assertion consumer service (see {@link makeSamlServiceProvider}).
 *
 * @example
 * ```ts
 * const program = Effect.flatMap(SamlServiceProvider, (sp) => sp.loginUrl("/"))
 * program.pipe(Effect.provide(SamlServiceProvider.layerConfig))
 * ```
 */
export class SamlServiceProvider extends Context.Tag("effect-mlops/enterprise/auth/SamlServiceProvider")<
  SamlServiceProvider,
  SamlServiceProviderShape
>() {
  /**
   * A service provider for an explicit configuration (and optionally shared caches).
   *
   * @example
   * ```ts
   * const SamlLive = SamlServiceProvider.layer(config, { replayCache: postgresReplayCache })
   * ```
   */
  static readonly layer = (
    config: SamlConfig,
    options?: SamlServiceProviderOptions
  ): Layer.Layer<SamlServiceProvider> => Layer.effect(SamlServiceProvider, makeSamlServiceProvider(config, options))

  /** A service provider configured from `MLOPS_SAML_*` (see `samlConfig`), with in-memory caches. */
  static readonly layerConfig: Layer.Layer<SamlServiceProvider, ConfigError.ConfigError> = Layer.effect(
    this,
    Effect.flatMap(samlConfig, (config) => makeSamlServiceProvider(config))
  )
}
