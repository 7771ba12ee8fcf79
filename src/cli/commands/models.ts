import { Args, Command } from "@effect/cli"
import { Console, Effect, Schema } from "effect"
import { ModelVersion, RegisteredModel } from "../../core/registry/model.js"
import { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import { backendOptions, withBackend } from "../backend.js"
import { group } from "../group.js"
import { parseModelVersion } from "../ids.js"
import { formatFields, formatTable, formatTime, printJson, printTable, truncate } from "../output.js"
import { collectPages } from "../pages.js"

const aliasList = (model: RegisteredModel): string =>
  model.aliases.map((alias) => `${alias.alias}→v${alias.version}`).join(" ")

const list = Command.make("list", backendOptions, (flags) =>
  Effect.gen(function* () {
    const registry = yield* ModelRegistry
    const models = yield* collectPages((page) => registry.searchRegisteredModels(page))
    if (flags.json) return yield* printJson(Schema.Array(RegisteredModel), models)
    yield* printTable(
      ["name", "aliases", "updated", "description"],
      models.map((m) => [m.name, aliasList(m), formatTime(m.lastUpdatedTimestamp), truncate(m.description, 50)]),
      "no registered models"
    )
  }).pipe(withBackend(flags))
).pipe(Command.withDescription("List registered models"))

/** `models show --json` prints the model with all its versions. */
const ModelWithVersions = Schema.Struct({ model: RegisteredModel, versions: Schema.Array(ModelVersion) })

// The filter grammar doubles a quote to escape it.
const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`

const show = Command.make(
  "show",
  { ...backendOptions, name: Args.text({ name: "NAME" }).pipe(Args.withDescription("Registered model name")) },
  (flags) =>
    Effect.gen(function* () {
      const registry = yield* ModelRegistry
      const model = yield* registry.getRegisteredModel(flags.name)
      const versions = yield* collectPages((page) =>
        registry.searchModelVersions({ ...page, filter: `name = ${quote(model.name)}` })
      )
      const sorted = [...versions].sort((a, b) => Number(b.version) - Number(a.version))
      if (flags.json) return yield* printJson(ModelWithVersions, { model, versions: sorted })
      yield* Console.log(
        [
          formatFields([
            ["name", model.name],
            ["description", model.description || null],
            ["created", formatTime(model.creationTimestamp)],
            ["updated", formatTime(model.lastUpdatedTimestamp)],
            ["aliases", aliasList(model) || null],
            ["tags", model.tags.map((t) => `${t.key}=${t.value}`).join(" ") || null]
          ]),
          "",
          sorted.length === 0
            ? "no versions"
            : formatTable(
                ["version", "stage", "status", "aliases", "run id", "created", "source"],
                sorted.map((v) => [
                  v.version,
                  v.currentStage,
                  v.status,
                  v.aliases.join(" ") || "-",
                  v.runId ?? "-",
                  formatTime(v.creationTimestamp) ?? "-",
                  v.source
                ])
              )
        ].join("\n")
      )
    }).pipe(withBackend(flags))
).pipe(Command.withDescription("Show a registered model and its versions"))

export const modelsCommand = group("models", "Inspect the model registry", ["list", "show"]).pipe(
  Command.withSubcommands([list, show])
)

const setAlias = Command.make(
  "set",
  {
    ...backendOptions,
    model: Args.text({ name: "MODEL" }).pipe(Args.withDescription("Registered model name")),
    alias: Args.text({ name: "ALIAS" }).pipe(Args.withDescription("Alias such as champion")),
    version: Args.text({ name: "VERSION" }).pipe(Args.withDescription("Version number the alias points at"))
  },
  (flags) =>
    Effect.gen(function* () {
      const registry = yield* ModelRegistry
      const version = yield* parseModelVersion(flags.version)
      yield* registry.setAlias(flags.model, flags.alias, version)
      const target = yield* registry.getVersionByAlias(flags.model, flags.alias)
      if (flags.json) return yield* printJson(ModelVersion, target)
      yield* Console.log(`alias "${flags.alias}" of model "${flags.model}" now points at version ${target.version}`)
    }).pipe(withBackend(flags))
).pipe(Command.withDescription("Point an alias at a model version (creating or moving it)"))

export const aliasesCommand = group("aliases", "Manage model aliases", ["set"]).pipe(
  Command.withSubcommands([setAlias])
)
