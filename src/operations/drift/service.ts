import { Clock, Effect, Option, Schema } from "effect"
import { Datasets } from "../../core/data/Datasets.js"
import { DataSource } from "../../core/data/model.js"
import { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import type { ModelVersionNumber } from "../../core/registry/model.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { type MetricInput, RunId } from "../../core/tracking/model.js"
import { compareColumns, OVERALL, profileColumns } from "./compare.js"
import type { DriftMonitorShape } from "./DriftMonitor.js"
import type { DriftConfig, DriftReport, DriftVerdict } from "./model.js"
import { columnsFromRecords } from "./records.js"

/** Tag of the monitoring run and its experiment naming the model. */
export const MONITORING_MODEL_TAG = "mlops.monitoring.model"
/** Tag of the monitoring run naming the model version. */
export const MONITORING_VERSION_TAG = "mlops.monitoring.version"
/** Tag of the model version pointing at its monitoring run. */
export const MONITORING_RUN_TAG = "mlops.monitoring.run_id"

const verdictCode: Record<DriftVerdict, number> = { stable: 0, warning: 1, drift: 2 }

/** The metrics a report is logged as (see `DriftMonitorShape.logReport`). */
export const reportMetrics = (report: DriftReport, step: number, timestamp: number): Array<MetricInput> => {
  const metric = (key: string, value: number): MetricInput => ({ key: `drift/${key}`, value, step, timestamp })
  const metrics: Array<MetricInput> = []
  for (const f of report.features) {
    const name = f.feature
    metrics.push(metric(`${name}/psi`, f.psi), metric(`${name}/verdict`, verdictCode[f.verdict]))
    if (f._tag === "NumericDrift") {
      metrics.push(metric(`${name}/ks_statistic`, f.ksStatistic), metric(`${name}/ks_pvalue`, f.ksPValue))
    } else {
      metrics.push(
        metric(`${name}/chi2_statistic`, f.chi2),
        metric(`${name}/chi2_pvalue`, f.pValue),
        metric(`${name}/chi2_cramers_v`, f.cramersV)
      )
    }
  }
  metrics.push(
    metric(`${OVERALL}/drifted_features`, report.driftedFeatures),
    metric(`${OVERALL}/warning_features`, report.warningFeatures),
    metric(`${OVERALL}/max_psi`, report.maxPsi),
    metric(`${OVERALL}/verdict`, verdictCode[report.verdict])
  )
  return metrics
}

/** Where a report is logged: a model version and the batch's position in its stream of batches. */
export interface DriftMonitoringTarget {
  readonly model: string
  readonly version: ModelVersionNumber
  /** The batch index, logged as the metrics' step. */
  readonly step: number
}

/**
 * Builds the DriftMonitor over the services it reads and writes; the tag's
 * `DriftMonitor.layer` is this effect as a layer. Within one instance,
 * `monitoringRun` (and so `logReport`) is serialised per model version, so
 * concurrent first reports share one run. Across processes it is not: two
 * first reports racing may each start a run, and the version's
 * `mlops.monitoring.run_id` tag keeps the last writer's, which later reports use.
 *
 * @example
 * ```ts
 * const drift = yield* make.pipe(
 *   Effect.provide(Layer.mergeAll(Datasets.layerMemory, ExperimentTracker.layerMemory, ModelRegistry.layerMemory))
 * )
 * ```
 */
export const make: Effect.Effect<DriftMonitorShape, never, Datasets | ExperimentTracker | ModelRegistry> = Effect.gen(
  function* () {
    const datasets = yield* Datasets
    const tracker = yield* ExperimentTracker
    const registry = yield* ModelRegistry

    const monitoringExperiment = (model: string) => {
      const name = `monitoring/${model}`
      return tracker
        .getExperimentByName(name)
        .pipe(
          Effect.catchTag("ExperimentNotFound", () =>
            tracker
              .createExperiment({ name, tags: [{ key: MONITORING_MODEL_TAG, value: model }] })
              .pipe(Effect.catchTag("ExperimentAlreadyExists", () => tracker.getExperimentByName(name)))
          )
        )
    }

    const findOrStartRun = Effect.fnUntraced(function* (model: string, version: ModelVersionNumber) {
      const modelVersion = yield* registry.getModelVersion(model, version)
      const linked = modelVersion.tags.find((tag) => tag.key === MONITORING_RUN_TAG)
      if (linked !== undefined) {
        const runId = Schema.decodeUnknownOption(RunId)(linked.value)
        if (Option.isSome(runId)) {
          const run = yield* tracker.getRun(runId.value).pipe(
            Effect.map(Option.some),
            Effect.catchTag("RunNotFound", () => Effect.succeedNone)
          )
          if (Option.isSome(run) && run.value.info.lifecycleStage === "active" && run.value.info.status === "RUNNING") {
            return run.value.info.runId
          }
        }
      }
      const experiment = yield* monitoringExperiment(model)
      const run = yield* tracker.createRun({
        experimentId: experiment.experimentId,
        runName: `${model} v${version} monitoring`,
        tags: [
          { key: MONITORING_MODEL_TAG, value: model },
          { key: MONITORING_VERSION_TAG, value: version }
        ]
      })
      yield* registry.setModelVersionTag(model, version, MONITORING_RUN_TAG, run.info.runId)
      return run.info.runId
    })

    // One lock per model version ever monitored by this instance (a few bytes each), keyed
    // without the tenant: versions of equal names in two tenants only wait for each other.
    const locks = new Map<string, Effect.Semaphore>()
    const lockOf = (model: string, version: ModelVersionNumber) =>
      Effect.sync(() => {
        const key = JSON.stringify([model, version])
        const existing = locks.get(key)
        if (existing !== undefined) return existing
        const lock = Effect.unsafeMakeSemaphore(1)
        locks.set(key, lock)
        return lock
      })

    const monitoringRun = Effect.fn("DriftMonitor.monitoringRun")(function* (
      model: string,
      version: ModelVersionNumber
    ) {
      const lock = yield* lockOf(model, version)
      return yield* lock.withPermits(1)(findOrStartRun(model, version))
    })

    const logReport = Effect.fn("DriftMonitor.logReport")(
      function* (target: DriftMonitoringTarget, report: DriftReport) {
        const runId = yield* monitoringRun(target.model, target.version)
        const now = yield* Clock.currentTimeMillis
        yield* tracker.logBatch(runId, { metrics: reportMetrics(report, target.step, now) })
        return runId
      },
      // A batch of metrics only: the tracker cannot report a param logged twice.
      Effect.catchTag("ParamAlreadyLogged", Effect.die)
    )

    return {
      profileReference: profileColumns,
      profileDataset: Effect.fn("DriftMonitor.profileDataset")(function* (
        config: DriftConfig,
        name: string,
        version: number
      ) {
        const records = datasets.records(DataSource.version(name, version))
        return yield* profileColumns(config, yield* columnsFromRecords(config.features, "reference", records))
      }),
      compare: compareColumns,
      monitoringRun,
      logReport
    }
  }
)
