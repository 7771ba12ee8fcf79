import { describe, expect, it } from "@effect/vitest"
import { type Config, ConfigError, ConfigProvider, Duration, Effect, Either, Option, Redacted } from "effect"
import { parseKeyValueList, type TelemetryOptions, telemetryFromEnv } from "../../../src/operations/telemetry/config.js"
import { datadogConfig } from "../../../src/operations/telemetry/presets/datadog.js"
import { newRelicConfig, newRelicEndpoint } from "../../../src/operations/telemetry/presets/newrelic.js"

const read = <A>(config: Config.Config<A>, env: Record<string, string>) =>
  Effect.withConfigProvider(config, ConfigProvider.fromJson(env))

const fromEnv = (env: Record<string, string>) => Effect.map(read(telemetryFromEnv, env), Option.getOrThrow)

const revealed = (options: TelemetryOptions) =>
  Object.fromEntries(Object.entries(options.headers ?? {}).map(([key, value]) => [key, Redacted.value(value)]))

describe("telemetryFromEnv", () => {
  it.effect("exports nothing when no OTLP endpoint is set", () =>
    Effect.map(read(telemetryFromEnv, { OTEL_SERVICE_NAME: "svc" }), (options) =>
      expect(Option.isNone(options)).toBe(true)
    )
  )

  it.effect("exports nothing when the SDK is disabled, endpoint or not", () =>
    Effect.map(
      read(telemetryFromEnv, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }),
      (options) => expect(Option.isNone(options)).toBe(true)
    )
  )

  it.effect("derives each signal's URL from OTEL_EXPORTER_OTLP_ENDPOINT", () =>
    Effect.map(fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }), (options) =>
      expect(options.endpoints).toEqual({
        traces: "http://collector:4318/v1/traces",
        metrics: "http://collector:4318/v1/metrics",
        logs: "http://collector:4318/v1/logs"
      })
    )
  )

  it.effect("uses a per-signal endpoint as given and leaves out signals exported to none", () =>
    Effect.map(
      fromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://tempo:4318/otlp/traces",
        OTEL_LOGS_EXPORTER: "none"
      }),
      (options) =>
        expect(options.endpoints).toEqual({
          traces: "http://tempo:4318/otlp/traces",
          metrics: "http://collector:4318/v1/metrics",
          logs: undefined
        })
    )
  )

  it.effect("reads percent-decoded headers, kept redacted", () =>
    Effect.map(
      fromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_HEADERS: "api-key=a%2Cb%3Dc, x-team = ml "
      }),
      (options) => {
        expect(revealed(options)).toEqual({ "api-key": "a,b=c", "x-team": "ml" })
        expect(String(options.headers?.["api-key"])).toBe("<redacted>")
      }
    )
  )

  it.effect("fails at startup on a malformed header list", () =>
    Effect.map(
      Effect.flip(
        read(telemetryFromEnv, {
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
          OTEL_EXPORTER_OTLP_HEADERS: "api-key"
        })
      ),
      (error) => expect(String(error)).toContain("OTEL_EXPORTER_OTLP_HEADERS")
    )
  )

  it.effect("names a malformed header entry by position, without quoting its secret", () =>
    Effect.map(
      Effect.flip(
        read(telemetryFromEnv, {
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
          OTEL_EXPORTER_OTLP_HEADERS: "x-team=ml,api-key:SECRET"
        })
      ),
      (error) => {
        expect(String(error)).toContain("entry 2 is not a key=value pair")
        expect(String(error)).not.toContain("SECRET")
      }
    )
  )

  it.effect("names a header whose value is not valid percent-encoding, without quoting the value", () =>
    Effect.map(
      Effect.flip(
        read(telemetryFromEnv, {
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
          OTEL_EXPORTER_OTLP_HEADERS: "api-key=SECRET%zz"
        })
      ),
      (error) => {
        expect(String(error)).toContain('entry 1 (header "api-key") has a value that is not valid percent-encoding')
        expect(String(error)).not.toContain("SECRET")
      }
    )
  )

  it.effect("names the service from OTEL_SERVICE_NAME, then service.name in OTEL_RESOURCE_ATTRIBUTES", () =>
    Effect.gen(function* () {
      const attributes = "service.name=from-attributes,service.version=3.1,team=ml%20ops"
      const both = yield* fromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
        OTEL_SERVICE_NAME: "from-name",
        OTEL_RESOURCE_ATTRIBUTES: attributes
      })
      const attributesOnly = yield* fromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
        OTEL_RESOURCE_ATTRIBUTES: attributes
      })
      expect(both.serviceName).toBe("from-name")
      expect(attributesOnly).toMatchObject({
        serviceName: "from-attributes",
        serviceVersion: "3.1",
        resourceAttributes: { team: "ml ops" }
      })
    })
  )

  it.effect("reads the metric export interval in milliseconds, 60 s by default", () =>
    Effect.gen(function* () {
      const set = yield* fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_METRIC_EXPORT_INTERVAL: "15000" })
      const unset = yield* fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })
      expect(Duration.toMillis(set.metricExportInterval ?? 0)).toBe(15_000)
      expect(Duration.toMillis(unset.metricExportInterval ?? 0)).toBe(60_000)
    })
  )
})

