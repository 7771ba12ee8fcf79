import { Clock, Effect } from "effect"
import { CurrentPrincipal, CurrentTenant } from "../context.js"
import { InvalidArgument } from "../errors.js"
import { pageOf } from "../paging.js"
import { method, methodSpan } from "../spans.js"
import {
  ExperimentAlreadyExists,
  ExperimentNotActive,
  ExperimentNotFound,
  ParamAlreadyLogged,
  RunNotActive,
  RunNotFound,
  TagNotFound
} from "./errors.js"
import type { ExperimentTrackerShape } from "./ExperimentTracker.js"
import { compareExperiments, compareRuns, matchesExperiment, matchesRun } from "./filter/index.js"
import { planExperimentSearch, planHistory, planRunSearch } from "./queries.js"
import { selectRunData } from "./select.js"
import { downsampleWindow } from "./tiers.js"
import {
  type DatasetInput,
  DefaultExperimentId,
  Experiment,
  ExperimentId,
  ExperimentKeys,
  ExperimentSummary,
  type LifecycleStage,
  Metric,
  Param,
  Run,
  RunData,
  type RunId,
  RunInfo,
  Tag,
  type ViewType
} from "./model.js"
import { defaultArtifactLocation, generateRunName, newRunId, runArtifactUri, SystemTags } from "./naming.js"
import {
  compareHistory,
  isNewerMetric,
  type MetricRow,
  type ValidBatch,
  validateBatch,
  validateExperimentName,
  validateInputs,
  validateKeyValue,
  validateMetric,
  validateNewRun,
  validateRunUpdate,
  validateTags
} from "./validate.js"

// Rows and state this store wrote were validated on the way in; validating
// them again on every read cost most of searchRuns' time (bench/search.ts).
const trusted = { disableValidation: true } as const

interface ExperimentState {
  readonly experimentId: ExperimentId
  /** Names are unique per tenant. */
  readonly tenant: string
  name: string
  artifactLocation: string
  lifecycleStage: LifecycleStage
  readonly creationTime: number
  lastUpdateTime: number
  readonly tags: Map<string, string>
}

interface RunState {
  info: RunInfo
  readonly params: Map<string, string>
  readonly tags: Map<string, string>
  readonly latest: Map<string, MetricRow>
  readonly history: Map<string, Array<MetricRow>>
  readonly inputs: Map<string, DatasetInput>
  readonly batchKeys: Set<string>
}

const sortedPairs = <A>(map: Map<string, string>, make: (key: string, value: string) => A): Array<A> =>
  Array.from(map.keys())
    .sort()
    .map((key) => make(key, map.get(key)!))

const toExperiment = (state: ExperimentState): Experiment =>
  new Experiment(
    {
      experimentId: state.experimentId,
      name: state.name,
      artifactLocation: state.artifactLocation,
      lifecycleStage: state.lifecycleStage,
      creationTime: state.creationTime,
      lastUpdateTime: state.lastUpdateTime,
      tags: sortedPairs(state.tags, (key, value) => new Tag({ key, value }, trusted))
    },
    trusted
  )

const toMetric = (row: MetricRow): Metric => new Metric(row, trusted)

const toRun = (state: RunState): Run =>
  new Run(
    {
      info: state.info,
      data: new RunData(
        {
          metrics: Array.from(state.latest.keys())
            .sort()
            .map((key) => toMetric(state.latest.get(key)!)),
          params: sortedPairs(state.params, (key, value) => new Param({ key, value }, trusted)),
          tags: sortedPairs(state.tags, (key, value) => new Tag({ key, value }, trusted))
        },
        trusted
      ),
      inputs: Array.from(state.inputs.values())
    },
    trusted
  )

const inView = (stage: LifecycleStage, viewType: ViewType | undefined): boolean =>
  viewType === "ALL" || (viewType === "DELETED_ONLY" ? stage === "deleted" : stage === "active")

const datasetKey = (input: DatasetInput): string => `${input.dataset.name}\u0000${input.dataset.digest}`

/**
 * The in-memory ExperimentTracker: the same contract as the SQL store, with
 * state in plain maps private to one layer build. Each method validates
 * first and then mutates synchronously, so a failed call changes nothing
 * and concurrent fibers never observe a half-applied batch.
 */
