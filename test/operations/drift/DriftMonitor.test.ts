import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { ArtifactStore } from "../../../src/core/artifacts/ArtifactStore.js"
import { Datasets } from "../../../src/core/data/Datasets.js"
import { DataSource } from "../../../src/core/data/model.js"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ModelVersionNumber } from "../../../src/core/registry/model.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { DriftMonitor } from "../../../src/operations/drift/DriftMonitor.js"
import { DriftConfig, DriftFeature, type DriftReport } from "../../../src/operations/drift/model.js"
import { categories, normal } from "../../support/synthetic.js"

const Services = DriftMonitor.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(Datasets.layerMemory, ModelRegistry.layerMemory)),
  Layer.provideMerge(ExperimentTracker.layerMemory),
  Layer.provideMerge(ArtifactStore.layerMemory)
)

// Reading a model version yields after the read, as a real store's round trip would, so concurrent first calls both see no run.
const YieldingRegistryServices = DriftMonitor.layer.pipe(
  Layer.provide(
    Layer.effect(
      ModelRegistry,
      Effect.map(ModelRegistry, (registry) => ({
        ...registry,
        getModelVersion: (name: string, version: ModelVersionNumber) =>
          Effect.zipLeft(registry.getModelVersion(name, version), Effect.yieldNow())
      }))
    )
  ),
  Layer.provideMerge(Layer.mergeAll(Datasets.layerMemory, ModelRegistry.layerMemory)),
  Layer.provideMerge(ExperimentTracker.layerMemory),
  Layer.provideMerge(ArtifactStore.layerMemory)
)

const config = new DriftConfig({
  features: [
    new DriftFeature({ name: "income", kind: "numeric" }),
    new DriftFeature({ name: "age", kind: "numeric" }),
    new DriftFeature({ name: "plan", kind: "categorical" })
  ]
})

const plans = { free: 6, pro: 3, team: 1 }
const reference = {
  income: normal(1, 20_000, 50, 10),
  age: normal(2, 20_000, 40, 12),
  plan: categories(3, 20_000, plans)
}

const feature = (report: DriftReport, name: string) => {
  const found = report.features.find((f) => f.feature === name)
  assert.isDefined(found)
  return found!
}

