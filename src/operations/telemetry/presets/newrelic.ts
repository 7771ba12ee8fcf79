import { Config, Option, Redacted } from "effect"
import {
  metricsTemporalityConfig,
  resourceConfig,
  sampleRatioConfig,
  signalUrls,
  type TelemetryOptions
} from "../config.js"

/** New Relic's data centers. */
export type NewRelicRegion = "US" | "EU"

/** Options of {@link newRelicConfig}. */
export interface NewRelicOptions {
  /**
   * Send every signal under this base URL instead of New Relic's endpoint,
   * keeping the `api-key` header: a proxy, or a test receiver.
   */
  readonly baseUrl?: string
}

/** New Relic's OTLP endpoint of a region (OTLP/HTTP on 443). */
export const newRelicEndpoint = (region: NewRelicRegion): string =>
  region === "EU" ? "https://otlp.eu01.nr-data.net" : "https://otlp.nr-data.net"

/** EU license keys start with the region, `eu01x…`. */
const regionOfKey = (licenseKey: string): NewRelicRegion => (licenseKey.startsWith("eu") ? "EU" : "US")

/**
 * The New Relic preset of the OTLP exporter: OTLP/HTTP protobuf (New
 * Relic's recommended protocol) to `https://otlp.nr-data.net` (US) or
 * `https://otlp.eu01.nr-data.net` (EU), with the license key
 * `NEW_RELIC_LICENSE_KEY` in the `api-key` header. The region is
 * `NEW_RELIC_REGION` (`US` or `EU`), else the key's prefix. The service
 * name is `NEW_RELIC_APP_NAME`, else `OTEL_SERVICE_NAME`; sampling,
 * `OTEL_TRACES_SAMPLER`.
 *
 * Metrics go out in delta temporality, which New Relic recommends, unless
 * `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` says otherwise.
 *
 * @example
 * ```ts
 * import { layerConfig, newRelicConfig } from "effect-mlops/telemetry"
 *
 * const NewRelicTelemetry = layerConfig(newRelicConfig())
 * ```
 */
export const newRelicConfig = (options: NewRelicOptions = {}): Config.Config<TelemetryOptions> =>
  Config.all({
    resource: resourceConfig("effect-mlops"),
    traceSampleRatio: sampleRatioConfig,
    metricsTemporality: metricsTemporalityConfig,
    appName: Config.option(Config.nonEmptyString("NEW_RELIC_APP_NAME")),
    licenseKey: Config.redacted("NEW_RELIC_LICENSE_KEY"),
    region: Config.option(Config.literal("US", "EU")("NEW_RELIC_REGION"))
  }).pipe(
    Config.map(({ appName, licenseKey, metricsTemporality, region, resource, traceSampleRatio }): TelemetryOptions => {
      const base =
        options.baseUrl ?? newRelicEndpoint(Option.getOrElse(region, () => regionOfKey(Redacted.value(licenseKey))))
      return {
        ...resource,
        serviceName: Option.getOrElse(appName, () => resource.serviceName),
        endpoints: signalUrls(base),
        traceSampleRatio,
        metricsTemporality: metricsTemporality ?? "delta",
        headers: { "api-key": licenseKey }
      }
    })
  )
