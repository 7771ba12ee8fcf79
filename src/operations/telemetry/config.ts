import { Config, ConfigError, Duration, Either, Option, Redacted } from "effect"

/** The three OTLP signals. */
export type Signal = "traces" | "metrics" | "logs"

/**
 * Aggregation temporality of exported metrics, as
 * `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` names it:
 * `cumulative` (running totals), or `delta` and `lowmemory` (counters and
 * histograms as changes since the previous export; up/down counters and
 * gauges stay cumulative either way).
 */
export type MetricsTemporality = "cumulative" | "delta" | "lowmemory"

/**
 * Where and how telemetry is exported over OTLP/HTTP (protobuf). A signal
 * without an endpoint is not exported.
 */
export interface TelemetryOptions {
  /** `service.name` of the resource. */
  readonly serviceName: string
  /** `service.version` of the resource. */
  readonly serviceVersion?: string | undefined
  /** More resource attributes (`deployment.environment`, …). */
  readonly resourceAttributes?: Readonly<Record<string, string>> | undefined
  /** Full URL of each signal's endpoint, e.g. `http://localhost:4318/v1/traces`. */
  readonly endpoints: { readonly [S in Signal]?: string | undefined }
  /** Sent with every export request (API keys: kept redacted until the request is built). */
  readonly headers?: Readonly<Record<string, Redacted.Redacted>> | undefined
  /** How often metrics are pushed. Default 60 s (`OTEL_METRIC_EXPORT_INTERVAL`'s default). */
  readonly metricExportInterval?: Duration.DurationInput | undefined
  /** Temporality of counters and histograms. Default `cumulative`. */
  readonly metricsTemporality?: MetricsTemporality | undefined
  /**
   * Share of traces exported, from 0 to 1 (head sampling; a span follows its
   * parent's decision). Default: every trace, with no sampling work at all.
   */
  readonly traceSampleRatio?: number | undefined
  /** How often buffered spans and logs are pushed. Default 5 s for spans, 1 s for logs. */
  readonly exportInterval?: Duration.DurationInput | undefined
}

/** `base` + `/v1/<signal>`, as the OTLP exporter spec derives signal URLs from `OTEL_EXPORTER_OTLP_ENDPOINT`. */
export const signalUrl = (base: string, signal: Signal): string => `${base.replace(/\/+$/, "")}/v1/${signal}`

/** Every signal's URL under one base URL. */
export const signalUrls = (base: string): TelemetryOptions["endpoints"] => ({
  traces: signalUrl(base, "traces"),
  metrics: signalUrl(base, "metrics"),
  logs: signalUrl(base, "logs")
})

const decode = (text: string): Option.Option<string> => {
  try {
    return Option.some(decodeURIComponent(text.trim()))
  } catch {
    return Option.none()
  }
}

/**
 * Why an entry of a key=value list was refused. `position` counts entries
 * from 1; `key` is there when the entry's key itself parsed.
 */
export interface KeyValueListError {
  readonly position: number
  readonly entry: string
  readonly key?: string
  readonly reason: string
}

/**
 * Parses the W3C-baggage-like lists of `OTEL_EXPORTER_OTLP_HEADERS` and
 * `OTEL_RESOURCE_ATTRIBUTES`: `k=v,k2=v2`, keys and values percent-decoded.
 * An entry without `=` or with an empty key is an error, so a typo fails at
 * startup instead of silently dropping an API key.
 *
 * @example
 * ```ts
 * parseKeyValueList("env=prod,team=ml") // Either.right({ env: "prod", team: "ml" })
 * parseKeyValueList("env") // Either.left({ position: 1, entry: "env", reason: "is not a key=value pair" })
 * ```
 */
export const parseKeyValueList = (text: string): Either.Either<Record<string, string>, KeyValueListError> => {
  const entries: Record<string, string> = {}
  for (const [index, raw] of text.split(",").entries()) {
    const entry = raw.trim()
    if (entry === "") continue
    const refuse = (reason: string, key?: string) =>
      Either.left({ position: index + 1, entry, reason, ...(key === undefined ? {} : { key }) })
    const equals = entry.indexOf("=")
    if (equals < 0) return refuse("is not a key=value pair")
    const key = decode(entry.slice(0, equals))
    if (Option.isNone(key)) return refuse("has a key that is not valid percent-encoding")
    if (key.value === "") return refuse("has an empty key")
    const value = decode(entry.slice(equals + 1))
    if (Option.isNone(value)) return refuse("has a value that is not valid percent-encoding", key.value)
    entries[key.value] = value.value
  }
  return Either.right(entries)
}

const keyValueList = (name: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((text) =>
      Either.mapLeft(parseKeyValueList(text), (error) =>
        ConfigError.InvalidData([name], `entry ${error.position} "${error.entry}" ${error.reason}`)
      )
    ),
    Config.withDefault<Record<string, string>>({})
  )

/**
 * `OTEL_EXPORTER_OTLP_HEADERS`, values redacted from the moment they are
 * read. Errors name the entry by position (and header name when it parsed),
 * never quote it: a malformed entry is often an API key with the wrong separator.
 */
const headersConfig = Config.redacted("OTEL_EXPORTER_OTLP_HEADERS").pipe(
  Config.mapOrFail((text) =>
    Either.mapBoth(parseKeyValueList(Redacted.value(text)), {
      onLeft: (error) =>
        ConfigError.InvalidData(
          ["OTEL_EXPORTER_OTLP_HEADERS"],
          `entry ${error.position}${error.key === undefined ? "" : ` (header "${error.key}")`} ${error.reason}`
        ),
      onRight: (entries) =>
        Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, Redacted.make(value)]))
    })
  ),
  Config.withDefault<Record<string, Redacted.Redacted>>({})
)

