import { Either } from "effect"
import type { ListComparator, NumericComparator, StringComparator } from "../search/comparators.js"
import { attempt, type ParseFailure } from "../search/failure.js"
import { compareCodePoints, listTest, numericTest, type Test, textTest } from "../search/memory.js"
import { InvalidFilter, InvalidOrderBy } from "../tracking/errors.js"
import { Scanner, type Segment } from "../tracking/filter/scanner.js"
import type { LoggedModel, LoggedModelMetric, LoggedModelOrderBy } from "./model.js"

/*
 * The filter and order grammar of MLflow 3.6 `search_logged_models`:
 * comparisons joined by AND (no OR, no parentheses) on attributes, the latest
 * value of `metrics.<key>`, and `params.<key>` / `tags.<key>`. The tokens are
 * read by the run filter's Scanner, so quoting and number rules are the same.
 */

export type StringAttribute = "model_id" | "name" | "model_type" | "status" | "source_run_id"
export type TimestampAttribute = "creation_timestamp" | "last_updated_timestamp"

interface Located {
  /** 0-based offset in the filter text where the comparison starts. */
  readonly position: number
}

export type LoggedModelComparison = Located &
  (
    | {
        readonly kind: "attribute"
        readonly key: StringAttribute
        readonly comparator: StringComparator
        readonly value: string
      }
    | {
        readonly kind: "attributeList"
        readonly key: StringAttribute
        readonly comparator: ListComparator
        readonly value: ReadonlyArray<string>
      }
    | {
        readonly kind: "timestamp"
        readonly key: TimestampAttribute
        readonly comparator: NumericComparator
        readonly value: number
      }
    | { readonly kind: "metric"; readonly key: string; readonly comparator: NumericComparator; readonly value: number }
    | {
        readonly kind: "param" | "tag"
        readonly key: string
        readonly comparator: StringComparator
        readonly value: string
      }
  )

/** A parsed filter: every comparison must hold. Empty = every model. */
export type LoggedModelFilter = ReadonlyArray<LoggedModelComparison>

/** One ordering term, tie-breakers included once passed through {@link effectiveOrder}. */
export type LoggedModelOrder =
  | { readonly kind: "attribute"; readonly key: StringAttribute | TimestampAttribute; readonly ascending: boolean }
  | { readonly kind: "metric"; readonly key: string; readonly ascending: boolean }

const attributes = new Map<string, StringAttribute | TimestampAttribute>([
  ["model_id", "model_id"],
  ["name", "name"],
  ["model_type", "model_type"],
  ["status", "status"],
  ["source_run_id", "source_run_id"],
  ["creation_timestamp", "creation_timestamp"],
  ["creation_time", "creation_timestamp"],
  ["last_updated_timestamp", "last_updated_timestamp"],
  ["last_updated_time", "last_updated_timestamp"]
])

const entities = new Map<string, "attribute" | "metric" | "param" | "tag">([
  ["attribute", "attribute"],
  ["attributes", "attribute"],
  ["metric", "metric"],
  ["metrics", "metric"],
  ["param", "param"],
  ["params", "param"],
  ["parameter", "param"],
  ["parameters", "param"],
  ["tag", "tag"],
  ["tags", "tag"]
])

const isTimestamp = (key: StringAttribute | TimestampAttribute): key is TimestampAttribute =>
  key === "creation_timestamp" || key === "last_updated_timestamp"

const numericComparators: ReadonlyArray<NumericComparator> = ["=", "!=", ">", ">=", "<", "<="]
const keywordComparators = ["LIKE", "ILIKE", "IN"] as const

type Comparator = NumericComparator | StringComparator | ListComparator

const readComparator = (s: Scanner): { readonly op: Comparator; readonly start: number } => {
  s.skipWhitespace()
  const start = s.position
  if (s.isOperatorStart()) {
    const op = s.operator()
    return { op: numericComparators.find((c) => c === op) ?? s.fail(`invalid comparator '${op}'`, start), start }
  }
  const word = s.word().toUpperCase()
  if (word === "NOT") {
    s.skipWhitespace()
    return s.word().toUpperCase() === "IN" ? { op: "NOT IN", start } : s.fail("expected IN after NOT", start)
  }
  const keyword = keywordComparators.find((c) => c === word)
  return keyword !== undefined ? { op: keyword, start } : s.fail("expected a comparator", start)
}

const readKey = (s: Scanner): { readonly entity: string | undefined; readonly key: Segment } => {
  const first = s.segment() ?? s.fail(s.peek() === "(" ? "parentheses are not supported" : "expected a condition")
  if (s.peek() !== ".") return { entity: undefined, key: first }
  s.position++
  const start = s.position
  if (s.peek() === "`" || s.peek() === '"') return { entity: first.text, key: s.segment() as Segment }
  if (!s.isWordStart()) return s.fail("expected a key after '.'")
  const text = s.plainKey()
  return { entity: first.text, key: { text, quote: undefined, start, end: s.position } }
}

