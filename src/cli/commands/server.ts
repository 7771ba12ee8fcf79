import { Command, Options } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import { makeBasicLayer } from "../../../layers/Basic.js"
import { loopbackHosts } from "../../http/server/hosts.js"
import { makeServerLayer, type ServerOptions } from "../../http/server/Server.js"
import { TelemetryRoutes, telemetryPresetConfig, telemetryPresets, withTelemetry } from "../../../layers/Telemetry.js"
import { AlertEvaluator } from "../../operations/alerts/AlertEvaluator.js"
import { dataOption, resolveDataPath } from "../backend.js"
import { enterpriseModule } from "../enterprise.js"
import { UsageError } from "../errors.js"

const options = {
  data: dataOption,
  port: Options.integer("port").pipe(
    Options.withDescription("TCP port; 0 picks a free one"),
    Options.withDefault(5000)
  ),
  host: Options.text("host").pipe(Options.withDescription("Interface to listen on"), Options.withDefault("127.0.0.1")),
  allowedHosts: Options.text("allowed-hosts").pipe(
    Options.withDescription(
      "Comma-separated Host header names to accept besides the loopback names and --host (*.example.com wildcards, * for all)"
    ),
    Options.optional
  ),
  enterprise: Options.boolean("enterprise").pipe(
    Options.withDescription(
      "Serve the enterprise configuration from the environment (PostgreSQL, tenants, API keys; see the README) instead of a data directory"
    )
  ),
  telemetry: Options.choice("telemetry", ["otel", "datadog", "newrelic"]).pipe(
    Options.withDescription(
      "Where traces, metrics and logs go over OTLP: the OTEL_* environment (nothing without OTEL_EXPORTER_OTLP_ENDPOINT), the Datadog Agent or intake (DD_*), or New Relic (NEW_RELIC_LICENSE_KEY). Default: MLOPS_TELEMETRY, else otel. /metrics serves Prometheus either way"
    ),
    Options.optional
  ),
  alerts: Options.file("alerts").pipe(
    Options.withDescription(
      "Alert rules (YAML or JSON) this server evaluates, with one leader among the replicas of a database; default MLOPS_ALERT_RULES. Notifications go to the log and to MLOPS_ALERT_WEBHOOK_URL (Slack-compatible JSON)"
    ),
    Options.optional
  ),
  logFormat: Options.choice("log-format", ["logfmt", "json", "pretty"]).pipe(
    Options.withDescription("Log lines: one logfmt or JSON line per record (the default), or pretty for a terminal"),
    Options.withDefault("logfmt" as const)
  )
}

/** The current configuration with `key` set to `value`. */
const overridingConfig = (key: string, value: string) =>
  Layer.unwrapEffect(
    Effect.configProviderWith((current) =>
      Effect.succeed(
        Layer.setConfigProvider(
          ConfigProvider.fromMap(new Map([[key, value]])).pipe(ConfigProvider.orElse(() => current))
        )
      )
    )
  )

/**
 * `effect-mlops server`: the tracking server over a data directory. It runs
 * until SIGINT or SIGTERM; `NodeRuntime.runMain` then interrupts it, which
 * stops accepting connections, lets in-flight requests finish and closes the
 * database last.
 */
export const serverCommand = Command.make("server", options, (flags) =>
  Effect.gen(function* () {
    const dataPath = yield* resolveDataPath(flags.data)
    const serverOptions: ServerOptions = {
      port: flags.port,
      host: flags.host,
      ...Option.match(flags.allowedHosts, {
        onNone: () => ({}),
        // Added to the defaults rather than replacing them, so a CLI on the same machine still gets in.
        onSome: (list) => ({
          allowedHosts: [
            ...loopbackHosts,
            flags.host,
            ...list
              .split(",")
              .map((host) => host.trim())
              .filter((host) => host !== "")
          ]
        })
      })
    }
    // The rules are read at start: a bad file stops the server with the field at fault.
    const Alerts = AlertEvaluator.layerConfig.pipe(
      Layer.provide([NodeContext.layer, NodeHttpClient.layer]),
      Layer.provide(
        Option.match(flags.alerts, {
          onNone: () => Layer.empty,
          onSome: (file) => overridingConfig("MLOPS_ALERT_RULES", file)
        })
      )
    )
    if (flags.enterprise) {
      if (Option.isSome(flags.data)) {
        return yield* new UsageError({
          reason: "--data and --enterprise are exclusive: enterprise reads MLOPS_DATA_DIR"
        })
      }
      yield* Effect.logInfo("serving the enterprise configuration")
      const { EnterpriseLayer, makeEnterpriseServerLayer } = yield* enterpriseModule
      // EnterpriseLayer reads MLOPS_TELEMETRY itself; the flag, when given, takes its place.
      const Enterprise = Option.match(flags.telemetry, {
        onNone: () => EnterpriseLayer,
        onSome: (preset) => EnterpriseLayer.pipe(Layer.provide(overridingConfig("MLOPS_TELEMETRY", preset)))
      })
      return yield* Layer.launch(
        Layer.merge(makeEnterpriseServerLayer(serverOptions), Alerts).pipe(Layer.provide(Enterprise))
      )
    }
    const preset = Option.isSome(flags.telemetry) ? flags.telemetry.value : yield* telemetryPresetConfig
    yield* Effect.logInfo(`serving ${dataPath}`)
    return yield* Layer.launch(
      Layer.merge(makeServerLayer(serverOptions, TelemetryRoutes), Alerts).pipe(
        Layer.provide(withTelemetry(makeBasicLayer({ dataPath, logFormat: flags.logFormat }), telemetryPresets[preset]))
      )
    )
  })
).pipe(Command.withDescription("Run the tracking server (native API, MLflow REST API, /docs) on a data directory"))