export const make: Effect.Effect<ExperimentTrackerShape> = Effect.sync(() => {
  const experiments = new Map<string, ExperimentState>()
  const runs = new Map<string, RunState>()
  let nextExperimentId = 1
  experiments.set(DefaultExperimentId, {
    experimentId: DefaultExperimentId,
    tenant: "default",
    name: "Default",
    artifactLocation: defaultArtifactLocation(DefaultExperimentId),
    lifecycleStage: "active",
    creationTime: 0,
    lastUpdateTime: 0,
    tags: new Map()
  })

  const findExperiment = (experimentId: string) => {
    const found = experiments.get(experimentId)
    return found ? Effect.succeed(found) : Effect.fail(new ExperimentNotFound({ experiment: experimentId }))
  }
  const findRun = (runId: string) => {
    const found = runs.get(runId)
    return found ? Effect.succeed(found) : Effect.fail(new RunNotFound({ runId }))
  }
  const activeRun = (runId: string) =>
    Effect.flatMap(findRun(runId), (run) =>
      run.info.lifecycleStage === "active" ? Effect.succeed(run) : Effect.fail(new RunNotActive({ runId }))
    )
  const findByName = (tenant: string, name: string) =>
    Array.from(experiments.values()).find((e) => e.tenant === tenant && e.name === name)

  const applyBatch = (run: RunState, batch: ValidBatch): ParamAlreadyLogged | undefined => {
    for (const { key, value } of batch.params) {
      const logged = run.params.get(key)
      if (logged !== undefined && logged !== value) {
        return new ParamAlreadyLogged({ runId: run.info.runId, key, loggedValue: logged, newValue: value })
      }
    }
    for (const { key, value } of batch.params) run.params.set(key, value)
    for (const { key, value } of batch.tags) run.tags.set(key, value)
    for (const input of batch.metrics) {
      // Validated rows may be the caller's own objects: store a copy.
      const row: MetricRow = { key: input.key, value: input.value, timestamp: input.timestamp, step: input.step }
      let series = run.history.get(row.key)
      if (series === undefined) {
        series = []
        run.history.set(row.key, series)
      }
      series.push(row)
      const latest = run.latest.get(row.key)
      if (latest === undefined || isNewerMetric(row, latest)) run.latest.set(row.key, row)
    }
    return undefined
  }

  const logValidBatch = (runId: RunId, batch: ValidBatch, idempotencyKey?: string) =>
    Effect.flatMap(activeRun(runId), (run) => {
      if (idempotencyKey !== undefined && run.batchKeys.has(idempotencyKey)) return Effect.void
      const conflict = applyBatch(run, batch)
      if (conflict) return Effect.fail(conflict)
      if (idempotencyKey !== undefined) run.batchKeys.add(idempotencyKey)
      return Effect.void
    })

  const setLifecycle = (run: RunState, stage: LifecycleStage) => {
    run.info = new RunInfo({ ...run.info, lifecycleStage: stage }, trusted)
  }

  const shape: ExperimentTrackerShape = {
    createExperiment: method("ExperimentTracker.createExperiment")(function* (input) {
      const invalid = validateExperimentName(input.name) ?? validateTags(input.tags)
      if (invalid) return yield* invalid
      const tenant = yield* CurrentTenant
      if (findByName(tenant, input.name)) return yield* new ExperimentAlreadyExists({ name: input.name })
      const now = yield* Clock.currentTimeMillis
      const experimentId = ExperimentId.make(String(nextExperimentId++))
      const state: ExperimentState = {
        experimentId,
        tenant,
        name: input.name,
        artifactLocation: input.artifactLocation ?? defaultArtifactLocation(experimentId),
        lifecycleStage: "active",
        creationTime: now,
        lastUpdateTime: now,
        tags: new Map((input.tags ?? []).map((t) => [t.key, t.value]))
      }
      experiments.set(experimentId, state)
      return toExperiment(state)
    }),

    getExperiment: (experimentId) =>
      findExperiment(experimentId).pipe(Effect.map(toExperiment), methodSpan("ExperimentTracker.getExperiment")),

    getExperimentByName: method("ExperimentTracker.getExperimentByName")(function* (name) {
      const found = findByName(yield* CurrentTenant, name)
      if (found === undefined) return yield* new ExperimentNotFound({ experiment: name })
      return toExperiment(found)
    }),

    searchExperiments: method("ExperimentTracker.searchExperiments")(function* (query = {}) {
      const plan = yield* planExperimentSearch(query)
      const all = Array.from(experiments.values())
        .map(toExperiment)
        .filter((e) => inView(e.lifecycleStage, query.viewType))
        .filter(matchesExperiment(plan.filter))
        .sort(compareExperiments(plan.orderBy))
      return pageOf(all, plan.page)
    }),

    renameExperiment: method("ExperimentTracker.renameExperiment")(function* (experimentId, newName) {
      const invalid = validateExperimentName(newName)
      if (invalid) return yield* invalid
      const state = yield* findExperiment(experimentId)
      if (state.name === newName) return
      if (findByName(state.tenant, newName)) return yield* new ExperimentAlreadyExists({ name: newName })
      state.name = newName
      state.lastUpdateTime = yield* Clock.currentTimeMillis
    }),

    setExperimentTag: method("ExperimentTracker.setExperimentTag")(function* (experimentId, key, value) {
      const invalid = validateKeyValue(key, value)
      if (invalid) return yield* invalid
      const state = yield* findExperiment(experimentId)
      state.tags.set(key, value)
    }),

    deleteExperimentTag: method("ExperimentTracker.deleteExperimentTag")(function* (experimentId, key) {
      const state = yield* findExperiment(experimentId)
      state.tags.delete(key)
    }),

    deleteExperiment: method("ExperimentTracker.deleteExperiment")(function* (experimentId) {
      if (experimentId === DefaultExperimentId) {
        return yield* new InvalidArgument({ field: "experimentId", reason: "the Default experiment cannot be deleted" })
      }
      const state = yield* findExperiment(experimentId)
      state.lifecycleStage = "deleted"
      state.lastUpdateTime = yield* Clock.currentTimeMillis
      for (const run of runs.values()) {
        if (run.info.experimentId === experimentId) setLifecycle(run, "deleted")
      }
    }),

    restoreExperiment: method("ExperimentTracker.restoreExperiment")(function* (experimentId) {
      const state = yield* findExperiment(experimentId)
      state.lifecycleStage = "active"
      state.lastUpdateTime = yield* Clock.currentTimeMillis
      for (const run of runs.values()) {
        if (run.info.experimentId === experimentId) setLifecycle(run, "active")
      }
    }),

    createRun: method("ExperimentTracker.createRun")(function* (input) {
      const invalid = validateNewRun(input)
      if (invalid) return yield* invalid
      const experiment = yield* findExperiment(input.experimentId)
      if (experiment.lifecycleStage !== "active") {
        return yield* new ExperimentNotActive({ experimentId: input.experimentId })
      }
      const principal = yield* CurrentPrincipal
      const runId = newRunId()
      const runName = input.runName || generateRunName()
      const userId = input.userId ?? principal.id
      const run: RunState = {
        info: new RunInfo(
          {
            runId,
            experimentId: experiment.experimentId,
            runName,
            userId,
            status: "RUNNING",
            startTime: input.startTime ?? (yield* Clock.currentTimeMillis),
            endTime: null,
            artifactUri: runArtifactUri(experiment.artifactLocation, runId),
            lifecycleStage: "active"
          },
          trusted
        ),
        params: new Map(),
        tags: new Map([
          ...(input.tags ?? []).map((t): [string, string] => [t.key, t.value]),
          [SystemTags.runName, runName]
        ]),
        latest: new Map(),
        history: new Map(),
        inputs: new Map(),
        batchKeys: new Set()
      }
      runs.set(runId, run)
      return toRun(run)
    }),

    getRun: (runId) => findRun(runId).pipe(Effect.map(toRun), methodSpan("ExperimentTracker.getRun")),

    updateRun: method("ExperimentTracker.updateRun")(function* (runId, update) {
      const invalid = validateRunUpdate(update)
      if (invalid) return yield* invalid
      const run = yield* activeRun(runId)
      const runName = update.runName || run.info.runName
      run.info = new RunInfo(
        {
          ...run.info,
          runName,
          status: update.status ?? run.info.status,
          endTime: update.endTime === undefined ? run.info.endTime : update.endTime
        },
        trusted
      )
      if (update.runName) run.tags.set(SystemTags.runName, runName)
      return run.info
    }),

    deleteRun: method("ExperimentTracker.deleteRun")(function* (runId) {
      setLifecycle(yield* findRun(runId), "deleted")
    }),

    restoreRun: method("ExperimentTracker.restoreRun")(function* (runId) {
      setLifecycle(yield* findRun(runId), "active")
    }),

    logParam: method("ExperimentTracker.logParam")(function* (runId, key, value) {
      const invalid = validateKeyValue(key, value)
      if (invalid) return yield* invalid
      yield* logValidBatch(runId, { metrics: [], params: [{ key, value }], tags: [] })
    }),

    logMetric: method("ExperimentTracker.logMetric")(function* (runId, metric) {
      const row = yield* validateMetric(metric, yield* Clock.currentTimeMillis)
      // A batch without params cannot conflict.
      applyBatch(yield* activeRun(runId), { metrics: [row], params: [], tags: [] })
    }),

    setTag: method("ExperimentTracker.setTag")(function* (runId, key, value) {
      const invalid = validateKeyValue(key, value)
      if (invalid) return yield* invalid
      const run = yield* activeRun(runId)
      run.tags.set(key, value)
      if (key === SystemTags.runName) run.info = new RunInfo({ ...run.info, runName: value }, trusted)
    }),

    deleteTag: method("ExperimentTracker.deleteTag")(function* (runId, key) {
      const run = yield* activeRun(runId)
      if (!run.tags.delete(key)) return yield* new TagNotFound({ runId, key })
    }),

    logBatch: method("ExperimentTracker.logBatch")(function* (runId, batch) {
      const valid = yield* validateBatch(batch, yield* Clock.currentTimeMillis)
      yield* logValidBatch(runId, valid, batch.idempotencyKey)
    }),

    logInputs: method("ExperimentTracker.logInputs")(function* (runId, datasets) {
      const invalid = validateInputs(datasets)
      if (invalid) return yield* invalid
      const run = yield* activeRun(runId)
      for (const input of datasets) {
        if (!run.inputs.has(datasetKey(input))) run.inputs.set(datasetKey(input), input)
      }
    }),

    getMetricHistory: method("ExperimentTracker.getMetricHistory")(function* (query) {
      const run = yield* findRun(query.runId)
      const window = (run.history.get(query.key) ?? [])
        .filter(
          (p) =>
            (query.startStep === undefined || p.step >= query.startStep) &&
            (query.endStep === undefined || p.step <= query.endStep) &&
            (query.startTime === undefined || p.timestamp >= query.startTime) &&
            (query.endTime === undefined || p.timestamp <= query.endTime)
        )
        .sort(compareHistory)
      const plan = yield* planHistory(query)
      if (plan._tag === "Downsample") {
        return { items: downsampleWindow(window, plan.maxPoints).map(toMetric), nextPageToken: null }
      }
      const page = pageOf(window, plan.page)
      return { items: page.items.map(toMetric), nextPageToken: page.nextPageToken }
    }),

    getExperimentSummaries: method("ExperimentTracker.getExperimentSummaries")(function* (experimentIds) {
      return experimentIds.flatMap((experimentId) => {
        if (!experiments.has(experimentId)) return []
        let runCount = 0
        let activeRunCount = 0
        let lastActivity: number | null = null
        for (const run of runs.values()) {
          if (run.info.experimentId !== experimentId) continue
          runCount++
          if (run.info.lifecycleStage === "active") activeRunCount++
          const activity = Math.max(run.info.startTime, run.info.endTime ?? run.info.startTime)
          lastActivity = lastActivity === null ? activity : Math.max(lastActivity, activity)
        }
        return [new ExperimentSummary({ experimentId, runCount, activeRunCount, lastActivity }, trusted)]
      })
    }),

    getExperimentKeys: method("ExperimentTracker.getExperimentKeys")(function* (experimentId) {
      yield* findExperiment(experimentId)
      const metrics = new Set<string>()
      const params = new Set<string>()
      const tags = new Set<string>()
      for (const run of runs.values()) {
        if (run.info.experimentId !== experimentId || run.info.lifecycleStage !== "active") continue
        for (const key of run.latest.keys()) metrics.add(key)
        for (const key of run.params.keys()) params.add(key)
        for (const key of run.tags.keys()) tags.add(key)
      }
      const sorted = (keys: Set<string>) => Array.from(keys).sort()
      return new ExperimentKeys({ metrics: sorted(metrics), params: sorted(params), tags: sorted(tags) }, trusted)
    }),

    searchRuns: method("ExperimentTracker.searchRuns")(function* (query) {
      const plan = yield* planRunSearch(query)
      const experimentIds = new Set<string>(query.experimentIds)
      const all = Array.from(runs.values())
        .filter((r) => experimentIds.has(r.info.experimentId) && inView(r.info.lifecycleStage, query.viewType))
        .map(toRun)
        .filter(matchesRun(plan.filter))
        .sort(compareRuns(plan.orderBy))
      const page = pageOf(all, plan.page)
      return { ...page, items: page.items.map((run) => selectRunData(run, query.select)) }
    })
  }
  return shape
})
