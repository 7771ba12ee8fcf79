import * as fs from "node:fs"
import * as path from "node:path"
import { Context, Effect, Exit, Option } from "effect"
import type { InvalidArgument, LimitExceeded } from "../errors.js"
import type { ExperimentAlreadyExists, ExperimentNotActive, ExperimentNotFound, RunNotFound } from "./errors.js"
import { ExperimentTracker, type RunWriteError } from "./ExperimentTracker.js"
import type { DatasetInput, ExperimentId, MetricInput, Run, RunId, RunStatus } from "./model.js"
import { SystemTags } from "./naming.js"

/**
 * The run that `Tracking.*` helpers log to, set by {@link withRun} for the
 * duration of its body (like MLflow's active run).
 */
export class CurrentRun extends Context.Tag("effect-mlops/core/CurrentRun")<
  CurrentRun,
  { readonly runId: RunId; readonly experimentId: ExperimentId }
>() {}

/** Which run {@link withRun} opens: a new one in an experiment, or an existing one to resume. */
export type RunTarget =
  | {
      /** Experiment by name; created when missing, as `mlflow.set_experiment` does. */
      readonly experiment: string
      readonly runName?: string
      readonly tags?: Readonly<Record<string, string>>
    }
  | {
      readonly experimentId: ExperimentId
      readonly runName?: string
      readonly tags?: Readonly<Record<string, string>>
    }
  | { readonly runId: RunId }

/** Errors of opening the run of {@link withRun}. */
export type OpenRunError =
  | ExperimentNotFound
  | ExperimentNotActive
  | ExperimentAlreadyExists
  | RunNotFound
  | RunWriteError
  | InvalidArgument
  | LimitExceeded

// The commit of the git checkout containing `dir`, read from .git without spawning git.
const gitCommit = (dir: string): string | undefined => {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const gitDir = path.join(current, ".git")
    if (fs.existsSync(path.join(gitDir, "HEAD"))) {
      const head = fs.readFileSync(path.join(gitDir, "HEAD"), "utf8").trim()
      if (!head.startsWith("ref: ")) return head
      const ref = head.slice(5)
      const loose = path.join(gitDir, ref)
      if (fs.existsSync(loose)) return fs.readFileSync(loose, "utf8").trim()
      const packed = path.join(gitDir, "packed-refs")
      if (!fs.existsSync(packed)) return undefined
      const line = fs
        .readFileSync(packed, "utf8")
        .split("\n")
        .find((l) => l.endsWith(` ${ref}`))
      return line?.split(" ")[0]
    }
    if (path.dirname(current) === current) return undefined
  }
}

/** Reproducibility tags MLflow records on a new run: entry point, source type and git commit. */
const sourceTags = Effect.sync((): Record<string, string> => {
  const entry = process.argv[1]
  const commit = gitCommit(process.cwd())
  return {
    [SystemTags.sourceType]: "LOCAL",
    ...(entry ? { [SystemTags.sourceName]: entry } : {}),
    ...(commit ? { [SystemTags.gitCommit]: commit } : {})
  }
})

const experimentIdOf = (tracker: ExperimentTracker["Type"], name: string) =>
  tracker.getExperimentByName(name).pipe(
    Effect.catchTag("ExperimentNotFound", () =>
      tracker.createExperiment({ name }).pipe(
        // Another process created it first: use theirs.
        Effect.catchTag("ExperimentAlreadyExists", () => tracker.getExperimentByName(name))
      )
    ),
    Effect.map((e) => e.experimentId)
  )

const openRun = (tracker: ExperimentTracker["Type"], target: RunTarget) =>
  Effect.gen(function* () {
    if ("runId" in target) {
      const run = yield* tracker.getRun(target.runId)
      yield* tracker.updateRun(target.runId, { status: "RUNNING" })
      return run
    }
    const experimentId =
      "experiment" in target ? yield* experimentIdOf(tracker, target.experiment) : target.experimentId
    const parent = yield* Effect.serviceOption(CurrentRun)
    const tags: Record<string, string> = {
      ...(yield* sourceTags),
      ...(Option.isSome(parent) ? { [SystemTags.parentRunId]: parent.value.runId } : {}),
      ...target.tags
    }
    const run = yield* tracker.createRun({
      experimentId,
      ...(target.runName === undefined ? {} : { runName: target.runName }),
      tags: Object.entries(tags).map(([key, value]) => ({ key, value }))
    })
    yield* tracker.setTag(run.info.runId, SystemTags.user, run.info.userId)
    return run
  })

