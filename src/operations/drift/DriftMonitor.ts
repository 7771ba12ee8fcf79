import { Context, type Effect, Layer } from "effect"
import type { Datasets, ReadError } from "../../core/data/Datasets.js"
import type { Forbidden, InvalidArgument } from "../../core/errors.js"
import type { ModelVersionNotFound, RegisteredModelNotFound } from "../../core/registry/errors.js"
import type { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import type { ModelVersionNumber } from "../../core/registry/model.js"
import type { ExperimentTracker, RunWriteError } from "../../core/tracking/ExperimentTracker.js"
import type { ExperimentNotActive, ExperimentNotFound } from "../../core/tracking/errors.js"
import type { RunId } from "../../core/tracking/model.js"
import type { Columns, ReferenceProfile } from "./compare.js"
import type { DriftInputError } from "./errors.js"
import type { DriftConfig, DriftReport } from "./model.js"
import { make, type DriftMonitoringTarget } from "./service.js"

/** Why a report could not be logged to the model version's monitoring run. */
export type DriftMonitoringError =
  | RegisteredModelNotFound
  | ModelVersionNotFound
  | ExperimentNotFound
  | ExperimentNotActive
  | RunWriteError
  | Forbidden

/**
 * Model drift monitoring: production batches compared with a reference by
 * effect size (PSI and Kolmogorov–Smirnov D for numeric features, Cramér's V
 * and PSI for categorical ones), and the results logged as metrics of a
 * monitoring run linked to a model version, where alert rules can read them.
 */
export interface DriftMonitorShape {
  /** Prepares in-memory reference columns once (numeric ones sorted) for any number of comparisons. */
  readonly profileReference: (
    config: DriftConfig,
    columns: Columns
  ) => Effect.Effect<ReferenceProfile, InvalidArgument | DriftInputError>
  /**
   * Prepares the reference from a registered dataset version, read through
   * `Datasets.records`: numbers (null = missing) for numeric features;
   * strings, numbers or booleans as text (null = missing) for categorical ones.
   */
  readonly profileDataset: (
    config: DriftConfig,
    name: string,
    version: number
  ) => Effect.Effect<ReferenceProfile, InvalidArgument | DriftInputError | ReadError>
  /** Compares a batch with a prepared reference: one pass per column, no sort of the batch. */
  readonly compare: (reference: ReferenceProfile, batch: Columns) => Effect.Effect<DriftReport, DriftInputError>
  /**
   * The monitoring run of a model version: the run its
   * `mlops.monitoring.run_id` tag names while that run is active and
   * running, otherwise a new run in experiment `monitoring/<model>` (created
   * on first use), tagged `mlops.monitoring.model` / `mlops.monitoring.version`,
   * whose id is then written to the version's tag. Calls for one version
   * are serialised within the service instance, so concurrent first calls
   * share one run; calls racing from two processes may each start a run,
   * and the tag keeps the last writer's, which later calls use.
   */
  readonly monitoringRun: (model: string, version: ModelVersionNumber) => Effect.Effect<RunId, DriftMonitoringError>
  /**
   * Logs a report to the version's {@link DriftMonitorShape.monitoringRun}, every metric at
   * step `target.step` (the batch index), in one batch:
   *
   * - `drift/<feature>/psi`, `drift/<feature>/verdict` (0 stable, 1 warning, 2 drift);
   * - numeric features: `drift/<feature>/ks_statistic`, `drift/<feature>/ks_pvalue`;
   * - categorical features: `drift/<feature>/chi2_statistic`, `drift/<feature>/chi2_pvalue`,
   *   `drift/<feature>/chi2_cramers_v`;
   * - `drift/overall/drifted_features`, `drift/overall/warning_features`,
   *   `drift/overall/max_psi`, `drift/overall/verdict`.
   *
   * An alert rule on the latest value of e.g. `drift/overall/drifted_features > 0`
   * of the run fires on the batch that drifted. Returns the run's id.
   */
  readonly logReport: (target: DriftMonitoringTarget, report: DriftReport) => Effect.Effect<RunId, DriftMonitoringError>
}

/**
 * The drift monitoring service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DriftConfig, DriftFeature, DriftMonitor, ModelVersionNumber } from "effect-mlops"
 *
 * const config = new DriftConfig({
 *   features: [new DriftFeature({ name: "age", kind: "numeric" }), new DriftFeature({ name: "plan", kind: "categorical" })]
 * })
 * const program = Effect.gen(function* () {
 *   const drift = yield* DriftMonitor
 *   const reference = yield* drift.profileDataset(config, "customers", 3)
 *   const report = yield* drift.compare(reference, { age: Float64Array.from(ages), plan: plans })
 *   yield* drift.logReport({ model: "churn", version: ModelVersionNumber.make("2"), step: batchIndex }, report)
 * })
 * ```
 */
export class DriftMonitor extends Context.Tag("effect-mlops/operations/DriftMonitor")<
  DriftMonitor,
  DriftMonitorShape
>() {
  /** Reads references through `Datasets`, logs to `ExperimentTracker` runs linked with `ModelRegistry` versions. */
  static readonly layer: Layer.Layer<DriftMonitor, never, Datasets | ExperimentTracker | ModelRegistry> = Layer.effect(
    this,
    make
  )
}
