import { Command, Options } from "@effect/cli"
import { Effect, Layer, Option } from "effect"
import { makeBasicLayer } from "../../../layers/Basic.js"
import { loopbackHosts } from "../../http/server/hosts.js"
import { makeServerLayer, type ServerOptions } from "../../http/server/Server.js"
import { EnterpriseLayer, makeEnterpriseServerLayer } from "../../../layers/Enterprise.js"
import { dataOption, resolveDataPath } from "../backend.js"
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
  logFormat: Options.choice("log-format", ["logfmt", "json", "pretty"]).pipe(
    Options.withDescription("Log lines: one logfmt or JSON line per record (the default), or pretty for a terminal"),
    Options.withDefault("logfmt" as const)
  )
}

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
    if (flags.enterprise) {
      if (Option.isSome(flags.data)) {
        return yield* new UsageError({
          reason: "--data and --enterprise are exclusive: enterprise reads MLOPS_DATA_DIR"
        })
      }
      yield* Effect.logInfo("serving the enterprise configuration")
      return yield* Layer.launch(makeEnterpriseServerLayer(serverOptions).pipe(Layer.provide(EnterpriseLayer)))
    }
    yield* Effect.logInfo(`serving ${dataPath}`)
    return yield* Layer.launch(
      makeServerLayer(serverOptions).pipe(Layer.provide(makeBasicLayer({ dataPath, logFormat: flags.logFormat })))
    )
  })
).pipe(Command.withDescription("Run the tracking server (native API, MLflow REST API, /docs) on a data directory"))
