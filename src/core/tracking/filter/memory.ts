import { compareCodePoints, listTest, numericTest, type Test, textTest } from "../../search/memory.js"
import { DatasetContextTag, type Experiment, type Run } from "../model.js"
import {
  type ExperimentComparison,
  type ExperimentFilter,
  type ExperimentOrderBy,
  isListComparison,
  isNumericAttribute,
  type ListComparator,
  type RunNumericAttribute,
  type RunStringAttribute,
  type RunComparison,
  type RunFilter,
  type RunOrderBy,
  type StringComparator
} from "./ast.js"
import { effectiveExperimentOrder, effectiveRunOrder } from "./order.js"

/*
 * The in-memory twin of sql.ts: the same filter and order semantics over the
 * domain classes. The SQL compile tests run one table of cases through both.
 */

const textOrListTest = (
  c:
    | { readonly comparator: StringComparator; readonly value: string }
    | { readonly comparator: ListComparator; readonly value: ReadonlyArray<string> }
): Test<string> => (isListComparison(c) ? listTest(c.comparator, c.value) : textTest(c.comparator, c.value))

const byKey = <A extends { readonly key: string }>(items: ReadonlyArray<A>, key: string): A | undefined =>
  items.find((item) => item.key === key)

const stringAttribute = (run: Run, key: RunStringAttribute): string => {
  switch (key) {
    case "run_id":
      return run.info.runId
    case "run_name":
      return run.info.runName
    case "status":
      return run.info.status
    case "user_id":
      return run.info.userId
    case "artifact_uri":
      return run.info.artifactUri
  }
}

const numericAttribute = (run: Run, key: RunNumericAttribute): number | null =>
  key === "start_time" ? run.info.startTime : run.info.endTime

const datasetContext = (input: Run["inputs"][number]): string | undefined => byKey(input.tags, DatasetContextTag)?.value

/** A missing field never matches, whatever the comparator (MLflow's `lhs is None`). */
const runTest = (c: RunComparison): Test<Run> => {
  switch (c.kind) {
    case "metric": {
      const test = numericTest(c.comparator, c.value)
      return (run) => {
        const metric = byKey(run.data.metrics, c.key)
        return metric !== undefined && test(metric.value)
      }
    }
    case "param":
    case "tag": {
      const test = textTest(c.comparator, c.value)
      const key = c.key
      return c.kind === "param"
        ? (run) => {
            const param = byKey(run.data.params, key)
            return param !== undefined && test(param.value)
          }
        : (run) => {
            const tag = byKey(run.data.tags, key)
            return tag !== undefined && test(tag.value)
          }
    }
    case "attribute": {
      if (isNumericAttribute(c)) {
        const test = numericTest(c.comparator, c.value)
        const key = c.key
        return (run) => {
          const value = numericAttribute(run, key)
          return value !== null && test(value)
        }
      }
      const test = textOrListTest(c)
      const key = c.key
      return (run) => test(stringAttribute(run, key))
    }
    case "dataset": {
      const test = textOrListTest(c)
      const field = c.key
      // A run matches when any of its dataset inputs does; inputs without a context tag have no context.
      return (run) =>
        run.inputs.some((input) => {
          const value = field === "context" ? datasetContext(input) : input.dataset[field]
          return value !== undefined && test(value)
        })
    }
  }
}

/**
 * Whether a run satisfies every comparison of a filter, with the semantics of
 * {@link compileRunFilter} on SQLite: NaN metrics satisfy only `!=`, LIKE is
 * case-sensitive, ILIKE ignores the case of ASCII letters only, and a missing
 * field never matches. Called with
 * the filter alone it returns a predicate that compiles the LIKE patterns once.
 *
 * @example
 * ```ts
 * runs.filter(matchesRun(filter))
 * matchesRun(filter, run) // boolean
 * ```
 */
export function matchesRun(filter: RunFilter): (run: Run) => boolean
export function matchesRun(filter: RunFilter, run: Run): boolean
export function matchesRun(filter: RunFilter, run?: Run): boolean | ((run: Run) => boolean) {
  const tests = filter.map(runTest)
  const predicate = (r: Run) => tests.every((test) => test(r))
  return run === undefined ? predicate : predicate(run)
}

/** A sort key: `rank` 0 = has a value, 1 = NaN, 2 = missing; ranks sort first in both directions. */
interface SortKey {
  readonly rank: 0 | 1 | 2
  readonly value: string | number
}

const missing: SortKey = { rank: 2, value: 0 }

const sortKey = (value: string | number | null | undefined): SortKey => {
  if (value === null || value === undefined) return missing
  if (typeof value === "number" && Number.isNaN(value)) return { rank: 1, value: 0 }
  return { rank: 0, value }
}