const entityOf = (s: Scanner, entity: string | undefined, position: number) =>
  entity === undefined
    ? "attribute"
    : (entities.get(entity) ??
      s.fail(`invalid entity type '${entity}'; valid types are attributes, metrics, params and tags`, position))

const attributeOf = (s: Scanner, key: Segment) =>
  attributes.get(key.text) ??
  s.fail(`invalid attribute '${key.text}'; valid attributes are ${[...attributes.keys()].join(", ")}`, key.start)

const isStringComparator = (op: Comparator): op is StringComparator =>
  op === "=" || op === "!=" || op === "LIKE" || op === "ILIKE"

const condition = (s: Scanner): LoggedModelComparison => {
  const position = s.position
  const { entity, key } = readKey(s)
  const kind = entityOf(s, entity, position)
  const op = readComparator(s)
  s.skipWhitespace()
  if (s.atEnd) s.fail("expected a value")
  const value = s.value()
  const numeric = (what: string): { comparator: NumericComparator; value: number } => {
    if (value.type !== "number") return s.fail(`${what} compares with a number, found ${value.raw}`, value.start)
    const comparator = numericComparators.find((c) => c === op.op)
    return comparator !== undefined
      ? { comparator, value: value.value }
      : s.fail(`invalid comparator '${op.op}' for ${what}`, op.start)
  }
  const text = (what: string): { comparator: StringComparator; value: string } => {
    if (value.type !== "string") return s.fail(`${what} compares with a quoted string, found ${value.raw}`, value.start)
    return isStringComparator(op.op)
      ? { comparator: op.op, value: value.value }
      : s.fail(`invalid comparator '${op.op}' for ${what}`, op.start)
  }
  switch (kind) {
    case "metric":
      return { kind, key: key.text, position, ...numeric("a metric") }
    case "param":
    case "tag":
      return { kind, key: key.text, position, ...text(`a ${kind}`) }
    case "attribute": {
      const attribute = attributeOf(s, key)
      if (isTimestamp(attribute)) return { kind: "timestamp", key: attribute, position, ...numeric(attribute) }
      if (op.op === "IN" || op.op === "NOT IN") {
        if (value.type !== "list") return s.fail(`${op.op} expects a parenthesised list of quoted strings`, value.start)
        return { kind: "attributeList", key: attribute, comparator: op.op, value: value.value, position }
      }
      return { kind, key: attribute, position, ...text(attribute) }
    }
  }
}

const conjunction = (s: Scanner): LoggedModelFilter => {
  const conditions: Array<LoggedModelComparison> = []
  s.skipWhitespace()
  while (!s.atEnd) {
    conditions.push(condition(s))
    s.skipWhitespace()
    if (s.atEnd) break
    const start = s.position
    const word = s.word().toUpperCase()
    if (word === "OR") s.fail("OR is not supported: join comparisons with AND", start)
    if (word !== "AND") s.fail("expected AND or the end of the filter", start)
    s.skipWhitespace()
    if (s.atEnd) s.fail("expected a condition after AND")
  }
  return conditions
}

/**
 * Parses a logged model search filter; blank means no filter. Never throws: a
 * malformed filter is an `InvalidFilter` pointing at the offending token.
 *
 * @example
 * ```ts
 * parseLoggedModelFilter("name = 'model' AND metrics.accuracy > 0.9")
 * ```
 */
export const parseLoggedModelFilter = (filter: string | undefined): Either.Either<LoggedModelFilter, InvalidFilter> =>
  filter === undefined
    ? Either.right([])
    : attempt(
        () => conjunction(new Scanner(filter)),
        (failure: ParseFailure) => new InvalidFilter({ filter, position: failure.position, reason: failure.reason })
      )

/**
 * Parses `order_by` entries: an attribute (`name`, `creation_timestamp`, ...)
 * or `metrics.<key>`.
 */
export const parseLoggedModelOrderBy = (
  orderBy: ReadonlyArray<LoggedModelOrderBy> | undefined
): Either.Either<ReadonlyArray<LoggedModelOrder>, InvalidOrderBy> => {
  const parsed: Array<LoggedModelOrder> = []
  for (const entry of orderBy ?? []) {
    const ascending = entry.ascending ?? true
    const metric = /^metrics?\.(.+)$/.exec(entry.fieldName)
    const attribute = attributes.get(entry.fieldName.replace(/^attributes?\./, ""))
    if (metric !== null)
      parsed.push({ kind: "metric", key: (metric[1] as string).replace(/^`(.*)`$/, "$1"), ascending })
    else if (attribute !== undefined) parsed.push({ kind: "attribute", key: attribute, ascending })
    else {
      return Either.left(
        new InvalidOrderBy({
          orderBy: entry.fieldName,
          reason: `order by an attribute (${[...attributes.keys()].join(", ")}) or metrics.<key>`
        })
      )
    }
  }
  return Either.right(parsed)
}