const finalStatus = (exit: Exit.Exit<unknown, unknown>): RunStatus =>
  Exit.isSuccess(exit) ? "FINISHED" : Exit.isInterrupted(exit) ? "KILLED" : "FAILED"

/**
 * Runs `body` inside a tracked run, like `with mlflow.start_run():`. The run
 * is created (or resumed with `{ runId }`), becomes the {@link CurrentRun},
 * gets MLflow's reproducibility tags (`mlflow.source.name`,
 * `mlflow.source.git.commit`, `mlflow.user`; `mlflow.parentRunId` when
 * nested), and ends FINISHED on success, FAILED on failure and KILLED on
 * interruption.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Tracking } from "effect-mlops"
 *
 * const train = Tracking.withRun({ experiment: "churn", runName: "baseline" }, () =>
 *   Effect.gen(function* () {
 *     yield* Tracking.logParams({ lr: "0.01" })
 *     for (let step = 0; step < 10; step++) yield* Tracking.logMetric("loss", 1 / (step + 1), { step })
 *   })
 * )
 * ```
 */
export const withRun = <A, E, R>(
  target: RunTarget,
  body: (run: Run) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | OpenRunError, Exclude<R, CurrentRun> | ExperimentTracker> =>
  Effect.flatMap(ExperimentTracker, (tracker) =>
    Effect.acquireUseRelease(
      openRun(tracker, target),
      (run) =>
        body(run).pipe(
          Effect.provideService(CurrentRun, { runId: run.info.runId, experimentId: run.info.experimentId })
        ),
      (run, exit) =>
        Effect.flatMap(
          Effect.clockWith((clock) => clock.currentTimeMillis),
          (endTime) => tracker.updateRun(run.info.runId, { status: finalStatus(exit), endTime })
        ).pipe(
          // The run was deleted meanwhile: there is nothing left to end.
          Effect.catchAll((error) => Effect.logWarning("could not end run", error))
        )
    )
  ).pipe(Effect.withSpan("Tracking.withRun"))

const inRun = <A, E>(f: (tracker: ExperimentTracker["Type"], runId: RunId) => Effect.Effect<A, E>) =>
  Effect.flatMap(Effect.all([ExperimentTracker, CurrentRun]), ([tracker, run]) => f(tracker, run.runId))

/** Logs one metric point to the current run; `step` defaults to 0 and `timestamp` to now. */
export const logMetric = (
  key: string,
  value: number,
  options: Omit<MetricInput, "key" | "value"> = {}
): Effect.Effect<void, RunWriteError, ExperimentTracker | CurrentRun> =>
  inRun((tracker, runId) => tracker.logMetric(runId, { key, value, ...options }))

/** Logs several metrics at one step to the current run, in one batch. */
export const logMetrics = (
  values: Readonly<Record<string, number>>,
  options: Omit<MetricInput, "key" | "value"> = {}
) =>
  inRun((tracker, runId) =>
    tracker.logBatch(runId, { metrics: Object.entries(values).map(([key, value]) => ({ key, value, ...options })) })
  )

/** Logs one param to the current run. */
export const logParam = (key: string, value: string | number | boolean) =>
  inRun((tracker, runId) => tracker.logParam(runId, key, String(value)))

/** Logs several params to the current run, in one batch. */
export const logParams = (params: Readonly<Record<string, string | number | boolean>>) =>
  inRun((tracker, runId) =>
    tracker.logBatch(runId, { params: Object.entries(params).map(([key, value]) => ({ key, value: String(value) })) })
  )

/** Sets a tag on the current run. */
export const setTag = (key: string, value: string) => inRun((tracker, runId) => tracker.setTag(runId, key, value))

/** Sets several tags on the current run, in one batch. */
export const setTags = (tags: Readonly<Record<string, string>>) =>
  inRun((tracker, runId) =>
    tracker.logBatch(runId, { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) })
  )

/** Records datasets used by the current run. */
export const logInputs = (datasets: ReadonlyArray<DatasetInput>) =>
  inRun((tracker, runId) => tracker.logInputs(runId, datasets))

/** The current run, as stored now. */
export const currentRun = inRun((tracker, runId) => tracker.getRun(runId))
