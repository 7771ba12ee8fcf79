import { Either } from "effect"
import { attempt, type ParseFailure } from "../../search/failure.js"
import { InvalidFilter, InvalidOrderBy } from "../errors.js"
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
import { Scanner, type Segment, type Value } from "./scanner.js"

/*
 * Grammar (MLflow 3.6, `mlflow/utils/search_utils.py`):
 *
 *   filter     := condition (AND condition)*          AND is case-insensitive; no OR, no parentheses
 *   condition  := identifier comparator value
 *   identifier := entity "." key | key                a bare key is an attribute
 *   key        := word ("." word)* | `text` | "text"
 *   comparator := = != > >= < <= | LIKE | ILIKE | IN | NOT IN
 *   value      := 'text' | "text" | number | ( 'text' [, 'text']* )
 *   order_by   := identifier [ASC | DESC]
 *
 * Checks run in MLflow's order (identifier, then the value's type, then the
 * comparator) so that the same mistake yields the same message; every error
 * points at the token it is about.
 */

type Comparator = NumericComparator | StringComparator | ListComparator

const numericComparators: ReadonlyArray<NumericComparator> = ["=", ">", ">=", "!=", "<", "<="]
const stringComparators: ReadonlyArray<StringComparator> = ["=", "!=", "LIKE", "ILIKE"]
const listComparators: ReadonlyArray<ListComparator> = ["IN", "NOT IN"]
const listableComparators: ReadonlyArray<Comparator> = [...stringComparators, ...listComparators]

const isNumeric = (op: Comparator): op is NumericComparator =>
  (numericComparators as ReadonlyArray<string>).includes(op)
const isString = (op: Comparator): op is StringComparator => (stringComparators as ReadonlyArray<string>).includes(op)
const isList = (op: Comparator): op is ListComparator => op === "IN" || op === "NOT IN"

const quoteAll = (values: ReadonlyArray<string>): string => values.map((v) => `'${v}'`).join(", ")

// Same wording as MLflow's message (transcript 24), so MLflow clients see what they expect.
const invalidComparator = (op: string, allowed: ReadonlyArray<Comparator>): string =>
  `Invalid comparator '${op}' not one of '{${quoteAll(allowed)}}`

/** Quote-stripped identifier parts; `entity` is absent for a bare key. */
interface Identifier {
  readonly entity: Segment | undefined
  readonly key: Segment
}

const keywords = new Set(["AND", "OR", "NOT"])

const readIdentifier = (s: Scanner): Identifier => {
  const first = s.segment()
  if (first === undefined) {
    return s.peek() === "("
      ? s.fail("parentheses are not supported: join comparisons with AND")
      : s.fail(`expected a condition, found '${s.peek()}'`)
  }
  if (s.peek() !== ".") {
    if (first.quote === undefined && keywords.has(first.text.toUpperCase())) {
      s.fail(`expected a condition, found '${first.text}'`, first.start)
    }
    return { entity: undefined, key: first }
  }
  s.position++
  const start = s.position
  if (s.peek() === "`" || s.peek() === '"') return { entity: first, key: s.segment()! }
  if (!s.isWordStart()) return s.fail("expected a key after '.'")
  const text = s.plainKey()
  return { entity: first, key: { text, quote: undefined, start, end: s.position } }
}

const readComparator = (s: Scanner, allowed: ReadonlyArray<Comparator>): { op: Comparator; start: number } => {
  s.skipWhitespace()
  if (s.atEnd) return s.fail("expected a comparator")
  const start = s.position
  if (s.isOperatorStart()) {
    const op = s.operator()
    const found = numericComparators.find((c) => c === op)
    return found !== undefined ? { op: found, start } : s.fail(invalidComparator(op, allowed), start)
  }
  if (!s.isWordStart()) return s.fail(`expected a comparator, found '${s.peek()}'`)
  const word = s.word()
  const upper = word.toUpperCase()
  const keyword = listableComparators.find((c) => c === upper)
  if (keyword !== undefined) return { op: keyword, start }
  if (upper !== "NOT") return s.fail(invalidComparator(word, allowed), start)
  s.skipWhitespace()
  const inStart = s.position
  return s.word().toUpperCase() === "IN" ? { op: "NOT IN", start } : s.fail("expected IN after NOT", inStart)
}

const readValue = (s: Scanner): Value => {
  s.skipWhitespace()
  return s.atEnd ? s.fail("expected a value") : s.value()
}

/** A comparison's comparator and value, before kind, key and position are attached. */
interface Operand<C, V> {
  readonly comparator: C
  readonly value: V
}

const numericOperand = (
  s: Scanner,
  op: { op: Comparator; start: number },
  value: Value,
  typeError: string
): Operand<NumericComparator, number> => {
  if (value.type !== "number") return s.fail(`${typeError} Found ${value.raw}`, value.start)
  return isNumeric(op.op)
    ? { comparator: op.op, value: value.value }
    : s.fail(invalidComparator(op.op, numericComparators), op.start)
}

