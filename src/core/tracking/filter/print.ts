import type { ExperimentComparison, ExperimentFilter, RunComparison, RunFilter } from "./ast.js"

const plainKey = /^\w+(?:\.\w+)*$/

/** A key as the parser reads it back: plain when it can be, else backticked, else double-quoted. */
const printKey = (key: string): string => {
  if (plainKey.test(key)) return key
  if (!key.includes("`")) return `\`${key}\``
  return `"${key.replaceAll('"', '""')}"`
}

const printString = (value: string): string => `'${value.replaceAll("'", "''")}'`

// `String` gives "Infinity" and "0" for -0, neither of which reads back as the same number.
const printNumber = (value: number): string => {
  if (value === Number.POSITIVE_INFINITY) return "1e999"
  if (value === Number.NEGATIVE_INFINITY) return "-1e999"
  if (Object.is(value, -0)) return "-0"
  return String(value)
}

const printValue = (value: string | number | ReadonlyArray<string>): string => {
  if (typeof value === "number") return printNumber(value)
  if (typeof value === "string") return printString(value)
  return `(${value.map(printString).join(", ")})`
}

const prefixes = {
  metric: "metrics",
  param: "params",
  tag: "tags",
  attribute: "attributes",
  dataset: "datasets"
} as const

const printComparison = (c: RunComparison | ExperimentComparison, prefix: string): string =>
  `${prefix}.${printKey(c.key)} ${c.comparator} ${printValue(c.value)}`

/**
 * Prints a run filter as canonical MLflow filter text, which
 * {@link parseRunFilter} reads back to the same comparisons (positions aside).
 *
 * @example
 * ```ts
 * printRunFilter([{ kind: "tag", key: "mlflow.runName", comparator: "LIKE", value: "run-%", position: 0 }])
 * // "tags.mlflow.runName LIKE 'run-%'"
 * ```
 */
export const printRunFilter = (filter: RunFilter): string =>
  filter.map((c) => printComparison(c, prefixes[c.kind])).join(" AND ")

/**
 * Prints an experiment filter as canonical MLflow filter text, which
 * {@link parseExperimentFilter} reads back to the same comparisons.
 *
 * @example
 * ```ts
 * printExperimentFilter([{ kind: "attribute", key: "name", comparator: "LIKE", value: "contract%", position: 0 }])
 * // "attribute.name LIKE 'contract%'"
 * ```
 */
export const printExperimentFilter = (filter: ExperimentFilter): string =>
  filter.map((c) => printComparison(c, c.kind === "tag" ? "tags" : "attribute")).join(" AND ")