describe("metrics temporality from the environment", () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }

  it.effect("leaves the temporality to the layer (cumulative) when unset", () =>
    Effect.map(fromEnv(base), (options) => expect(options.metricsTemporality).toBeUndefined())
  )

  it.effect("reads OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE in any case", () =>
    Effect.gen(function* () {
      const delta = yield* fromEnv({ ...base, OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "Delta" })
      const lowMemory = yield* fromEnv({ ...base, OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "LOWMEMORY" })
      expect([delta.metricsTemporality, lowMemory.metricsTemporality]).toEqual(["delta", "lowmemory"])
    })
  )

  it.effect("fails at startup with a ConfigError on an unknown preference", () =>
    Effect.map(
      Effect.flip(read(telemetryFromEnv, { ...base, OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "deltas" })),
      (error) => {
        expect(ConfigError.isConfigError(error)).toBe(true)
        expect(String(error)).toContain("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE")
      }
    )
  )
})

describe("trace sampling from the environment", () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }

  it.effect("samples nothing unless OTEL_TRACES_SAMPLER is set", () =>
    Effect.map(fromEnv(base), (options) => expect(options.traceSampleRatio).toBeUndefined())
  )

  it.effect("reads the ratio of the ratio samplers from OTEL_TRACES_SAMPLER_ARG", () =>
    Effect.map(
      fromEnv({ ...base, OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" }),
      (options) => expect(options.traceSampleRatio).toBe(0.25)
    )
  )

  it.effect("keeps no new trace with always_off", () =>
    Effect.map(fromEnv({ ...base, OTEL_TRACES_SAMPLER: "always_off" }), (options) =>
      expect(options.traceSampleRatio).toBe(0)
    )
  )

  it.effect("fails at startup on a ratio outside 0..1", () =>
    Effect.map(
      Effect.flip(
        read(telemetryFromEnv, { ...base, OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" })
      ),
      (error) => expect(String(error)).toContain("OTEL_TRACES_SAMPLER_ARG")
    )
  )
})

describe("parseKeyValueList", () => {
  it("rejects an entry with an empty key", () => {
    expect(parseKeyValueList("a=1, =value")).toEqual(
      Either.left({ position: 2, entry: "=value", reason: "has an empty key" })
    )
  })
})

describe("datadogConfig", () => {
  it.effect("targets the local Agent's OTLP receiver by default", () =>
    Effect.map(read(datadogConfig(), {}), (options) => {
      expect(options.endpoints.traces).toBe("http://localhost:4318/v1/traces")
      expect(options.headers).toEqual({})
    })
  )

  it.effect("targets DD_AGENT_HOST, even with an API key set", () =>
    Effect.map(read(datadogConfig(), { DD_AGENT_HOST: "datadog-agent", DD_API_KEY: "k" }), (options) =>
      expect(options.endpoints.metrics).toBe("http://datadog-agent:4318/v1/metrics")
    )
  )

  it.effect("goes agentless to the site's OTLP intake with DD_API_KEY", () =>
    Effect.map(read(datadogConfig(), { DD_API_KEY: "dd-key", DD_SITE: "datadoghq.eu" }), (options) => {
      expect(options.endpoints).toEqual({
        traces: "https://otlp.datadoghq.eu/v1/traces",
        metrics: "https://otlp.datadoghq.eu/v1/metrics",
        logs: "https://otlp.datadoghq.eu/v1/logs"
      })
      expect(revealed(options)).toEqual({ "dd-api-key": "dd-key", "dd-protocol": "otlp" })
    })
  )

  it.effect("asks for delta metrics agentless and cumulative through the Agent, which converts them", () =>
    Effect.gen(function* () {
      const agentless = yield* read(datadogConfig(), { DD_API_KEY: "dd-key" })
      const agent = yield* read(datadogConfig(), { DD_API_KEY: "dd-key", DD_AGENT_HOST: "datadog-agent" })
      expect([agentless.metricsTemporality, agent.metricsTemporality]).toEqual(["delta", "cumulative"])
    })
  )

  it.effect("lets OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE override the mode's temporality", () =>
    Effect.map(read(datadogConfig(), { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "delta" }), (options) =>
      expect(options.metricsTemporality).toBe("delta")
    )
  )

  it.effect("applies unified service tagging from DD_SERVICE, DD_ENV and DD_VERSION", () =>
    Effect.map(read(datadogConfig(), { DD_SERVICE: "tracker", DD_ENV: "prod", DD_VERSION: "1.4.0" }), (options) =>
      expect(options).toMatchObject({
        serviceName: "tracker",
        serviceVersion: "1.4.0",
        resourceAttributes: { "deployment.environment": "prod", "deployment.environment.name": "prod" }
      })
    )
  )
})

describe("newRelicConfig", () => {
  it("has one OTLP endpoint per region", () => {
    expect(newRelicEndpoint("US")).toBe("https://otlp.nr-data.net")
    expect(newRelicEndpoint("EU")).toBe("https://otlp.eu01.nr-data.net")
  })

  it.effect("sends to the US endpoint with the license key in api-key", () =>
    Effect.map(read(newRelicConfig(), { NEW_RELIC_LICENSE_KEY: "us-key" }), (options) => {
      expect(options.endpoints.traces).toBe("https://otlp.nr-data.net/v1/traces")
      expect(revealed(options)).toEqual({ "api-key": "us-key" })
    })
  )

  it.effect("sends to the EU endpoint for NEW_RELIC_REGION=EU or an EU key", () =>
    Effect.gen(function* () {
      const byRegion = yield* read(newRelicConfig(), { NEW_RELIC_LICENSE_KEY: "key", NEW_RELIC_REGION: "EU" })
      const byKey = yield* read(newRelicConfig(), { NEW_RELIC_LICENSE_KEY: "eu01xx0123" })
      expect(byRegion.endpoints.logs).toBe("https://otlp.eu01.nr-data.net/v1/logs")
      expect(byKey.endpoints.logs).toBe("https://otlp.eu01.nr-data.net/v1/logs")
    })
  )

  it.effect("asks for delta metrics unless OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE says otherwise", () =>
    Effect.gen(function* () {
      const preset = yield* read(newRelicConfig(), { NEW_RELIC_LICENSE_KEY: "key" })
      const overridden = yield* read(newRelicConfig(), {
        NEW_RELIC_LICENSE_KEY: "key",
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "cumulative"
      })
      expect([preset.metricsTemporality, overridden.metricsTemporality]).toEqual(["delta", "cumulative"])
    })
  )

  it.effect("fails at startup without a license key", () =>
    Effect.map(Effect.flip(read(newRelicConfig(), {})), (error) =>
      expect(String(error)).toContain("NEW_RELIC_LICENSE_KEY")
    )
  )
})
