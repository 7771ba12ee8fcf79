import type { ExperimentOrderBy, RunOrderBy } from "./ast.js"

const startTimeDesc: RunOrderBy = { kind: "attribute", key: "start_time", ascending: false }
const runIdAsc: RunOrderBy = { kind: "attribute", key: "run_id", ascending: true }

/**
 * The complete run ordering MLflow applies: the caller's clauses, then
 * `start_time DESC` and `run_id ASC` unless already ordered by them. The last
 * clause is unique per run, so the order is total (what keyset pages need).
 *
 * @example
 * ```ts
 * effectiveRunOrder([{ kind: "metric", key: "loss", ascending: true }])
 * // metrics.loss ASC, attributes.start_time DESC, attributes.run_id ASC
 * ```
 */
export const effectiveRunOrder = (orderBy: ReadonlyArray<RunOrderBy>): ReadonlyArray<RunOrderBy> => {
  const has = (key: string) => orderBy.some((clause) => clause.kind === "attribute" && clause.key === key)
  return [...orderBy, ...(has("start_time") ? [] : [startTimeDesc]), ...(has("run_id") ? [] : [runIdAsc])]
}

const defaultExperimentOrder: ReadonlyArray<ExperimentOrderBy> = [
  { key: "creation_time", ascending: false },
  { key: "experiment_id", ascending: true }
]

/**
 * The complete experiment ordering MLflow's SQL store applies: the caller's
 * clauses (default `creation_time DESC, experiment_id ASC`), then
 * `experiment_id DESC` unless already ordered by it.
 *
 * @example
 * ```ts
 * effectiveExperimentOrder([{ key: "name", ascending: true }])
 * // name ASC, experiment_id DESC
 * ```
 */
export const effectiveExperimentOrder = (
  orderBy: ReadonlyArray<ExperimentOrderBy>
): ReadonlyArray<ExperimentOrderBy> => {
  const clauses = orderBy.length === 0 ? defaultExperimentOrder : orderBy
  return clauses.some((clause) => clause.key === "experiment_id")
    ? clauses
    : [...clauses, { key: "experiment_id", ascending: false }]
}