/**
 * The resource from `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` and
 * `fallbackName`: the service name is `OTEL_SERVICE_NAME`, else the
 * attributes' `service.name`, else `fallbackName`.
 */
export const resourceConfig = (fallbackName: string) =>
  Config.all({
    name: Config.option(Config.nonEmptyString("OTEL_SERVICE_NAME")),
    attributes: keyValueList("OTEL_RESOURCE_ATTRIBUTES")
  }).pipe(
    Config.map(({ attributes, name }) => {
      const { "service.name": attributeName, "service.version": serviceVersion, ...resourceAttributes } = attributes
      return {
        serviceName: Option.getOrElse(name, () => attributeName ?? fallbackName),
        serviceVersion,
        resourceAttributes
      }
    })
  )

const signalEnabled = (signal: Signal) =>
  Config.string(`OTEL_${signal.toUpperCase()}_EXPORTER`).pipe(
    Config.map((exporter) => exporter.trim().toLowerCase() !== "none"),
    Config.withDefault(true)
  )

/**
 * A signal's endpoint: `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT` as given, else
 * under `OTEL_EXPORTER_OTLP_ENDPOINT`; none when `OTEL_<SIGNAL>_EXPORTER=none`.
 */
const signalEndpoint = (signal: Signal) =>
  Config.all({
    enabled: signalEnabled(signal),
    own: Config.option(Config.nonEmptyString(`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`))
  }).pipe(
    Config.map(
      ({ enabled, own }) =>
        (base: Option.Option<string>): string | undefined =>
          enabled
            ? Option.getOrUndefined(Option.orElse(own, () => Option.map(base, (url) => signalUrl(url, signal))))
            : undefined
    )
  )

const samplers = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio"
] as const

/**
 * `OTEL_TRACES_SAMPLER` (with `OTEL_TRACES_SAMPLER_ARG` for the ratio
 * samplers) as a ratio; `undefined` when unset. Every sampler follows the
 * parent's decision, as the `parentbased_*` ones do.
 */
export const sampleRatioConfig: Config.Config<number | undefined> = Config.all({
  sampler: Config.option(Config.literal(...samplers)("OTEL_TRACES_SAMPLER")),
  ratio: Config.number("OTEL_TRACES_SAMPLER_ARG").pipe(
    Config.validate({ message: "must be a number from 0 to 1", validation: (ratio) => ratio >= 0 && ratio <= 1 }),
    Config.withDefault(1)
  )
}).pipe(
  Config.map(({ ratio, sampler }) =>
    Option.match(sampler, {
      onNone: () => undefined,
      onSome: (name) => (name.endsWith("always_on") ? 1 : name.endsWith("always_off") ? 0 : ratio)
    })
  )
)

const temporalities: ReadonlyArray<MetricsTemporality> = ["cumulative", "delta", "lowmemory"]

/**
 * `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` (case-insensitive);
 * `undefined` when unset, so a preset can choose its own default. Any other
 * value fails at startup rather than silently sending what the backend rejects.
 */
export const metricsTemporalityConfig: Config.Config<MetricsTemporality | undefined> = Config.string(
  "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"
).pipe(
  Config.mapOrFail((text) => {
    const temporality = temporalities.find((name) => name === text.trim().toLowerCase())
    return temporality === undefined
      ? Either.left(
          ConfigError.InvalidData(
            ["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"],
            `"${text}" is not one of ${temporalities.join(", ")}`
          )
        )
      : Either.right(temporality)
  }),
  Config.option,
  Config.map(Option.getOrUndefined)
)

/**
 * The standard OpenTelemetry environment: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * the per-signal `OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT`, used
 * as given), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_METRIC_EXPORT_INTERVAL` (ms),
 * `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`,
 * `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`,
 * `OTEL_{TRACES,METRICS,LOGS}_EXPORTER=none` and `OTEL_SDK_DISABLED`.
 * `None` when no endpoint is set or the SDK is disabled: export nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { telemetryFromEnv } from "effect-mlops/telemetry"
 *
 * const options = Effect.runSync(telemetryFromEnv) // Option<TelemetryOptions>
 * ```
 */
export const telemetryFromEnv: Config.Config<Option.Option<TelemetryOptions>> = Config.all({
  disabled: Config.boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false)),
  base: Config.option(Config.nonEmptyString("OTEL_EXPORTER_OTLP_ENDPOINT")),
  resource: resourceConfig("effect-mlops"),
  traces: signalEndpoint("traces"),
  metrics: signalEndpoint("metrics"),
  logs: signalEndpoint("logs"),
  headers: headersConfig,
  traceSampleRatio: sampleRatioConfig,
  metricsTemporality: metricsTemporalityConfig,
  metricExportInterval: Config.integer("OTEL_METRIC_EXPORT_INTERVAL").pipe(
    Config.validate({ message: "must be a positive number of milliseconds", validation: (ms) => ms > 0 }),
    Config.withDefault(60_000)
  )
}).pipe(
  Config.map(
    ({ base, disabled, headers, metricExportInterval, metricsTemporality, resource, traceSampleRatio, ...signals }) => {
      const endpoints = {
        traces: signals.traces(base),
        metrics: signals.metrics(base),
        logs: signals.logs(base)
      }
      const none = endpoints.traces === undefined && endpoints.metrics === undefined && endpoints.logs === undefined
      return disabled || none
        ? Option.none()
        : Option.some<TelemetryOptions>({
            ...resource,
            endpoints,
            headers,
            traceSampleRatio,
            metricsTemporality,
            metricExportInterval: Duration.millis(metricExportInterval)
          })
    }
  )
)
