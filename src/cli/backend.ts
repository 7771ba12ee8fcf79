import * as path from "node:path"
import { Options } from "@effect/cli"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { makeBasicLayer } from "../../layers/Basic.js"
import { RemoteLayer } from "../client/RemoteLayer.js"
import type { ModelRegistry } from "../core/registry/ModelRegistry.js"
import type { ExperimentTracker } from "../core/tracking/ExperimentTracker.js"
import { UsageError } from "./errors.js"

/** `--data DIR`; absent means `MLOPS_DATA_DIR`, then `./mlops-data` (see {@link resolveDataPath}). */
export const dataOption = Options.directory("data", { exists: "either" }).pipe(
  Options.withDescription(
    "Data directory holding mlops.db and artifacts/ (default: $MLOPS_DATA_DIR, else ./mlops-data)"
  ),
  Options.optional
)

/** `--json`: machine-readable output on stdout. */
export const jsonOption = Options.boolean("json").pipe(
  Options.withDescription("Print JSON (the HTTP API's wire format) instead of a table")
)

/**
 * Where a data command reads and writes: a local data directory, or a
 * running server. The commands are written against the service tags only;
 * these flags choose the layer.
 */
export const backendOptions = {
  data: dataOption,
  url: Options.text("url").pipe(
    Options.withDescription("Talk to a running server at this URL instead of opening a data directory"),
    Options.optional
  ),
  token: Options.redacted("token").pipe(
    Options.withDescription("Bearer token for --url (default: $MLOPS_TOKEN)"),
    Options.optional
  ),
  json: jsonOption
}

/** The parsed {@link backendOptions}. */
export interface BackendFlags {
  readonly data: Option.Option<string>
  readonly url: Option.Option<string>
  readonly token: Option.Option<Redacted.Redacted>
}

/** The data directory: `--data`, else `MLOPS_DATA_DIR`, else `./mlops-data`, as an absolute path. */
export const resolveDataPath = (data: Option.Option<string>) =>
  Option.match(data, {
    onSome: Effect.succeed,
    onNone: () => Config.string("MLOPS_DATA_DIR").pipe(Config.withDefault("./mlops-data"))
  }).pipe(Effect.map((dir) => path.resolve(dir)))

/** The services a data command may ask for. */
export type DataServices = ExperimentTracker | ModelRegistry

const chooseLayer = (flags: BackendFlags) =>
  Effect.gen(function* () {
    if (Option.isSome(flags.url)) {
      if (Option.isSome(flags.data)) {
        return yield* new UsageError({ reason: "--data and --url are exclusive: use a data directory or a server" })
      }
      const token = Option.isSome(flags.token)
        ? Option.some(Redacted.value(flags.token.value))
        : yield* Config.option(Config.string("MLOPS_TOKEN"))
      const url = flags.url.value
      const layer: Layer.Layer<DataServices> = RemoteLayer(
        Option.match(token, { onNone: () => ({ url }), onSome: (token) => ({ url, token }) })
      )
      return layer
    }
    if (Option.isSome(flags.token)) {
      return yield* new UsageError({ reason: "--token needs --url" })
    }
    return makeBasicLayer({ dataPath: yield* resolveDataPath(flags.data) })
  })

/** Runs `effect` on the services chosen by the flags: a local data directory or a remote server. */
export const withBackend =
  (flags: BackendFlags) =>
  <A, E>(effect: Effect.Effect<A, E, DataServices>) =>
    Effect.provide(effect, Layer.unwrapEffect(chooseLayer(flags)))
