import * as fs from "node:fs"
import * as path from "node:path"
import { Context, Effect, Exit, Option, Scope } from "effect"
import { CurrentPrincipal } from "../context.js"
import type { Forbidden, InvalidArgument, LimitExceeded } from "../errors.js"
import type { ExperimentAlreadyExists, ExperimentNotActive, ExperimentNotFound, RunNotFound } from "./errors.js"
import { ExperimentTracker, type RunWriteError } from "./ExperimentTracker.js"
import type { DatasetInput, ExperimentId, MetricInput, Run, RunId, RunStatus } from "./model.js"
import { SystemTags } from "./naming.js"
import { type SystemMetricsOptions, systemMetricsRecorder } from "./systemMetrics.js"

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
  | Forbidden

const readText = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8").trim()
  } catch {
    return undefined
  }
}

// The git directory of the checkout containing `dir`. In worktrees and
// submodules `.git` is a file pointing at it (`gitdir: <path>`).
const findGitDir = (dir: string): string | undefined => {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const dotGit = path.join(current, ".git")
    if (fs.existsSync(path.join(dotGit, "HEAD"))) return dotGit
    const pointer = readText(dotGit)
    if (pointer?.startsWith("gitdir: ")) return path.resolve(current, pointer.slice(8))
    if (path.dirname(current) === current) return undefined
  }
}

// The commit checked out in `dir`, read from the git directory without spawning git.
const gitCommit = (dir: string): string | undefined => {
  const gitDir = findGitDir(dir)
  if (gitDir === undefined) return undefined
  const head = readText(path.join(gitDir, "HEAD"))
  if (head === undefined || !head.startsWith("ref: ")) return head
  const ref = head.slice(5)
  // A worktree keeps its HEAD but shares refs with the main repository (`commondir`).
  const common = readText(path.join(gitDir, "commondir"))
  const refsDir = common === undefined ? gitDir : path.resolve(gitDir, common)
  for (const base of [gitDir, refsDir]) {
    const loose = readText(path.join(base, ref))
    if (loose !== undefined) return loose
  }
  return readText(path.join(refsDir, "packed-refs"))
    ?.split("\n")
    .find((line) => line.endsWith(` ${ref}`))
    ?.split(" ")[0]
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
      // As MLflow does on resume: running again, and no end time until it ends.
      yield* tracker.updateRun(target.runId, { status: "RUNNING", endTime: null })
      return yield* tracker.getRun(target.runId)
    }
    const experimentId =
      "experiment" in target ? yield* experimentIdOf(tracker, target.experiment) : target.experimentId
    const parent = yield* Effect.serviceOption(CurrentRun)
    const principal = yield* CurrentPrincipal
    const tags: Record<string, string> = {
      ...(yield* sourceTags),
      [SystemTags.user]: principal.id,
      ...(Option.isSome(parent) ? { [SystemTags.parentRunId]: parent.value.runId } : {}),
      ...target.tags
    }
    return yield* tracker.createRun({
      experimentId,
      ...(target.runName === undefined ? {} : { runName: target.runName }),
      tags: Object.entries(tags).map(([key, value]) => ({ key, value }))
    })
  })

/** Options of {@link withRun}. */
export interface WithRunOptions {
  /**
   * Samples the machine's and the process's CPU, memory, disk and network
   * every `interval` (default 10 seconds) into the run as `system/*`
   * metrics, as MLflow's `log_system_metrics`, until the body ends.
   */
  readonly systemMetrics?: SystemMetricsOptions
}

// The recorder gets a scope of its own: the body's scoped resources stay the caller's.
const recordingBeside =
  (recording: Effect.Effect<void, never, Scope.Scope> | undefined) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    recording === undefined
      ? self
      : Effect.acquireUseRelease(
          Scope.make(),
          (scope) => Effect.zipRight(Scope.extend(recording, scope), self),
          Scope.close
        )

const finalStatus = (exit: Exit.Exit<unknown, unknown>): RunStatus =>
  Exit.isSuccess(exit) ? "FINISHED" : Exit.isInterrupted(exit) ? "KILLED" : "FAILED"

/**
 * Runs `body` inside a tracked run, like `with mlflow.start_run():`. The run
 * is created (or resumed with `{ runId }`), becomes the {@link CurrentRun},
 * gets MLflow's reproducibility tags (`mlflow.source.name`,
 * `mlflow.source.git.commit`, `mlflow.user`; `mlflow.parentRunId` when
 * nested), and ends FINISHED on success, FAILED on failure and KILLED on
 * interruption. With `options.systemMetrics` the run also records
 * `system/*` metrics while the body runs; the last ones are written before
 * the run ends (waiting at most `finalFlushTimeout` for a slow tracker), and
 * a failure or defect while sampling or writing them is logged, never
 * failing the body.
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
 *   }),
 *   { systemMetrics: { interval: "30 seconds" } }
 * )
 * ```
 */
export const withRun = <A, E, R>(
  target: RunTarget,
  body: (run: Run) => Effect.Effect<A, E, R>,
  options: WithRunOptions = {}
): Effect.Effect<A, E | OpenRunError, Exclude<R, CurrentRun> | ExperimentTracker> =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    // Bad options fail before a run is opened.
    const recorder =
      options.systemMetrics === undefined ? undefined : yield* systemMetricsRecorder(options.systemMetrics)
    return yield* Effect.acquireUseRelease(
      openRun(tracker, target),
      (run) =>
        body(run).pipe(
          Effect.provideService(CurrentRun, { runId: run.info.runId, experimentId: run.info.experimentId }),
          recordingBeside(recorder?.(tracker, run.info.runId))
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
  }).pipe(Effect.withSpan("Tracking.withRun"))

const inRun = <A, E>(f: (tracker: ExperimentTracker["Type"], runId: RunId) => Effect.Effect<A, E>) =>
  Effect.flatMap(Effect.all([ExperimentTracker, CurrentRun]), ([tracker, run]) => f(tracker, run.runId))

/** Logs one metric point to the current run; `step` defaults to 0 and `timestamp` to now. */
export const logMetric = (
  key: string,
  value: number,
  options: Omit<MetricInput, "key" | "value"> = {}
): Effect.Effect<void, RunWriteError | Forbidden, ExperimentTracker | CurrentRun> =>
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
