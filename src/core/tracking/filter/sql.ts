import type { SqlClient, Statement } from "@effect/sql"
import { compareList, compareNumber, compareText, numberParameter, textOrder } from "../../search/sql.js"
import type {
  DatasetField,
  ExperimentComparison,
  ExperimentFilter,
  ExperimentOrderBy,
  ExperimentOrderKey,
  ListComparator,
  NumericComparator,
  RunAttribute,
  RunComparison,
  RunFilter,
  RunOrderBy,
  StringComparator
} from "./ast.js"
import { isListComparison, isNumericAttribute } from "./ast.js"
import { effectiveExperimentOrder, effectiveRunOrder } from "./order.js"

/*
 * Filters compile to one predicate over `runs r` (or `experiments e`): run
 * columns are compared in place, everything else is an EXISTS probe on the
 * `(run_id, key)` primary key of its table. Every user value is a bound
 * parameter; only the column names written below reach the SQL text.
 */

type Sql = SqlClient.SqlClient
type Fragment = Statement.Fragment

type TextOrListOperand =
  | { readonly comparator: StringComparator; readonly value: string }
  | { readonly comparator: ListComparator; readonly value: ReadonlyArray<string> }

const compareTextOrList = (sql: Sql, column: string, c: TextOrListOperand): Fragment =>
  isListComparison(c)
    ? compareList(sql, column, c.comparator, c.value)
    : compareText(sql, column, c.comparator, c.value)

const runColumns: Record<RunAttribute, string> = {
  run_id: "r.run_id",
  run_name: "r.name",
  status: "r.status",
  user_id: "r.user_id",
  artifact_uri: "r.artifact_uri",
  start_time: "r.start_time",
  end_time: "r.end_time"
}

const datasetColumns: Record<DatasetField, string> = {
  name: "d.name",
  digest: "d.digest",
  context: "ri.context"
}

// NaN is stored as value 0 with is_nan = 1: it satisfies only `!=`, as IEEE NaN does in memory.
const metricCondition = (sql: Sql, comparator: NumericComparator, value: number): Fragment =>
  comparator === "!="
    ? sql`(m.is_nan = 1 OR m.value <> ${numberParameter(sql, value)})`
    : sql`m.is_nan = 0 AND ${compareNumber(sql, "m.value", comparator, value)}`

const runCondition = (sql: Sql, c: RunComparison): Fragment => {
  switch (c.kind) {
    case "metric":
      return sql`EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_id = r.run_id AND m.key = ${c.key} AND ${metricCondition(sql, c.comparator, c.value)})`
    case "param":
    case "tag": {
      const table = sql.literal(c.kind === "param" ? "params" : "tags")
      // Equality reads the (key, value) index once and the planner probes it
      // per run (a Bloom filter on SQLite), instead of one subquery per run:
      // a third less time for `params.x = 'a' AND tags.y = 'b'` over 10,000 runs.
      return c.comparator === "="
        ? sql`r.run_id IN (SELECT x.run_id FROM ${table} x WHERE x.key = ${c.key} AND x.value = ${c.value})`
        : sql`EXISTS (SELECT 1 FROM ${table} x WHERE x.run_id = r.run_id AND x.key = ${c.key} AND ${compareText(sql, "x.value", c.comparator, c.value)})`
    }
    case "attribute":
      return isNumericAttribute(c)
        ? compareNumber(sql, runColumns[c.key], c.comparator, c.value)
        : compareTextOrList(sql, runColumns[c.key], c)
    case "dataset":
      return sql`EXISTS (SELECT 1 FROM run_inputs ri JOIN datasets d ON d.dataset_id = ri.dataset_id WHERE ri.run_id = r.run_id AND ${compareTextOrList(sql, datasetColumns[c.key], c)})`
  }
}

/**
 * Compiles a run filter to a parameterised predicate over `runs r`, for a
 * `WHERE` clause (`1=1` when the filter is empty). Metrics are read from
 * `latest_metrics`; a run without the metric, param, tag or dataset never
 * matches, whatever the comparator, as in MLflow.
 *
 * @example
 * ```ts
 * const where = compileRunFilter(sql, filter)
 * sql`SELECT r.run_id FROM runs r WHERE r.experiment_id IN ${sql.in(ids)} AND ${where}`
 * ```
 */
export const compileRunFilter = (sql: Sql, filter: RunFilter): Fragment =>
  sql.and(filter.map((c) => runCondition(sql, c)))

/** One term of an `ORDER BY` list. */
interface OrderTerm {
  readonly expression: Fragment
  readonly descending: boolean
}

/*
 * Correlated subqueries rather than LEFT JOINs: each term is then a
 * self-contained expression, so the ORDER BY fragment needs nothing in the
 * FROM clause and the same terms can build keyset conditions. Each subquery
 * is one primary-key lookup per candidate row.
 */