describe("DriftMonitor.compare on seeded synthetic data", () => {
  it.effect("a batch from the reference's distributions is stable on every feature", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const profile = yield* drift.profileReference(config, reference)
      const report = yield* drift.compare(profile, {
        income: normal(10, 5000, 50, 10),
        age: normal(11, 5000, 40, 12),
        plan: categories(12, 5000, plans)
      })
      assert.strictEqual(report.verdict, "stable")
      assert.deepStrictEqual(
        report.features.map((f) => f.verdict),
        ["stable", "stable", "stable"]
      )
      assert.strictEqual(report.driftedFeatures, 0)
      assert.isBelow(report.maxPsi, 0.02)
      assert.deepStrictEqual([report.referenceRows, report.batchRows], [20_000, 5000])
    }).pipe(Effect.provide(Services))
  )

  it.effect("a one-sd mean shift drifts that feature only, and the overall verdict with it", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const profile = yield* drift.profileReference(config, reference)
      const report = yield* drift.compare(profile, {
        income: normal(20, 5000, 60, 10),
        age: normal(21, 5000, 40, 12),
        plan: categories(22, 5000, plans)
      })
      const income = feature(report, "income")
      assert.strictEqual(income._tag, "NumericDrift")
      assert.strictEqual(income.verdict, "drift")
      assert.isAbove(income.psi, 0.2)
      if (income._tag === "NumericDrift") {
        // Φ(0.5) − Φ(−0.5) ≈ 0.383 is the population D of a one-sd shift
        assert.closeTo(income.ksStatistic, 0.383, 0.03)
        assert.isBelow(income.ksPValue, 1e-100)
      }
      assert.strictEqual(feature(report, "age").verdict, "stable")
      assert.strictEqual(report.verdict, "drift")
      assert.strictEqual(report.driftedFeatures, 1)
      assert.strictEqual(report.maxPsi, income.psi)
    }).pipe(Effect.provide(Services))
  )

  it.effect("a moderate shift is a warning, not drift: the thresholds are on effect size", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const profile = yield* drift.profileReference(config, reference)
      const report = yield* drift.compare(profile, {
        income: normal(30, 5000, 53, 10),
        age: normal(31, 5000, 40, 12),
        plan: categories(32, 5000, plans)
      })
      const income = feature(report, "income")
      assert.strictEqual(income.verdict, "warning")
      assert.strictEqual(report.verdict, "warning")
      assert.deepStrictEqual([report.driftedFeatures, report.warningFeatures], [0, 1])
    }).pipe(Effect.provide(Services))
  )

  it.effect("a changed category mix with a new category drifts, naming the unseen category", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const profile = yield* drift.profileReference(config, reference)
      const report = yield* drift.compare(profile, {
        income: normal(40, 5000, 50, 10),
        age: normal(41, 5000, 40, 12),
        plan: categories(42, 5000, { free: 3, pro: 3, team: 1, enterprise: 3 })
      })
      const plan = feature(report, "plan")
      assert.strictEqual(plan._tag, "CategoricalDrift")
      assert.strictEqual(plan.verdict, "drift")
      if (plan._tag === "CategoricalDrift") {
        assert.deepStrictEqual(plan.unseenCategories, ["enterprise"])
        assert.strictEqual(plan.dof, 3)
        assert.isAbove(plan.cramersV, 0.2)
      }
    }).pipe(Effect.provide(Services))
  )

  it.effect("per-feature thresholds override the config's", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const lenient = new DriftConfig({
        features: [new DriftFeature({ name: "income", kind: "numeric", thresholds: { psiDrift: 5, ksDrift: 0.9 } })]
      })
      const profile = yield* drift.profileReference(lenient, reference)
      const report = yield* drift.compare(profile, { income: normal(20, 5000, 60, 10) })
      assert.strictEqual(feature(report, "income").verdict, "warning")
    }).pipe(Effect.provide(Services))
  )

  it.effect("NaN values of a batch are missing: counted and left out", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const only = new DriftConfig({ features: [new DriftFeature({ name: "income", kind: "numeric" })] })
      const profile = yield* drift.profileReference(only, reference)
      const batch = normal(10, 1000, 50, 10)
      batch.fill(Number.NaN, 0, 100)
      const income = feature(yield* drift.compare(profile, { income: batch }), "income")
      assert.deepStrictEqual([income.batchCount, income.batchMissing], [900, 100])
    }).pipe(Effect.provide(Services))
  )
})

describe("DriftMonitor input errors", () => {
  it.effect("a feature absent from the batch is DriftFeatureMissing", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const profile = yield* drift.profileReference(config, reference)
      const error = yield* Effect.flip(drift.compare(profile, { income: reference.income, age: reference.age }))
      assert.strictEqual(error._tag, "DriftFeatureMissing")
      assert.include(error.message, `batch has no column "plan"`)
    }).pipe(Effect.provide(Services))
  )

  it.effect("categories given for a numeric feature are DriftColumnTypeMismatch", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const error = yield* Effect.flip(drift.profileReference(config, { ...reference, age: ["40", "41"] }))
      assert.strictEqual(error._tag, "DriftColumnTypeMismatch")
      assert.include(error.message, `reference column "age" should be numeric but has an array`)
    }).pipe(Effect.provide(Services))
  )

  it.effect("a column of missing values only is DriftEmptyColumn", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const profile = yield* drift.profileReference(config, reference)
      const error = yield* Effect.flip(drift.compare(profile, { ...reference, plan: [null, null] }))
      assert.strictEqual(error._tag, "DriftEmptyColumn")
      assert.include(error.message, `batch column "plan"`)
    }).pipe(Effect.provide(Services))
  )

  it.effect("a warning threshold above the drift threshold is InvalidArgument", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const bad = new DriftConfig({
        features: [new DriftFeature({ name: "income", kind: "numeric", thresholds: { psiWarning: 0.3 } })]
      })
      const error = yield* Effect.flip(drift.profileReference(bad, reference))
      assert.strictEqual(error._tag, "InvalidArgument")
      assert.include(error.message, "psiWarning is above psiDrift")
    }).pipe(Effect.provide(Services))
  )

  it.effect("a feature listed twice, or named overall, is InvalidArgument", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const income = new DriftFeature({ name: "income", kind: "numeric" })
      const twice = yield* Effect.flip(
        drift.profileReference(new DriftConfig({ features: [income, income] }), reference)
      )
      assert.include(twice.message, "listed twice")
      const overall = new DriftConfig({ features: [new DriftFeature({ name: "overall", kind: "numeric" })] })
      const reserved = yield* Effect.flip(drift.profileReference(overall, { overall: reference.income }))
      assert.include(reserved.message, "reserved")
    }).pipe(Effect.provide(Services))
  )
})