const compareKeys = (a: SortKey, b: SortKey, ascending: boolean): number => {
  if (a.rank !== b.rank) return a.rank - b.rank
  const order =
    typeof a.value === "number" && typeof b.value === "number"
      ? Math.sign(a.value - b.value) || 0
      : compareCodePoints(String(a.value), String(b.value))
  return ascending ? order : -order
}

const runSortKey = (clause: RunOrderBy): ((run: Run) => SortKey) => {
  switch (clause.kind) {
    case "metric":
      return (run) => sortKey(byKey(run.data.metrics, clause.key)?.value)
    case "param":
      return (run) => sortKey(byKey(run.data.params, clause.key)?.value)
    case "tag":
      return (run) => sortKey(byKey(run.data.tags, clause.key)?.value)
    case "attribute": {
      const key = clause.key
      return key === "start_time" || key === "end_time"
        ? (run) => sortKey(numericAttribute(run, key))
        : (run) => sortKey(stringAttribute(run, key))
    }
  }
}

const comparator = <A>(
  clauses: ReadonlyArray<{ readonly ascending: boolean; readonly key: (item: A) => SortKey }>
): ((a: A, b: A) => number) => {
  return (a, b) => {
    for (const clause of clauses) {
      const order = compareKeys(clause.key(a), clause.key(b), clause.ascending)
      if (order !== 0) return order
    }
    return 0
  }
}

/**
 * A comparator for `Array.prototype.sort` with the ordering of
 * {@link compileRunOrderBy}: the clauses, then `start_time DESC, run_id ASC`;
 * per clause, values first, then NaN, then runs without the field.
 *
 * @example
 * ```ts
 * runs.toSorted(compareRuns([{ kind: "metric", key: "loss", ascending: true }]))
 * ```
 */
export const compareRuns = (orderBy: ReadonlyArray<RunOrderBy>): ((a: Run, b: Run) => number) =>
  comparator(effectiveRunOrder(orderBy).map((clause) => ({ ascending: clause.ascending, key: runSortKey(clause) })))

const experimentTest = (c: ExperimentComparison): Test<Experiment> => {
  if (c.kind === "tag") {
    const test = textTest(c.comparator, c.value)
    return (experiment) => {
      const tag = byKey(experiment.tags, c.key)
      return tag !== undefined && test(tag.value)
    }
  }
  if (c.key === "name") {
    const test = textTest(c.comparator, c.value)
    return (experiment) => test(experiment.name)
  }
  const test = numericTest(c.comparator, c.value)
  return c.key === "creation_time"
    ? (experiment) => test(experiment.creationTime)
    : (experiment) => test(experiment.lastUpdateTime)
}

/**
 * Whether an experiment satisfies every comparison of a filter, with the
 * semantics of {@link compileExperimentFilter}. Called with the filter alone
 * it returns a reusable predicate.
 *
 * @example
 * ```ts
 * experiments.filter(matchesExperiment(filter))
 * ```
 */
export function matchesExperiment(filter: ExperimentFilter): (experiment: Experiment) => boolean
export function matchesExperiment(filter: ExperimentFilter, experiment: Experiment): boolean
export function matchesExperiment(
  filter: ExperimentFilter,
  experiment?: Experiment
): boolean | ((experiment: Experiment) => boolean) {
  const tests = filter.map(experimentTest)
  const predicate = (e: Experiment) => tests.every((test) => test(e))
  return experiment === undefined ? predicate : predicate(experiment)
}

// Experiment ids are decimal strings without leading zeros: longer is larger, then digit by digit.
const experimentIdKey = (id: string): SortKey => ({ rank: 0, value: id.padStart(20, "0") })

const experimentSortKey = (clause: ExperimentOrderBy): ((experiment: Experiment) => SortKey) => {
  switch (clause.key) {
    case "name":
      return (experiment) => sortKey(experiment.name)
    case "experiment_id":
      return (experiment) => experimentIdKey(experiment.experimentId)
    case "creation_time":
      return (experiment) => sortKey(experiment.creationTime)
    case "last_update_time":
      return (experiment) => sortKey(experiment.lastUpdateTime)
  }
}

/**
 * A comparator with the ordering of {@link compileExperimentOrderBy}: the
 * clauses (default `creation_time DESC, experiment_id ASC`), then
 * `experiment_id DESC`. Experiment ids compare as numbers.
 *
 * @example
 * ```ts
 * experiments.toSorted(compareExperiments([{ key: "name", ascending: true }]))
 * ```
 */
export const compareExperiments = (
  orderBy: ReadonlyArray<ExperimentOrderBy>
): ((a: Experiment, b: Experiment) => number) =>
  comparator(
    effectiveExperimentOrder(orderBy).map((clause) => ({ ascending: clause.ascending, key: experimentSortKey(clause) }))
  )
