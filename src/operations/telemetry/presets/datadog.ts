import { Config, Option, Redacted } from "effect"
import {
  metricsTemporalityConfig,
  resourceConfig,
  sampleRatioConfig,
  signalUrls,
  type TelemetryOptions
} from "../config.js"

/** Options of {@link datadogConfig}. */
export interface DatadogOptions {
  /**
   * Send every signal under this base URL instead of the Agent or Datadog's
   * intake, keeping the preset's headers and resource: a proxy, or a test receiver.
   */
  readonly baseUrl?: string
}

/** The Datadog Agent's OTLP/HTTP receiver port (`otlp_config.receiver.protocols.http`). */
export const datadogAgentOtlpPort = 4318

/** The agentless OTLP intake of a Datadog site (`datadoghq.com`, `datadoghq.eu`, `us5.datadoghq.com`, …). */
export const datadogIntakeUrl = (site: string): string => `https://otlp.${site}`

/**
 * The Datadog preset of the OTLP exporter.
 *
 * - Agent (default): OTLP to the Agent's receiver on `DD_AGENT_HOST`
 *   (default `localhost`) port 4318, which adds host metadata; metrics are
 *   cumulative, which the Agent turns into deltas itself.
 * - Agentless, when `DD_API_KEY` is set and `DD_AGENT_HOST` is not:
 *   `https://otlp.<DD_SITE>/v1/{traces,metrics,logs}` (default site
 *   `datadoghq.com`) with the `dd-api-key` and `dd-protocol: otlp` headers,
 *   and metrics in delta temporality, which the intake requires.
 *
 * Unified service tagging: `DD_SERVICE` (else `OTEL_SERVICE_NAME`), `DD_ENV`
 * (`deployment.environment` and `deployment.environment.name`) and
 * `DD_VERSION` (`service.version`). Sampling: `OTEL_TRACES_SAMPLER`.
 * `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`, when set, overrides
 * the mode's temporality.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { datadogConfig, layerConfig } from "effect-mlops/telemetry"
 *
 * const DatadogTelemetry = layerConfig(datadogConfig())
 * ```
 */
export const datadogConfig = (options: DatadogOptions = {}): Config.Config<TelemetryOptions> =>
  Config.all({
    resource: resourceConfig("effect-mlops"),
    traceSampleRatio: sampleRatioConfig,
    metricsTemporality: metricsTemporalityConfig,
    service: Config.option(Config.nonEmptyString("DD_SERVICE")),
    env: Config.option(Config.nonEmptyString("DD_ENV")),
    version: Config.option(Config.nonEmptyString("DD_VERSION")),
    apiKey: Config.option(Config.redacted("DD_API_KEY")),
    site: Config.nonEmptyString("DD_SITE").pipe(Config.withDefault("datadoghq.com")),
    agentHost: Config.option(Config.nonEmptyString("DD_AGENT_HOST"))
  }).pipe(
    Config.map((settings): TelemetryOptions => {
      const { agentHost, apiKey, env, metricsTemporality, resource, service, site, traceSampleRatio, version } =
        settings
      const agentless = Option.isSome(apiKey) && Option.isNone(agentHost)
      const base =
        options.baseUrl ??
        (agentless
          ? datadogIntakeUrl(site)
          : `http://${Option.getOrElse(agentHost, () => "localhost")}:${datadogAgentOtlpPort}`)
      return {
        serviceName: Option.getOrElse(service, () => resource.serviceName),
        serviceVersion: Option.getOrElse(version, () => resource.serviceVersion),
        resourceAttributes: {
          ...resource.resourceAttributes,
          ...Option.match(env, {
            onNone: () => ({}),
            onSome: (name) => ({ "deployment.environment": name, "deployment.environment.name": name })
          })
        },
        endpoints: signalUrls(base),
        traceSampleRatio,
        metricsTemporality: metricsTemporality ?? (agentless ? "delta" : "cumulative"),
        headers:
          agentless && Option.isSome(apiKey) ? { "dd-api-key": apiKey.value, "dd-protocol": Redacted.make("otlp") } : {}
      }
    })
  )