/**
 * The complete ordering: the caller's terms (default `creation_timestamp`
 * descending), then `model_id` ascending unless already ordered by it, so the
 * order is total and pages never overlap.
 */
export const effectiveOrder = (orderBy: ReadonlyArray<LoggedModelOrder>): ReadonlyArray<LoggedModelOrder> => {
  const terms: ReadonlyArray<LoggedModelOrder> =
    orderBy.length === 0 ? [{ kind: "attribute", key: "creation_timestamp", ascending: false }] : orderBy
  return terms.some((t) => t.kind === "attribute" && t.key === "model_id")
    ? terms
    : [...terms, { kind: "attribute", key: "model_id", ascending: true }]
}

// ---------------------------------------------------------------------------------------------------------------------
// In memory: the same semantics as the SQL implementation.

/**
 * The latest point of a metric: largest step, then largest timestamp, then
 * largest value, a number winning over NaN (the tracker's rule).
 */
export const latestMetric = (metrics: ReadonlyArray<LoggedModelMetric>, key: string): LoggedModelMetric | undefined => {
  let latest: LoggedModelMetric | undefined
  for (const m of metrics) {
    if (m.key !== key) continue
    if (latest === undefined || newer(m, latest)) latest = m
  }
  return latest
}

const newer = (a: LoggedModelMetric, b: LoggedModelMetric): boolean => {
  if (a.step !== b.step) return a.step > b.step
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp
  if (Number.isNaN(a.value) !== Number.isNaN(b.value)) return Number.isNaN(b.value)
  return a.value > b.value
}

const stringAttribute = (model: LoggedModel, key: StringAttribute): string | null => {
  switch (key) {
    case "model_id":
      return model.modelId
    case "name":
      return model.name
    case "model_type":
      return model.modelType
    case "status":
      return model.status
    case "source_run_id":
      return model.sourceRunId
  }
}

const timestampAttribute = (model: LoggedModel, key: TimestampAttribute): number =>
  key === "creation_timestamp" ? model.creationTimestamp : model.lastUpdatedTimestamp

/** A missing value (no source run, metric, param or tag) never matches, whatever the comparator. */
const comparisonTest = (c: LoggedModelComparison): Test<LoggedModel> => {
  switch (c.kind) {
    case "attribute":
    case "attributeList": {
      const test = c.kind === "attribute" ? textTest(c.comparator, c.value) : listTest(c.comparator, c.value)
      return (model) => {
        const value = stringAttribute(model, c.key)
        return value !== null && test(value)
      }
    }
    case "timestamp": {
      const test = numericTest(c.comparator, c.value)
      return (model) => test(timestampAttribute(model, c.key))
    }
    case "metric": {
      const test = numericTest(c.comparator, c.value)
      return (model) => {
        const latest = latestMetric(model.metrics, c.key)
        return latest !== undefined && test(latest.value)
      }
    }
    case "param":
    case "tag": {
      const test = textTest(c.comparator, c.value)
      return (model) => {
        const entry = (c.kind === "param" ? model.params : model.tags).find((e) => e.key === c.key)
        return entry !== undefined && test(entry.value)
      }
    }
  }
}

/** A predicate with the semantics of the SQL filter on SQLite. */
export const matchesFilter = (filter: LoggedModelFilter): ((model: LoggedModel) => boolean) => {
  const tests = filter.map(comparisonTest)
  return (model) => tests.every((test) => test(model))
}

/** rank 0 = a value, 1 = NaN, 2 = missing; ranks sort first in both directions, as in run search. */
interface SortKey {
  readonly rank: 0 | 1 | 2
  readonly value: string | number
}

const sortKeyOf = (order: LoggedModelOrder, model: LoggedModel): SortKey => {
  if (order.kind === "metric") {
    const latest = latestMetric(model.metrics, order.key)
    if (latest === undefined) return { rank: 2, value: 0 }
    return Number.isNaN(latest.value) ? { rank: 1, value: 0 } : { rank: 0, value: latest.value }
  }
  if (isTimestamp(order.key)) return { rank: 0, value: timestampAttribute(model, order.key) }
  const value = stringAttribute(model, order.key)
  return value === null ? { rank: 2, value: 0 } : { rank: 0, value }
}

/** A comparator with the ordering of the SQL implementation, tie-breakers included. */
export const compareModels = (
  orderBy: ReadonlyArray<LoggedModelOrder>
): ((a: LoggedModel, b: LoggedModel) => number) => {
  const terms = effectiveOrder(orderBy)
  return (a, b) => {
    for (const term of terms) {
      const x = sortKeyOf(term, a)
      const y = sortKeyOf(term, b)
      if (x.rank !== y.rank) return x.rank - y.rank
      const order =
        typeof x.value === "number" && typeof y.value === "number"
          ? Math.sign(x.value - y.value) || 0
          : compareCodePoints(String(x.value), String(y.value))
      if (order !== 0) return term.ascending ? order : -order
    }
    return 0
  }
}
