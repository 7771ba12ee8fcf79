/**
 * The parsed form of MLflow 3.6 search filters and `order_by` clauses, for
 * runs and for experiments. A filter is a conjunction (MLflow has no OR): a
 * run matches when every comparison holds. Keys are canonical: attribute
 * aliases (`created`, `run name`, ...) are already translated, quotes and
 * backticks already removed.
 *
 * @example
 * ```ts
 * // metrics.loss < 1 AND params.lr = '0.01'
 * const filter: RunFilter = [
 *   { kind: "metric", key: "loss", comparator: "<", value: 1, position: 0 },
 *   { kind: "param", key: "lr", comparator: "=", value: "0.01", position: 21 }
 * ]
 * ```
 */

import type { ListComparator, NumericComparator, StringComparator } from "../../search/comparators.js"

export type { ListComparator, NumericComparator, StringComparator }

/** Run attributes compared as strings. `run_name` is also reachable as `run name`, `Run name`, `Run Name`. */
export type RunStringAttribute = "run_id" | "run_name" | "status" | "user_id" | "artifact_uri"
/** Run attributes compared as numbers (epoch milliseconds). `start_time` is also reachable as `created`, `Created`. */
export type RunNumericAttribute = "start_time" | "end_time"
export type RunAttribute = RunStringAttribute | RunNumericAttribute
/** Fields of a dataset a run used; `context` is the input tag `mlflow.data.context`. */
export type DatasetField = "name" | "digest" | "context"

interface Located {
  /** 0-based offset in the filter text where the comparison starts. */
  readonly position: number
}

export interface MetricComparison extends Located {
  readonly kind: "metric"
  readonly key: string
  readonly comparator: NumericComparator
  readonly value: number
}

export interface ParamComparison extends Located {
  readonly kind: "param"
  readonly key: string
  readonly comparator: StringComparator
  readonly value: string
}

export interface TagComparison extends Located {
  readonly kind: "tag"
  readonly key: string
  readonly comparator: StringComparator
  readonly value: string
}

export interface RunStringAttributeComparison extends Located {
  readonly kind: "attribute"
  readonly key: RunStringAttribute
  readonly comparator: StringComparator
  readonly value: string
}

export interface RunIdListComparison extends Located {
  readonly kind: "attribute"
  readonly key: "run_id"
  readonly comparator: ListComparator
  readonly value: ReadonlyArray<string>
}

export interface RunNumericAttributeComparison extends Located {
  readonly kind: "attribute"
  readonly key: RunNumericAttribute
  readonly comparator: NumericComparator
  readonly value: number
}

export interface DatasetComparison extends Located {
  readonly kind: "dataset"
  readonly key: DatasetField
  readonly comparator: StringComparator
  readonly value: string
}

export interface DatasetListComparison extends Located {
  readonly kind: "dataset"
  readonly key: DatasetField
  readonly comparator: ListComparator
  readonly value: ReadonlyArray<string>
}

export type RunComparison =
  | MetricComparison
  | ParamComparison
  | TagComparison
  | RunStringAttributeComparison
  | RunIdListComparison
  | RunNumericAttributeComparison
  | DatasetComparison
  | DatasetListComparison

/** A run filter: every comparison must hold. Empty = every run. */
export type RunFilter = ReadonlyArray<RunComparison>

export type ExperimentNumericAttribute = "creation_time" | "last_update_time"

export interface ExperimentNameComparison extends Located {
  readonly kind: "attribute"
  readonly key: "name"
  readonly comparator: StringComparator
  readonly value: string
}

export interface ExperimentNumericComparison extends Located {
  readonly kind: "attribute"
  readonly key: ExperimentNumericAttribute
  readonly comparator: NumericComparator
  readonly value: number
}

export interface ExperimentTagComparison extends Located {
  readonly kind: "tag"
  readonly key: string
  readonly comparator: StringComparator
  readonly value: string
}

export type ExperimentComparison = ExperimentNameComparison | ExperimentNumericComparison | ExperimentTagComparison

/** An experiment filter: every comparison must hold. Empty = every experiment. */
export type ExperimentFilter = ReadonlyArray<ExperimentComparison>

/** One `order_by` clause of a run search. Datasets cannot be ordered by. */
export type RunOrderBy =
  | { readonly kind: "metric" | "param" | "tag"; readonly key: string; readonly ascending: boolean }
  | { readonly kind: "attribute"; readonly key: RunAttribute; readonly ascending: boolean }

export type ExperimentOrderKey = "name" | "experiment_id" | "creation_time" | "last_update_time"

/** One `order_by` clause of an experiment search (attributes only, as in MLflow). */
export interface ExperimentOrderBy {
  readonly key: ExperimentOrderKey
  readonly ascending: boolean
}

/** Narrows an attribute comparison to the numeric attributes (`start_time`, `end_time`). */
export const isNumericAttribute = (
  c: RunStringAttributeComparison | RunIdListComparison | RunNumericAttributeComparison
): c is RunNumericAttributeComparison => c.key === "start_time" || c.key === "end_time"

/** Narrows a string-valued comparison to its IN / NOT IN form. */
export const isListComparison = <C extends { readonly comparator: string }>(
  c: C
): c is Extract<C, { readonly comparator: ListComparator }> => c.comparator === "IN" || c.comparator === "NOT IN"
