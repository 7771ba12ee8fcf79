import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Schema } from "effect"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { Experiment, type ViewType } from "../../core/tracking/model.js"
import { backendOptions, withBackend } from "../backend.js"
import { group } from "../group.js"
import { formatTime, printJson, printTable } from "../output.js"
import { collectPages } from "../pages.js"

const views: ReadonlyArray<[string, ViewType]> = [
  ["active", "ACTIVE_ONLY"],
  ["deleted", "DELETED_ONLY"],
  ["all", "ALL"]
]

/** `--view active|deleted|all`, MLflow's view type by lifecycle stage. */
export const viewOption = Options.choiceWithValue("view", views).pipe(
  Options.withDescription("Which lifecycle stage to list"),
  Options.withDefault<ViewType>("ACTIVE_ONLY")
)

const list = Command.make("list", { ...backendOptions, view: viewOption }, (flags) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const experiments = yield* collectPages((page) => tracker.searchExperiments({ ...page, viewType: flags.view }))
    if (flags.json) return yield* printJson(Schema.Array(Experiment), experiments)
    yield* printTable(
      ["id", "name", "stage", "created", "artifact location"],
      experiments.map((e) => [
        e.experimentId,
        e.name,
        e.lifecycleStage,
        formatTime(e.creationTime),
        e.artifactLocation
      ]),
      "no experiments"
    )
  }).pipe(withBackend(flags))
).pipe(Command.withDescription("List experiments"))

const create = Command.make(
  "create",
  { ...backendOptions, name: Args.text({ name: "NAME" }).pipe(Args.withDescription("Experiment name")) },
  (flags) =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const experiment = yield* tracker.createExperiment({ name: flags.name })
      if (flags.json) return yield* printJson(Experiment, experiment)
      yield* Console.log(`created experiment "${experiment.name}" with id ${experiment.experimentId}`)
    }).pipe(withBackend(flags))
).pipe(Command.withDescription("Create an experiment and print its id"))

export const experimentsCommand = group("experiments", "Create and list experiments", ["list", "create"]).pipe(
  Command.withSubcommands([list, create])
)