const csv = (rows: ReadonlyArray<string>) => Stream.make(new TextEncoder().encode(`${rows.join("\n")}\n`))

describe("DriftMonitor.profileDataset", () => {
  it.effect("profiles a registered dataset version read back as records", () =>
    Effect.gen(function* () {
      const datasets = yield* Datasets
      const drift = yield* DriftMonitor
      const income = normal(5, 2000, 50, 10)
      const plan = categories(6, 2000, plans)
      const rows = ["income,plan", ...Array.from(income, (x, i) => `${x.toFixed(4)},${plan[i]}`), ",free"]
      const version = yield* datasets.register({ name: "customers", source: DataSource.bytes(csv(rows), "csv") })
      const only = new DriftConfig({
        features: [
          new DriftFeature({ name: "income", kind: "numeric" }),
          new DriftFeature({ name: "plan", kind: "categorical" })
        ]
      })
      const profile = yield* drift.profileDataset(only, "customers", version.version)
      assert.strictEqual(profile.rows, 2001)
      const report = yield* drift.compare(profile, {
        income: normal(7, 3000, 50, 10),
        plan: categories(8, 3000, plans)
      })
      assert.strictEqual(report.verdict, "stable")
      assert.strictEqual(feature(report, "income").referenceCount, 2000)
    }).pipe(Effect.provide(Services))
  )

  it.effect("text in a numeric column is DriftColumnTypeMismatch naming the record", () =>
    Effect.gen(function* () {
      const datasets = yield* Datasets
      const drift = yield* DriftMonitor
      const version = yield* datasets.register({
        name: "broken",
        source: DataSource.bytes(csv(["income", "12", "n/a"]), "csv")
      })
      const only = new DriftConfig({ features: [new DriftFeature({ name: "income", kind: "numeric" })] })
      const error = yield* Effect.flip(drift.profileDataset(only, "broken", version.version))
      assert.strictEqual(error._tag, "DriftColumnTypeMismatch")
      assert.include(error.message, "a string at record 1")
    }).pipe(Effect.provide(Services))
  )

  it.effect("a feature no record has is DriftFeatureMissing", () =>
    Effect.gen(function* () {
      const datasets = yield* Datasets
      const drift = yield* DriftMonitor
      const version = yield* datasets.register({ name: "narrow", source: DataSource.bytes(csv(["age", "12"]), "csv") })
      const only = new DriftConfig({ features: [new DriftFeature({ name: "income", kind: "numeric" })] })
      const error = yield* Effect.flip(drift.profileDataset(only, "narrow", version.version))
      assert.strictEqual(error._tag, "DriftFeatureMissing")
    }).pipe(Effect.provide(Services))
  )
})

const registerModel = Effect.gen(function* () {
  const registry = yield* ModelRegistry
  yield* registry.createRegisteredModel({ name: "churn" })
  return (yield* registry.createModelVersion({ name: "churn", source: "models:/churn/1" })).version
})