const runTerms = (sql: Sql, clause: RunOrderBy): ReadonlyArray<OrderTerm> => {
  const descending = !clause.ascending
  switch (clause.kind) {
    case "metric": {
      const probe = (column: string) =>
        sql`(SELECT ${sql.literal(column)} FROM latest_metrics m WHERE m.run_id = r.run_id AND m.key = ${clause.key})`
      // Values first, then NaN, then missing, in both directions: rank 0, 1 (is_nan), 2 (no row).
      return [
        { expression: sql`COALESCE(${probe("m.is_nan")}, 2)`, descending: false },
        { expression: probe("m.value"), descending }
      ]
    }
    case "param":
    case "tag": {
      const table = clause.kind === "param" ? "params" : "tags"
      const value = sql`(SELECT x.value FROM ${sql.literal(table)} x WHERE x.run_id = r.run_id AND x.key = ${clause.key})`
      return [
        { expression: sql`CASE WHEN ${value} IS NULL THEN 1 ELSE 0 END`, descending: false },
        { expression: textOrder(sql, value), descending }
      ]
    }
    case "attribute": {
      const column = sql.literal(runColumns[clause.key])
      switch (clause.key) {
        case "end_time":
          return [
            { expression: sql`CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END`, descending: false },
            { expression: column, descending }
          ]
        // Run ids are lowercase hex, the same in every collation; a bare column keeps the index usable.
        case "start_time":
        case "run_id":
          return [{ expression: column, descending }]
        default:
          return [{ expression: textOrder(sql, column), descending }]
      }
    }
  }
}

/**
 * The `ORDER BY` terms of a run search, tie-breakers included (see
 * {@link effectiveRunOrder}). Exposed for keyset pagination; most callers
 * want {@link compileRunOrderBy}.
 */
const runOrderTerms = (sql: Sql, orderBy: ReadonlyArray<RunOrderBy>): ReadonlyArray<OrderTerm> =>
  effectiveRunOrder(orderBy).flatMap((clause) => runTerms(sql, clause))

const orderList = (sql: Sql, terms: ReadonlyArray<OrderTerm>): Fragment =>
  sql.csv(terms.map((t) => sql`${t.expression} ${sql.literal(t.descending ? "DESC" : "ASC")}`))

/**
 * Compiles run `order_by` clauses to the list that follows `ORDER BY` (the
 * keywords are the caller's), over `runs r`. Ordering follows MLflow: for
 * every clause and direction, runs with a value come first, then NaN metrics,
 * then runs without the field; ties are broken by `start_time DESC, run_id ASC`.
 *
 * @example
 * ```ts
 * sql`SELECT r.run_id FROM runs r WHERE ${where} ORDER BY ${compileRunOrderBy(sql, orderBy)} LIMIT ${n}`
 * ```
 */
export const compileRunOrderBy = (sql: Sql, orderBy: ReadonlyArray<RunOrderBy>): Fragment =>
  orderList(sql, runOrderTerms(sql, orderBy))

const experimentCondition = (sql: Sql, c: ExperimentComparison): Fragment => {
  switch (c.kind) {
    case "tag":
      return sql`EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = ${c.key} AND ${compareText(sql, "t.value", c.comparator, c.value)})`
    case "attribute":
      return c.key === "name"
        ? compareText(sql, "e.name", c.comparator, c.value)
        : compareNumber(sql, `e.${c.key}`, c.comparator, c.value)
  }
}

/**
 * Compiles an experiment filter to a parameterised predicate over
 * `experiments e` (`1=1` when empty); tags are probed in `experiment_tags`.
 *
 * @example
 * ```ts
 * sql`SELECT e.experiment_id FROM experiments e WHERE ${compileExperimentFilter(sql, filter)}`
 * ```
 */
export const compileExperimentFilter = (sql: Sql, filter: ExperimentFilter): Fragment =>
  sql.and(filter.map((c) => experimentCondition(sql, c)))

const experimentColumns: Record<ExperimentOrderKey, string> = {
  name: "e.name",
  experiment_id: "e.experiment_id",
  creation_time: "e.creation_time",
  last_update_time: "e.last_update_time"
}

/**
 * The `ORDER BY` terms of an experiment search, default and tie-breaker
 * included (see {@link effectiveExperimentOrder}).
 */
const experimentOrderTerms = (sql: Sql, orderBy: ReadonlyArray<ExperimentOrderBy>): ReadonlyArray<OrderTerm> =>
  effectiveExperimentOrder(orderBy).map((clause) => {
    const column = sql.literal(experimentColumns[clause.key])
    return { expression: clause.key === "name" ? textOrder(sql, column) : column, descending: !clause.ascending }
  })

/**
 * Compiles experiment `order_by` clauses to the list that follows `ORDER BY`,
 * over `experiments e`: the caller's clauses (default `creation_time DESC,
 * experiment_id ASC`), then `experiment_id DESC` as MLflow's tie-breaker.
 *
 * @example
 * ```ts
 * sql`SELECT * FROM experiments e ORDER BY ${compileExperimentOrderBy(sql, orderBy)}`
 * ```
 */
export const compileExperimentOrderBy = (sql: Sql, orderBy: ReadonlyArray<ExperimentOrderBy>): Fragment =>
  orderList(sql, experimentOrderTerms(sql, orderBy))
