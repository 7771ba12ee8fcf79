import { Effect, Option, Schema } from "effect"
import { CurrentTenant } from "../../core/context.js"
import type { ModelRegistryShape } from "../../core/registry/ModelRegistry.js"
import type { ExperimentTrackerShape } from "../../core/tracking/ExperimentTracker.js"
import { RunId } from "../../core/tracking/model.js"
import type { TrackedRule } from "./model.js"

/** The latest value of a tracked rule's metric and the run it was read from. */
export interface TrackedReading {
  readonly runId: RunId
  /** `None` when the run has no such metric (no data: the condition does not hold). */
  readonly value: Option.Option<number>
}

/** Why a tracked rule could not be evaluated this tick (its alerts keep their state). */
export interface ReadFailure {
  readonly _tag: "ReadFailure"
  readonly reason: string
}

const decodeRunId = Schema.decode(RunId)

const failure = (error: { readonly message: string }): ReadFailure => ({ _tag: "ReadFailure", reason: error.message })

/**
 * Reads tracked rules' values through the tracking and registry services, in
 * each rule's tenant, so the same code serves SQLite, PostgreSQL under
 * row-level security and the in-memory stores.
 */
export const makeTrackedReader = (tracker: ExperimentTrackerShape, registry: ModelRegistryShape) => {
  const selectRun = (rule: TrackedRule): Effect.Effect<Option.Option<RunId>, ReadFailure> => {
    const select = rule.select
    if ("runId" in select) return Effect.succeed(Option.some(select.runId))
    if ("alias" in select || "version" in select)
      return (
        "alias" in select
          ? registry.getVersionByAlias(select.model, select.alias)
          : registry.getModelVersion(select.model, select.version)
      ).pipe(
        Effect.mapError(failure),
        Effect.flatMap((version) => {
          if (select.runTag === undefined) return Effect.succeed(Option.fromNullable(version.runId))
          const tagged = version.tags.find((tag) => tag.key === select.runTag)?.value
          return tagged === undefined
            ? Effect.succeedNone
            : decodeRunId(tagged).pipe(
                Effect.map(Option.some),
                Effect.mapError(() =>
                  failure({ message: `tag ${select.runTag} of ${select.model} v${version.version} is not a run id` })
                )
              )
        })
      )
    return tracker.getExperimentByName(select.experiment).pipe(
      Effect.flatMap((experiment) =>
        tracker.searchRuns({
          experimentIds: [experiment.experimentId],
          ...(select.filter === undefined ? {} : { filter: select.filter }),
          orderBy: ["attributes.start_time DESC"],
          maxResults: 1,
          select: { metrics: [], params: [], tags: [] }
        })
      ),
      Effect.map((page) => Option.fromNullable(page.items[0]?.info.runId)),
      Effect.mapError(failure)
    )
  }

  /** `None` when the selector names no run yet (e.g. a monitoring experiment without runs). */
  return (rule: TrackedRule): Effect.Effect<Option.Option<TrackedReading>, ReadFailure> =>
    selectRun(rule).pipe(
      Effect.flatMap(
        Option.match({
          onNone: () => Effect.succeedNone,
          onSome: (runId) =>
            tracker.getRun(runId).pipe(
              Effect.map((run) =>
                Option.some<TrackedReading>({
                  runId,
                  value: Option.map(
                    Option.fromNullable(run.data.metrics.find((metric) => metric.key === rule.metric)),
                    (metric) => metric.value
                  )
                })
              ),
              Effect.mapError(failure)
            )
        })
      ),
      Effect.provideService(CurrentTenant, rule.tenant)
    )
}