const stringOperand = (
  s: Scanner,
  op: { op: Comparator; start: number },
  value: Value,
  allowed: ReadonlyArray<Comparator>,
  typeError: string
): Operand<StringComparator, string> => {
  if (value.type !== "string") return s.fail(`${typeError} Got value ${value.raw}`, value.start)
  if (isString(op.op)) return { comparator: op.op, value: value.value }
  return isList(op.op) && allowed.includes(op.op)
    ? s.fail(`${op.op} expects a parenthesised list of quoted strings, e.g. ('a', 'b')`, value.start)
    : s.fail(invalidComparator(op.op, allowed), op.start)
}

const listOperand = (
  s: Scanner,
  op: { op: Comparator; start: number },
  value: Value & { type: "list" }
): Operand<ListComparator, ReadonlyArray<string>> =>
  isList(op.op)
    ? { comparator: op.op, value: value.value }
    : s.fail(`'${op.op}' cannot compare with a list: use IN or NOT IN`, op.start)

/**
 * Reads `condition (AND condition)*`. An empty or blank text is no condition.
 */
const conjunction = <A>(text: string, condition: (s: Scanner) => A): ReadonlyArray<A> => {
  const s = new Scanner(text)
  const conditions: Array<A> = []
  s.skipWhitespace()
  while (!s.atEnd) {
    conditions.push(condition(s))
    s.skipWhitespace()
    if (s.atEnd) break
    const start = s.position
    const word = s.word()
    const upper = word.toUpperCase()
    if (upper === "OR") s.fail("OR is not supported: MLflow filters are comparisons joined by AND", start)
    if (upper !== "AND") s.fail(`expected AND or the end of the filter, found '${word || s.peek()}'`, start)
    s.skipWhitespace()
    if (s.atEnd) s.fail("expected a condition after AND")
  }
  return conditions
}

const formatSet = (values: Iterable<string>): string => `{${quoteAll([...values])}}`

// ---------------------------------------------------------------------------------------------------------------------
// Runs

type RunKind = RunComparison["kind"]

const runEntities = new Map<string, RunKind>([
  ["metric", "metric"],
  ["metrics", "metric"],
  ["parameter", "param"],
  ["parameters", "param"],
  ["param", "param"],
  ["params", "param"],
  ["tag", "tag"],
  ["tags", "tag"],
  ["attribute", "attribute"],
  ["attributes", "attribute"],
  ["attr", "attribute"],
  ["run", "attribute"],
  ["dataset", "dataset"],
  ["datasets", "dataset"]
])

const orderableRunAttributes = new Map<string, RunAttribute>([
  ["run_id", "run_id"],
  ["run_name", "run_name"],
  ["status", "status"],
  ["user_id", "user_id"],
  ["artifact_uri", "artifact_uri"],
  ["start_time", "start_time"],
  ["end_time", "end_time"],
  ["created", "start_time"],
  ["Created", "start_time"]
])

const searchableRunAttributes = new Map<string, RunAttribute>([
  ...orderableRunAttributes,
  ["run name", "run_name"],
  ["Run name", "run_name"],
  ["Run Name", "run_name"]
])

const datasetFields = new Map<string, DatasetField>([
  ["name", "name"],
  ["digest", "digest"],
  ["context", "context"]
])

const runKind = (s: Scanner, entity: Segment | undefined): RunKind => {
  if (entity === undefined) return "attribute"
  // A backticked entity is allowed (`metrics`.loss); a double-quoted one is not, as in MLflow.
  const name = entity.quote === '"' ? s.text.slice(entity.start, entity.end) : entity.text
  return (
    runEntities.get(name) ??
    s.fail(
      `Invalid entity type '${name}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`,
      entity.start
    )
  )
}

const lookup = <A>(s: Scanner, table: ReadonlyMap<string, A>, key: Segment, what: string): A =>
  table.get(key.text) ??
  s.fail(`Invalid ${what} key '${key.text}' specified. Valid keys are '${formatSet(table.keys())}'`, key.start)