describe("DriftMonitor.logReport", () => {
  it.effect("logs each batch's statistics at its step to a run linked both ways with the model version", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const tracker = yield* ExperimentTracker
      const registry = yield* ModelRegistry
      const version = yield* registerModel
      const profile = yield* drift.profileReference(config, reference)
      const stable = yield* drift.compare(profile, {
        income: normal(10, 5000, 50, 10),
        age: normal(11, 5000, 40, 12),
        plan: categories(12, 5000, plans)
      })
      const drifted = yield* drift.compare(profile, {
        income: normal(20, 5000, 60, 10),
        age: normal(21, 5000, 40, 12),
        plan: categories(22, 5000, plans)
      })
      const first = yield* drift.logReport({ model: "churn", version, step: 0 }, stable)
      const second = yield* drift.logReport({ model: "churn", version, step: 1 }, drifted)
      assert.strictEqual(second, first)

      const run = yield* tracker.getRun(first)
      const experiment = yield* tracker.getExperiment(run.info.experimentId)
      assert.strictEqual(experiment.name, "monitoring/churn")
      const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]))
      assert.strictEqual(tags["mlops.monitoring.model"], "churn")
      assert.strictEqual(tags["mlops.monitoring.version"], version)
      const modelVersion = yield* registry.getModelVersion("churn", version)
      assert.deepInclude(
        modelVersion.tags.map((t) => ({ key: t.key, value: t.value })),
        {
          key: "mlops.monitoring.run_id",
          value: first
        }
      )

      const latest = Object.fromEntries(run.data.metrics.map((m) => [m.key, m]))
      assert.strictEqual(latest["drift/overall/drifted_features"]?.value, 1)
      assert.strictEqual(latest["drift/overall/drifted_features"]?.step, 1)
      assert.strictEqual(latest["drift/overall/verdict"]?.value, 2)
      assert.strictEqual(latest["drift/income/psi"]?.value, feature(drifted, "income").psi)
      assert.isDefined(latest["drift/income/ks_statistic"])
      assert.isDefined(latest["drift/plan/chi2_cramers_v"])
      const history = yield* tracker.getMetricHistory({ runId: first, key: "drift/overall/max_psi" })
      assert.deepStrictEqual(
        history.items.map((m) => [m.step, m.value]),
        [
          [0, stable.maxPsi],
          [1, drifted.maxPsi]
        ]
      )
    }).pipe(Effect.provide(Services))
  )

  it.effect("concurrent first reports of a version share one run", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const tracker = yield* ExperimentTracker
      const version = yield* registerModel
      const report = yield* drift.compare(yield* drift.profileReference(config, reference), reference)
      const runIds = yield* Effect.all(
        [0, 1, 2].map((step) => drift.logReport({ model: "churn", version, step }, report)),
        { concurrency: "unbounded" }
      )
      const experiment = yield* tracker.getExperimentByName("monitoring/churn")
      const runs = yield* tracker.searchRuns({ experimentIds: [experiment.experimentId] })
      assert.deepStrictEqual(
        runs.items.map((run) => run.info.runId),
        [runIds[0]]
      )
      assert.strictEqual(new Set(runIds).size, 1)
    }).pipe(Effect.provide(YieldingRegistryServices))
  )

  it.effect("starts a new run once the linked run is finished", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const tracker = yield* ExperimentTracker
      const version = yield* registerModel
      const first = yield* drift.monitoringRun("churn", version)
      yield* tracker.updateRun(first, { status: "FINISHED" })
      const second = yield* drift.monitoringRun("churn", version)
      assert.notStrictEqual(second, first)
      assert.strictEqual(second, yield* drift.monitoringRun("churn", version))
    }).pipe(Effect.provide(Services))
  )

  it.effect("starts a new run when the linked run was deleted", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const tracker = yield* ExperimentTracker
      const version = yield* registerModel
      const first = yield* drift.monitoringRun("churn", version)
      yield* tracker.deleteRun(first)
      assert.notStrictEqual(yield* drift.monitoringRun("churn", version), first)
    }).pipe(Effect.provide(Services))
  )

  it.effect("an unknown model version is ModelVersionNotFound and logs nothing", () =>
    Effect.gen(function* () {
      const drift = yield* DriftMonitor
      const tracker = yield* ExperimentTracker
      yield* registerModel
      const profile = yield* drift.profileReference(config, reference)
      const report = yield* drift.compare(profile, reference)
      const error = yield* Effect.flip(
        drift.logReport({ model: "churn", version: ModelVersionNumber.make("9"), step: 0 }, report)
      )
      assert.strictEqual(error._tag, "ModelVersionNotFound")
      const noExperiment = yield* Effect.flip(tracker.getExperimentByName("monitoring/churn"))
      assert.strictEqual(noExperiment._tag, "ExperimentNotFound")
    }).pipe(Effect.provide(Services))
  )
})
