import { Schema } from "effect"

/** A per-feature or overall judgement: effect sizes past the warning or drift thresholds. */
export const DriftVerdict = Schema.Literal("stable", "warning", "drift")
export type DriftVerdict = typeof DriftVerdict.Type

const nonNegative = (value: number) => Schema.optionalWith(Schema.NonNegative, { default: () => value })

/**
 * Effect-size thresholds; a statistic strictly above a threshold reaches its
 * level. Defaults: PSI 0.1 / 0.2 (the usual "moderate" / "significant shift"
 * bands), KS D 0.1 / 0.2 and Cramér's V 0.1 / 0.2 (small / beyond small).
 * p-values are reported but never decide: with a million rows every
 * negligible shift is "significant".
 */
export class DriftThresholds extends Schema.Class<DriftThresholds>("DriftThresholds")({
  psiWarning: nonNegative(0.1),
  psiDrift: nonNegative(0.2),
  ksWarning: nonNegative(0.1),
  ksDrift: nonNegative(0.2),
  cramersVWarning: nonNegative(0.1),
  cramersVDrift: nonNegative(0.2)
}) {}

/** Per-feature overrides of the config's thresholds; unset fields keep the config's values. */
export const ThresholdOverrides = Schema.partialWith(
  Schema.Struct({
    psiWarning: Schema.NonNegative,
    psiDrift: Schema.NonNegative,
    ksWarning: Schema.NonNegative,
    ksDrift: Schema.NonNegative,
    cramersVWarning: Schema.NonNegative,
    cramersVDrift: Schema.NonNegative
  }),
  { exact: true }
)
export type ThresholdOverrides = typeof ThresholdOverrides.Type

/**
 * A monitored feature. Numeric features get PSI and the two-sample KS test;
 * categorical ones the chi-square test of homogeneity, Cramér's V and a PSI
 * over categories. The name `overall` is reserved for the report's totals.
 */
export class DriftFeature extends Schema.Class<DriftFeature>("DriftFeature")({
  name: Schema.NonEmptyTrimmedString,
  kind: Schema.Literal("numeric", "categorical"),
  thresholds: Schema.optionalWith(ThresholdOverrides, { exact: true })
}) {}

/**
 * What to monitor and when to call it drift.
 *
 * @example
 * ```ts
 * const config = new DriftConfig({
 *   features: [
 *     new DriftFeature({ name: "age", kind: "numeric" }),
 *     new DriftFeature({ name: "country", kind: "categorical", thresholds: { cramersVDrift: 0.3 } })
 *   ]
 * })
 * ```
 */
export class DriftConfig extends Schema.Class<DriftConfig>("DriftConfig")({
  features: Schema.NonEmptyArray(DriftFeature),
  /** PSI bins cut at reference quantiles (10 = deciles); fewer when quantiles coincide. */
  bins: Schema.optionalWith(Schema.Int.pipe(Schema.between(2, 1000)), { default: () => 10 }),
  thresholds: Schema.optionalWith(DriftThresholds, { default: () => new DriftThresholds({}) })
}) {}

/** Drift statistics of a numeric feature. */
export class NumericDrift extends Schema.TaggedClass<NumericDrift>()("NumericDrift", {
  feature: Schema.String,
  /** Non-missing values on each side. */
  referenceCount: Schema.NonNegativeInt,
  batchCount: Schema.NonNegativeInt,
  /** `NaN` values of the batch, left out of the statistics. */
  batchMissing: Schema.NonNegativeInt,
  psi: Schema.Number,
  /** Two-sample KS statistic D = sup |F_ref − F_batch|. */
  ksStatistic: Schema.Number,
  /** As SciPy's `ks_2samp(method="asymp")`. */
  ksPValue: Schema.Number,
  verdict: DriftVerdict
}) {}

/** Drift statistics of a categorical feature. */
export class CategoricalDrift extends Schema.TaggedClass<CategoricalDrift>()("CategoricalDrift", {
  feature: Schema.String,
  referenceCount: Schema.NonNegativeInt,
  batchCount: Schema.NonNegativeInt,
  /** `null` values of the batch, left out of the statistics. */
  batchMissing: Schema.NonNegativeInt,
  /** Chi-square statistic of homogeneity (no continuity correction). */
  chi2: Schema.Number,
  dof: Schema.NonNegativeInt,
  pValue: Schema.Number,
  cramersV: Schema.Number,
  psi: Schema.Number,
  /** Batch categories the reference never saw, sorted. */
  unseenCategories: Schema.Array(Schema.String),
  verdict: DriftVerdict
}) {}

/** The statistics of one feature. */
export const FeatureDrift = Schema.Union(NumericDrift, CategoricalDrift)
export type FeatureDrift = typeof FeatureDrift.Type

/**
 * The comparison of one batch with a reference: statistics and a verdict per
 * feature, in the config's order, and overall — `drift` if any feature
 * drifted, else `warning` if any warned, else `stable`.
 */
export class DriftReport extends Schema.Class<DriftReport>("DriftReport")({
  features: Schema.Array(FeatureDrift),
  verdict: DriftVerdict,
  driftedFeatures: Schema.NonNegativeInt,
  warningFeatures: Schema.NonNegativeInt,
  /** Largest PSI over all features (0 without features). */
  maxPsi: Schema.Number,
  referenceRows: Schema.NonNegativeInt,
  batchRows: Schema.NonNegativeInt
}) {}