const runCondition = (s: Scanner): RunComparison => {
  const position = s.position
  const id = readIdentifier(s)
  const kind = runKind(s, id.entity)
  switch (kind) {
    case "metric": {
      const op = readComparator(s, numericComparators)
      const value = readValue(s)
      const operand = numericOperand(s, op, value, "Expected numeric value type for metric.")
      return { kind, key: id.key.text, position, ...operand }
    }
    case "param":
    case "tag": {
      const op = readComparator(s, stringComparators)
      const value = readValue(s)
      const noun = kind === "param" ? "parameter" : "tag"
      const typeError = `Expected a quoted string value for ${noun} (e.g. 'my-value').`
      return { kind, key: id.key.text, position, ...stringOperand(s, op, value, stringComparators, typeError) }
    }
    case "attribute": {
      const key = lookup(s, searchableRunAttributes, id.key, "attribute")
      if (key === "start_time" || key === "end_time") {
        const op = readComparator(s, numericComparators)
        const value = readValue(s)
        const typeError = `Expected numeric value type for numeric attribute: ${id.key.text}.`
        return { kind, key, position, ...numericOperand(s, op, value, typeError) }
      }
      const op = readComparator(s, listableComparators)
      const value = readValue(s)
      if (value.type === "list") {
        if (key !== "run_id") {
          s.fail("Only the 'run_id' attribute supports comparison with a list of quoted string values.", value.start)
        }
        return { kind, key: "run_id", position, ...listOperand(s, op, value) }
      }
      const typeError = "Expected a quoted string value for attributes."
      return { kind, key, position, ...stringOperand(s, op, value, listableComparators, typeError) }
    }
    case "dataset": {
      const key = lookup(s, datasetFields, id.key, "dataset")
      const op = readComparator(s, listableComparators)
      const value = readValue(s)
      if (value.type === "list") return { kind, key, position, ...listOperand(s, op, value) }
      const typeError = "Expected a quoted string value for dataset attributes."
      return { kind, key, position, ...stringOperand(s, op, value, listableComparators, typeError) }
    }
  }
}

const toInvalidFilter = (filter: string) => (failure: ParseFailure) =>
  new InvalidFilter({ filter, position: failure.position, reason: failure.reason })

/**
 * Parses an MLflow run search filter. Never throws: a malformed filter is an
 * `InvalidFilter` whose `position` points at the offending token. A blank
 * filter has no conditions.
 *
 * @example
 * ```ts
 * parseRunFilter("metrics.loss < 1 and params.lr = '0.01'")
 * // Either.right([{ kind: "metric", key: "loss", comparator: "<", value: 1, position: 0 }, ...])
 * parseRunFilter("metrics.loss <<< 1")
 * // Either.left(InvalidFilter { position: 13, reason: "Invalid comparator '<<<' not one of ..." })
 * ```
 */
export const parseRunFilter = (filter: string): Either.Either<RunFilter, InvalidFilter> =>
  attempt(() => conjunction(filter, runCondition), toInvalidFilter(filter))

/** Reads `identifier [ASC|DESC]` as MLflow's `_parse_order_by_string` does. */
const orderClause = <A>(clause: string, resolve: (s: Scanner, id: Identifier) => A): [A, boolean] => {
  const unparsable = `Invalid order_by clause '${clause}'. Could not be parsed.`
  const s = new Scanner(clause)
  s.skipWhitespace()
  if (s.atEnd) s.fail(unparsable)
  const resolved = resolve(s, readIdentifier(s))
  s.skipWhitespace()
  if (s.atEnd) return [resolved, true]
  const direction = s.word().toUpperCase()
  if (direction !== "ASC" && direction !== "DESC") s.fail(`Invalid ordering key in order_by clause '${clause}'.`)
  s.skipWhitespace()
  if (!s.atEnd) s.fail(unparsable)
  return [resolved, direction === "ASC"]
}

const parseOrderBy = <A>(
  clauses: ReadonlyArray<string>,
  parseClause: (clause: string) => A,
  identity: (parsed: A) => string | undefined
): Either.Either<ReadonlyArray<A>, InvalidOrderBy> => {
  const parsed: Array<A> = []
  const seen = new Set<string>()
  for (const clause of clauses) {
    const result = attempt(
      () => parseClause(clause),
      (failure) => new InvalidOrderBy({ orderBy: clause, reason: failure.reason })
    )
    if (Either.isLeft(result)) return Either.left(result.left)
    const id = identity(result.right)
    if (id !== undefined && seen.has(id)) {
      const reason = `\`order_by\` contains duplicate fields: [${quoteAll(clauses)}]`
      return Either.left(new InvalidOrderBy({ orderBy: clause, reason }))
    }
    if (id !== undefined) seen.add(id)
    parsed.push(result.right)
  }
  return Either.right(parsed)
}

const runOrderClause = (clause: string): RunOrderBy => {
  const [target, ascending] = orderClause(clause, (s, id) => {
    const kind = runKind(s, id.entity)
    switch (kind) {
      case "attribute":
        return { kind, key: lookup(s, orderableRunAttributes, id.key, "attribute") }
      case "dataset":
        return s.fail(`Invalid identifier type '${kind}'`, id.entity?.start)
      default:
        return { kind, key: id.key.text }
    }
  })
  return { ...target, ascending }
}

