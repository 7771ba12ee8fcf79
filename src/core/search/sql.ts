import type { SqlClient, Statement } from "@effect/sql"
import type { ListComparator, NumericComparator, StringComparator } from "./comparators.js"

/*
 * The SQL building blocks of every search filter, on SQLite and PostgreSQL.
 * `column` is always a trusted column expression written by the caller; every
 * user value is a bound parameter.
 */

type Sql = SqlClient.SqlClient
type Fragment = Statement.Fragment

const numericOperators: Record<NumericComparator, string> = {
  "=": "=",
  "!=": "<>",
  ">": ">",
  ">=": ">=",
  "<": "<",
  "<=": "<="
}

/**
 * Translates a LIKE pattern into a GLOB pattern: `%` → `*`, `_` → `?`, and
 * GLOB's own metacharacters bracketed so they match literally. SQLite's LIKE
 * ignores ASCII case; GLOB does not, which is what MLflow's LIKE promises.
 *
 * @example
 * ```ts
 * likeToGlob("a*b_%") // "a[*]b?*"
 * ```
 */
export const likeToGlob = (pattern: string): string =>
  pattern.replace(/[%_*?[]/g, (c) => (c === "%" ? "*" : c === "_" ? "?" : `[${c}]`))

const upperAscii = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
const lowerAscii = upperAscii.toLowerCase()

/**
 * A string comparison of `column`. LIKE and ILIKE have no escape character on
 * either dialect (PostgreSQL's default `\` is switched off), so `%` and `_`
 * are always wildcards, as in memory. ILIKE ignores the case of ASCII letters
 * only, on both dialects: SQLite's LOWER folds nothing else, and on
 * PostgreSQL (whose ILIKE folds every letter) both sides are folded with
 * `translate`.
 *
 * @example
 * ```ts
 * sql`SELECT 1 FROM params p WHERE ${compareText(sql, "p.value", "ILIKE", "ad%")}`
 * ```
 */
export const compareText = (sql: Sql, column: string, comparator: StringComparator, value: string): Fragment => {
  const col = sql.literal(column)
  switch (comparator) {
    case "=":
      return sql`${col} = ${value}`
    case "!=":
      return sql`${col} <> ${value}`
    case "LIKE":
      return sql.onDialectOrElse({
        pg: () => sql`${col} LIKE ${value} ESCAPE ''`,
        orElse: () => sql`${col} GLOB ${likeToGlob(value)}`
      })
    case "ILIKE":
      return sql.onDialectOrElse({
        pg: () =>
          sql`translate(${col}, ${upperAscii}, ${lowerAscii}) LIKE translate(${value}, ${upperAscii}, ${lowerAscii}) ESCAPE ''`,
        orElse: () => sql`LOWER(${col}) LIKE LOWER(${value})`
      })
  }
}

/**
 * `column IN (...)` or `column NOT IN (...)`.
 *
 * @example
 * ```ts
 * compareList(sql, "r.run_id", "NOT IN", ["a", "b"])
 * ```
 */
export const compareList = (
  sql: Sql,
  column: string,
  comparator: ListComparator,
  values: ReadonlyArray<string>
): Fragment => sql`${sql.literal(column)} ${sql.literal(comparator)} ${sql.in(values)}`

/**
 * A number as a parameter. PostgreSQL types a parameter after its column, and
 * '1.5' or 'Infinity' is no BIGINT: such values get an explicit double.
 * Integers stay bare so comparisons on BIGINT columns can use their indexes.
 *
 * @example
 * ```ts
 * sql`m.value <> ${numberParameter(sql, 0.5)}`
 * ```
 */
export const numberParameter = (sql: Sql, value: number): Fragment =>
  Number.isSafeInteger(value)
    ? sql`${value}`
    : sql.onDialectOrElse({ pg: () => sql`CAST(${value} AS DOUBLE PRECISION)`, orElse: () => sql`${value}` })

/**
 * A numeric comparison of `column`.
 *
 * @example
 * ```ts
 * compareNumber(sql, "v.version", ">=", 3) // v.version >= ?
 * ```
 */
export const compareNumber = (sql: Sql, column: string, comparator: NumericComparator, value: number): Fragment =>
  sql`${sql.literal(column)} ${sql.literal(numericOperators[comparator])} ${numberParameter(sql, value)}`

/**
 * `expression` as an ORDER BY term that sorts text by code point: PostgreSQL
 * sorts by the database locale unless told `COLLATE "C"`; SQLite compares
 * UTF-8 bytes, which already is code point order.
 *
 * @example
 * ```ts
 * sql`SELECT name FROM registered_models m ORDER BY ${textOrder(sql, sql.literal("m.name"))}`
 * ```
 */
export const textOrder = (sql: Sql, expression: Fragment): Fragment =>
  sql.onDialectOrElse({ pg: () => sql`${expression} COLLATE "C"`, orElse: () => expression })
