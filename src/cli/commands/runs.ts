import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option, Schema } from "effect"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import type { Forbidden, InvalidArgument } from "../../core/errors.js"
import type { ExperimentNotFound } from "../../core/tracking/errors.js"
import { type ExperimentId, Run } from "../../core/tracking/model.js"
import { backendOptions, withBackend } from "../backend.js"
import { group } from "../group.js"
import { parseExperimentId, parseRunId } from "../ids.js"
import { formatFields, formatNumber, formatTable, formatTime, printJson, printTable, truncate } from "../output.js"
import { collectPages } from "../pages.js"
import { viewOption } from "./experiments.js"

const experimentOption = Options.text("experiment").pipe(
  Options.withAlias("e"),
  Options.withDescription("Experiment id, or name when not a number; repeat for several experiments"),
  Options.atLeast(1)
)

const filterOption = Options.text("filter").pipe(
  Options.withDescription("MLflow filter, e.g. \"metrics.acc > 0.9 AND params.lr = '0.01'\""),
  Options.optional
)

const orderByOption = Options.text("order-by").pipe(
  Options.withDescription('Sort key such as "metrics.acc DESC"; repeat for tie-breaks'),
  Options.repeated
)

const maxResultsOption = Options.integer("max-results").pipe(
  Options.withDescription("Print at most this many runs (default: all that match)"),
  Options.optional
)

// A number is an id; anything else is looked up by name.
const resolveExperiment = (
  tracker: typeof ExperimentTracker.Service,
  ref: string
): Effect.Effect<ExperimentId, InvalidArgument | ExperimentNotFound | Forbidden> =>
  /^\d+$/.test(ref)
    ? parseExperimentId(ref)
    : Effect.map(tracker.getExperimentByName(ref), (experiment): ExperimentId => experiment.experimentId)

const metricSummary = (run: Run): string =>
  truncate(run.data.metrics.map((metric) => `${metric.key}=${formatNumber(metric.value)}`).join(" "), 60)

const list = Command.make(
  "list",
  {
    ...backendOptions,
    experiment: experimentOption,
    filter: filterOption,
    orderBy: orderByOption,
    maxResults: maxResultsOption,
    view: viewOption
  },
  (flags) =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const experimentIds = yield* Effect.forEach(flags.experiment, (ref) => resolveExperiment(tracker, ref))
      const runs = yield* collectPages(
        (page) =>
          tracker.searchRuns({
            ...page,
            experimentIds,
            orderBy: flags.orderBy,
            viewType: flags.view,
            ...Option.match(flags.filter, { onNone: () => ({}), onSome: (filter) => ({ filter }) })
          }),
        Option.match(flags.maxResults, { onNone: () => ({}), onSome: (limit) => ({ limit }) })
      )
      if (flags.json) return yield* printJson(Schema.Array(Run), runs)
      // The lifecycle stage matters only when deleted runs are listed too.
      const withStage = flags.view !== "ACTIVE_ONLY"
      yield* printTable(
        ["run id", "name", "status", ...(withStage ? ["stage"] : []), "started", "metrics"],
        runs.map((run) => [
          run.info.runId,
          run.info.runName,
          run.info.status,
          ...(withStage ? [run.info.lifecycleStage] : []),
          formatTime(run.info.startTime),
          metricSummary(run)
        ]),
        "no runs"
      )
    }).pipe(withBackend(flags))
).pipe(Command.withDescription("Search the runs of one or more experiments"))

const section = (title: string, headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>) =>
  rows.length === 0 ? [] : ["", `${title}:`, formatTable(headers, rows)]

const describeRun = (run: Run): string => {
  const { info, data } = run
  return [
    formatFields([
      ["run id", info.runId],
      ["name", info.runName],
      ["experiment", info.experimentId],
      ["status", info.status],
      ["stage", info.lifecycleStage],
      ["user", info.userId],
      ["started", formatTime(info.startTime)],
      ["ended", formatTime(info.endTime)],
      ["artifacts", info.artifactUri]
    ]),
    ...section(
      "params",
      ["key", "value"],
      data.params.map((p) => [p.key, p.value])
    ),
    ...section(
      "metrics",
      ["key", "value", "step", "time"],
      data.metrics.map((m) => [m.key, formatNumber(m.value), String(m.step), formatTime(m.timestamp) ?? "-"])
    ),
    ...section(
      "tags",
      ["key", "value"],
      data.tags.map((t) => [t.key, truncate(t.value, 80)])
    ),
    ...section(
      "inputs",
      ["dataset", "digest", "source"],
      run.inputs.map((i) => [i.dataset.name, i.dataset.digest, i.dataset.source])
    )
  ].join("\n")
}

const show = Command.make(
  "show",
  { ...backendOptions, runId: Args.text({ name: "RUN_ID" }).pipe(Args.withDescription("32 hex characters")) },
  (flags) =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const run = yield* tracker.getRun(yield* parseRunId(flags.runId))
      if (flags.json) return yield* printJson(Run, run)
      yield* Console.log(describeRun(run))
    }).pipe(withBackend(flags))
).pipe(Command.withDescription("Show a run: info, params, latest metrics, tags and dataset inputs"))

export const runsCommand = group("runs", "Search and inspect runs", ["list", "show"]).pipe(
  Command.withSubcommands([list, show])
)