/**
 * Parses MLflow `order_by` clauses for a run search, such as
 * `"metrics.loss ASC"` or `` "tags.`mlflow.runName` desc" ``. Direction
 * defaults to ASC. Datasets cannot be ordered by, and a field may appear once.
 * Tie-breakers are not added here: see {@link effectiveRunOrder}.
 *
 * @example
 * ```ts
 * parseRunOrderBy(["metrics.loss ASC", "created DESC"])
 * // Either.right([{ kind: "metric", key: "loss", ascending: true },
 * //               { kind: "attribute", key: "start_time", ascending: false }])
 * ```
 */
export const parseRunOrderBy = (
  clauses: ReadonlyArray<string>
): Either.Either<ReadonlyArray<RunOrderBy>, InvalidOrderBy> =>
  parseOrderBy(clauses, runOrderClause, (clause) => `${clause.kind}\u0000${clause.key}`)

// ---------------------------------------------------------------------------------------------------------------------
// Experiments

// MLflow's experiment grammar knows exactly these entity spellings (no `attributes`, no backticks).
const experimentEntities = new Map<string, "attribute" | "tag">([
  ["attribute", "attribute"],
  ["tag", "tag"],
  ["tags", "tag"]
])

const experimentKind = (s: Scanner, entity: Segment | undefined): "attribute" | "tag" => {
  if (entity === undefined) return "attribute"
  const name = s.text.slice(entity.start, entity.end)
  return (
    experimentEntities.get(name) ??
    s.fail(`Invalid entity type '${name}'. Valid entity types are ('attribute', 'tag', 'tags')`, entity.start)
  )
}

const searchableExperimentAttributes = new Map([
  ["name", "name"],
  ["creation_time", "creation_time"],
  ["last_update_time", "last_update_time"]
] as const)

const orderableExperimentAttributes = new Map<string, ExperimentOrderKey>([
  ...searchableExperimentAttributes,
  ["experiment_id", "experiment_id"]
])

const experimentCondition = (s: Scanner): ExperimentComparison => {
  const position = s.position
  const id = readIdentifier(s)
  const kind = experimentKind(s, id.entity)
  if (kind === "tag") {
    const op = readComparator(s, stringComparators)
    const value = readValue(s)
    const typeError = "Expected a quoted string value for tag (e.g. 'my-value')."
    return { kind, key: id.key.text, position, ...stringOperand(s, op, value, stringComparators, typeError) }
  }
  const key = lookup(s, searchableExperimentAttributes, id.key, "attribute")
  if (key === "name") {
    const op = readComparator(s, stringComparators)
    const value = readValue(s)
    if (value.type === "list") {
      s.fail("Only the 'run_id' attribute supports comparison with a list of quoted string values.", value.start)
    }
    const typeError = "Expected a quoted string value for attributes."
    return { kind, key, position, ...stringOperand(s, op, value, stringComparators, typeError) }
  }
  const op = readComparator(s, numericComparators)
  const value = readValue(s)
  const typeError = `Expected numeric value type for numeric attribute: ${key}.`
  return { kind, key, position, ...numericOperand(s, op, value, typeError) }
}

/**
 * Parses an MLflow experiment search filter: `name`, `creation_time`,
 * `last_update_time` (bare or as `attribute.<key>`) and `tags.<key>`, joined
 * by AND. Never throws; errors carry the position of the offending token.
 *
 * @example
 * ```ts
 * parseExperimentFilter("name LIKE 'contract%' AND tags.team = 'mlops'")
 * ```
 */
export const parseExperimentFilter = (filter: string): Either.Either<ExperimentFilter, InvalidFilter> =>
  attempt(() => conjunction(filter, experimentCondition), toInvalidFilter(filter))

const experimentOrderClause = (clause: string): ExperimentOrderBy => {
  const [key, ascending] = orderClause(clause, (s, id) =>
    experimentKind(s, id.entity) === "tag"
      ? s.fail("Invalid order_by entity: tag", id.entity?.start)
      : lookup(s, orderableExperimentAttributes, id.key, "attribute")
  )
  return { key, ascending }
}

/**
 * Parses MLflow `order_by` clauses for an experiment search: `name`,
 * `experiment_id`, `creation_time`, `last_update_time`, each optionally
 * followed by ASC or DESC. Defaults and tie-breakers are applied by
 * {@link effectiveExperimentOrder}, not here.
 *
 * @example
 * ```ts
 * parseExperimentOrderBy(["creation_time DESC"])
 * // Either.right([{ key: "creation_time", ascending: false }])
 * ```
 */
export const parseExperimentOrderBy = (
  clauses: ReadonlyArray<string>
): Either.Either<ReadonlyArray<ExperimentOrderBy>, InvalidOrderBy> =>
  // MLflow does not reject duplicate experiment order fields; the first one wins.
  parseOrderBy(clauses, experimentOrderClause, () => undefined)
