import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Clock, Console, Effect, Layer, Option, Schema } from "effect"
import { makeSqliteLayer } from "../../../layers/Sql.js"
import { ArtifactStore } from "../../core/artifacts/ArtifactStore.js"
import { collect, type GcOptions, type GcPlan, planGc } from "../../storage/gc.js"
import { dataOption, jsonOption, resolveDataPath } from "../backend.js"
import { storePaths } from "../dataDir.js"
import { parseAge } from "../duration.js"
import { printJson, printTable } from "../output.js"

const list = (name: string) =>
  Options.text(name).pipe(
    Options.map((text) =>
      text
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "")
    )
  )

const options = {
  data: dataOption,
  olderThan: Options.text("older-than").pipe(
    Options.withDescription("Only what was deleted at least this long ago: [Nd][Nh][Nm][Ns], e.g. 30d or 1d12h"),
    Options.mapEffect((text) => {
      const age = parseAge(text)
      return age === undefined
        ? Effect.fail(
            ValidationError.invalidValue(
              HelpDoc.p(`--older-than "${text}": expected [Nd][Nh][Nm][Ns], e.g. 30d or 1h30m`)
            )
          )
        : Effect.succeed(age)
    }),
    Options.optional
  ),
  runIds: list("run-ids").pipe(
    Options.withDescription("Comma-separated run ids to purge (each must be deleted); default: every deleted run"),
    Options.optional
  ),
  experimentIds: list("experiment-ids").pipe(
    Options.withDescription(
      "Comma-separated experiment ids to purge with all their runs (each must be deleted); default: every deleted experiment"
    ),
    Options.optional
  ),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Print what would be purged and change nothing")),
  json: jsonOption
}

const GcOutput = Schema.Struct({
  dryRun: Schema.Boolean,
  runs: Schema.Array(Schema.String),
  experiments: Schema.Array(Schema.String),
  skipped: Schema.Array(Schema.String)
})

const printPlan = (plan: GcPlan) =>
  printTable(
    ["kind", "id", "experiment", "location"],
    [
      ...plan.experiments.map((e) => ["experiment", e.experimentId, e.name, e.artifactLocation]),
      ...plan.runs.map((r) => ["run", r.runId, r.experimentId, r.artifactUri])
    ],
    "nothing to purge"
  )

/**
 * `effect-mlops gc`, like `mlflow gc`: permanently deletes runs in lifecycle
 * stage `deleted`, and deleted experiments with all their runs, rows and
 * artifacts. Works on a local data directory only.
 */
type GcFlags = Command.Command.ParseConfig<typeof options>

const run = (flags: GcFlags) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const gcOptions: GcOptions = {
      ...Option.match(flags.olderThan, { onNone: () => ({}), onSome: (age) => ({ deletedBefore: now - age }) }),
      ...Option.match(flags.runIds, { onNone: () => ({}), onSome: (runIds) => ({ runIds }) }),
      ...Option.match(flags.experimentIds, { onNone: () => ({}), onSome: (experimentIds) => ({ experimentIds }) })
    }
    const plan = yield* planGc(gcOptions)
    if (flags.dryRun) {
      if (!flags.json) return yield* printPlan(plan)
      return yield* printJson(GcOutput, {
        dryRun: true,
        runs: plan.runs.map((r) => r.runId),
        experiments: plan.experiments.map((e) => e.experimentId),
        skipped: []
      })
    }
    const store = yield* ArtifactStore
    const result = yield* collect(plan, (path) =>
      store.delete(path).pipe(Effect.catchTag("ArtifactNotFound", () => Effect.void))
    )
    if (flags.json) return yield* printJson(GcOutput, { dryRun: false, ...result })
    const skipped =
      result.skipped.length > 0 ? `; skipped ${result.skipped.join(", ")} (restored or already purged)` : ""
    yield* Console.log(`purged ${result.runs.length} run(s) and ${result.experiments.length} experiment(s)${skipped}`)
  })

/**
 * `effect-mlops gc`, like `mlflow gc`: permanently deletes runs in lifecycle
 * stage `deleted`, and deleted experiments with all their runs, rows and
 * artifacts. It opens the data directory's store directly (not a server), as
 * `mlflow gc` opens the backend store.
 */
export const gcCommand = Command.make("gc", options, (flags) =>
  Effect.flatMap(resolveDataPath(flags.data), (dataPath) => {
    const paths = storePaths(dataPath)
    return run(flags).pipe(
      Effect.provide(Layer.merge(makeSqliteLayer({ filename: paths.database }), ArtifactStore.layer(paths.artifacts)))
    )
  })
).pipe(Command.withDescription("Permanently delete deleted runs and experiments with their artifacts (like mlflow gc)"))
