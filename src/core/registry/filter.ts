import { Either } from "effect"
import type { NumericComparator, StringComparator } from "../search/comparators.js"
import { attempt, ParseFailure } from "../search/failure.js"
import { listTest, numericTest, textTest } from "../search/memory.js"
import { InvalidFilter } from "../tracking/errors.js"

/**
 * The filter grammar of MLflow 3.6 `search_registered_models` and
 * `search_model_versions` (`SearchModelUtils` / `SearchModelVersionUtils`):
 * comparisons joined by `AND`, no `OR`, no parentheses.
 *
 * - registered models: `name` and `tags.<key>`;
 * - model versions: `name`, `run_id`, `source_path`, `version_number` and `tags.<key>`.
 *
 * Strings compare with `=`, `!=`, `LIKE` (case-sensitive) and `ILIKE` (ASCII
 * case folded, as on SQLite); only `run_id` takes `IN ('a', 'b')`;
 * `version_number` compares numerically; `tags.<key> != 'v'` also matches
 * what has no such tag. A key with characters other than
 * letters, digits, `_` and `.` is quoted with backticks: ``tags.`team-name` = 'ml'``.
 */
export type StringOp = StringComparator
export type NumberOp = NumericComparator

/** A string attribute, named after the domain field it reads. */
export type StringField = "name" | "runId" | "source"

/** One parsed comparison. Implementations compile it (SQL) or evaluate it ({@link toPredicate}). */
export type FilterClause =
  | { readonly _tag: "StringCompare"; readonly field: StringField; readonly op: StringOp; readonly value: string }
  | { readonly _tag: "RunIdIn"; readonly values: ReadonlyArray<string> }
  | { readonly _tag: "VersionCompare"; readonly op: NumberOp; readonly value: number }
  | { readonly _tag: "TagCompare"; readonly key: string; readonly op: StringOp; readonly value: string }

type Token =
  | { readonly kind: "ident"; readonly prefix: string | undefined; readonly key: string; readonly pos: number }
  | { readonly kind: "string"; readonly value: string; readonly pos: number }
  | { readonly kind: "number"; readonly text: string; readonly pos: number }
  | { readonly kind: "op"; readonly op: NumberOp; readonly pos: number }
  | { readonly kind: "(" | ")" | "," | "end"; readonly pos: number }

const wordChar = /[\w]/
const identStart = /[A-Za-z_]/

const readQuoted = (text: string, start: number): { readonly value: string; readonly end: number } => {
  const quote = text[start]
  let value = ""
  let i = start + 1
  while (i < text.length) {
    const c = text[i]
    if (c === quote) {
      // SQL style: a doubled quote stands for one quote character.
      if (text[i + 1] === quote) {
        value += c
        i += 2
        continue
      }
      return { value, end: i + 1 }
    }
    value += c
    i++
  }
  throw new ParseFailure(start, "unterminated quoted string")
}

const readWord = (text: string, start: number): number => {
  let i = start
  while (i < text.length && wordChar.test(text[i] as string)) i++
  return i
}

const tokenize = (text: string): ReadonlyArray<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (/\s/.test(c)) {
      i++
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: c, pos: i })
      i++
    } else if (c === "'" || c === '"') {
      const { end, value } = readQuoted(text, i)
      tokens.push({ kind: "string", value, pos: i })
      i = end
    } else if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(text[i + 1] ?? ""))) {
      const match = /^-?\d+(\.\d+)?/.exec(text.slice(i)) as RegExpExecArray
      tokens.push({ kind: "number", text: match[0], pos: i })
      i += match[0].length
    } else if (c === "=" || c === "<" || c === ">" || c === "!") {
      const two = text.slice(i, i + 2)
      const op = two === "!=" || two === ">=" || two === "<=" ? two : c
      if (op === "!" || two === "<>") throw new ParseFailure(i, `unknown comparator "${two === "<>" ? two : c}"`)
      tokens.push({ kind: "op", op: op as NumberOp, pos: i })
      i += op.length
    } else if (identStart.test(c)) {
      const start = i
      i = readWord(text, i)
      const head = text.slice(start, i)
      if (text[i] !== ".") {
        tokens.push({ kind: "ident", prefix: undefined, key: head, pos: start })
        continue
      }
      i++
      const next = text[i]
      if (next === "`" || next === '"' || next === "'") {
        const { end, value } = readQuoted(text, i)
        tokens.push({ kind: "ident", prefix: head, key: value, pos: start })
        i = end
      } else {
        const keyStart = i
        while (i < text.length && (wordChar.test(text[i] as string) || text[i] === ".")) i++
        if (i === keyStart) throw new ParseFailure(keyStart, `expected a key after "${head}."`)
        tokens.push({ kind: "ident", prefix: head, key: text.slice(keyStart, i), pos: start })
      }
    } else {
      throw new ParseFailure(i, `unexpected character "${c}"`)
    }
  }
  tokens.push({ kind: "end", pos: text.length })
  return tokens
}

type Entity = "models" | "versions"

const attributes: Record<Entity, ReadonlyArray<string>> = {
  models: ["name"],
  versions: ["name", "version_number", "run_id", "source_path"]
}

const stringFields: Record<string, StringField> = { name: "name", run_id: "runId", source_path: "source" }

const keyword = (token: Token, word: string): boolean =>
  token.kind === "ident" && token.prefix === undefined && token.key.toUpperCase() === word

type Subject =
  | { readonly _tag: "Tag"; readonly key: string }
  | { readonly _tag: "String"; readonly field: StringField }
  | { readonly _tag: "Version" }

const resolveSubject = (entity: Entity, token: Token): Subject => {
  if (token.kind !== "ident") throw new ParseFailure(token.pos, "expected an attribute such as name or tags.<key>")
  const { key, prefix } = token
  if (prefix === "tag" || prefix === "tags") {
    if (key.length === 0) throw new ParseFailure(token.pos, "a tag key must not be empty")
    return { _tag: "Tag", key }
  }
  if (prefix !== undefined && prefix !== "attribute") {
    throw new ParseFailure(token.pos, `invalid entity type "${prefix}"; valid types are attribute, tag and tags`)
  }
  if (!attributes[entity].includes(key)) {
    throw new ParseFailure(
      token.pos,
      `invalid attribute "${key}"; valid attributes are ${attributes[entity].join(", ")}`
    )
  }
  return key === "version_number" ? { _tag: "Version" } : { _tag: "String", field: stringFields[key] as StringField }
}

const parseVersionValue = (token: Token): number => {
  const text = token.kind === "number" ? token.text : token.kind === "string" ? token.value.trim() : undefined
  if (text === undefined || !/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new ParseFailure(token.pos, "version_number compares with an integer")
  }
  return Number(text)
}

const parseInList = (tokens: ReadonlyArray<Token>, start: number): { values: Array<string>; next: number } => {
  let i = start
  const open = tokens[i] as Token
  if (open.kind !== "(") throw new ParseFailure(open.pos, "IN expects a parenthesised list of quoted strings")
  i++
  const values: Array<string> = []
  for (;;) {
    const item = tokens[i] as Token
    if (item.kind !== "string") throw new ParseFailure(item.pos, "IN expects a list of quoted strings")
    values.push(item.value)
    i++
    const separator = tokens[i] as Token
    i++
    if (separator.kind === ")") return { values, next: i }
    if (separator.kind !== ",") throw new ParseFailure(separator.pos, 'expected "," or ")" in the IN list')
  }
}

const parseClause = (
  entity: Entity,
  tokens: ReadonlyArray<Token>,
  start: number
): { readonly clause: FilterClause; readonly next: number } => {
  const subjectToken = tokens[start] as Token
  const subject = resolveSubject(entity, subjectToken)
  const opToken = tokens[start + 1] as Token
  const valueToken = tokens[start + 2] as Token

  if (keyword(opToken, "NOT")) throw new ParseFailure(opToken.pos, "NOT IN is not supported")
  if (keyword(opToken, "IN")) {
    if (subject._tag !== "String" || subject.field !== "runId") {
      throw new ParseFailure(opToken.pos, "only run_id supports IN")
    }
    const { next, values } = parseInList(tokens, start + 2)
    return { clause: { _tag: "RunIdIn", values }, next }
  }

  if (subject._tag === "Version") {
    if (opToken.kind !== "op") throw new ParseFailure(opToken.pos, "version_number takes =, !=, >, >=, < or <=")
    return {
      clause: { _tag: "VersionCompare", op: opToken.op, value: parseVersionValue(valueToken) },
      next: start + 3
    }
  }

  const op: StringOp | undefined = keyword(opToken, "LIKE")
    ? "LIKE"
    : keyword(opToken, "ILIKE")
      ? "ILIKE"
      : opToken.kind === "op" && (opToken.op === "=" || opToken.op === "!=")
        ? opToken.op
        : undefined
  if (op === undefined) throw new ParseFailure(opToken.pos, "expected =, !=, LIKE or ILIKE")
  if (valueToken.kind !== "string") throw new ParseFailure(valueToken.pos, "expected a quoted string value")
  const clause: FilterClause =
    subject._tag === "Tag"
      ? { _tag: "TagCompare", key: subject.key, op, value: valueToken.value }
      : { _tag: "StringCompare", field: subject.field, op, value: valueToken.value }
  return { clause, next: start + 3 }
}

const parseClauses = (entity: Entity, tokens: ReadonlyArray<Token>): ReadonlyArray<FilterClause> => {
  const clauses: Array<FilterClause> = []
  let i = 0
  for (;;) {
    const { clause, next } = parseClause(entity, tokens, i)
    clauses.push(clause)
    const after = tokens[next] as Token
    if (after.kind === "end") return clauses
    if (!keyword(after, "AND")) throw new ParseFailure(after.pos, "expected AND between comparisons")
    i = next + 1
  }
}

const parse = (
  entity: Entity,
  filter: string | undefined
): Either.Either<ReadonlyArray<FilterClause>, InvalidFilter> =>
  filter === undefined || filter.trim() === ""
    ? Either.right([])
    : attempt(
        () => parseClauses(entity, tokenize(filter)),
        (failure) => new InvalidFilter({ filter, position: failure.position, reason: failure.reason })
      )

/**
 * Parses a `searchRegisteredModels` filter; `undefined` or blank means no filter.
 *
 * @example
 * ```ts
 * parseRegisteredModelFilter("name LIKE 'churn%' AND tags.team = 'growth'")
 * // Either.right([{ _tag: "StringCompare", field: "name", op: "LIKE", value: "churn%" },
 * //               { _tag: "TagCompare", key: "team", op: "=", value: "growth" }])
 * ```
 */
export const parseRegisteredModelFilter = (filter: string | undefined) => parse("models", filter)

/** Parses a `searchModelVersions` filter; `undefined` or blank means no filter. */
export const parseModelVersionFilter = (filter: string | undefined) => parse("versions", filter)

/** What a filter reads from a registered model or a model version. */
export interface FilterSubject {
  readonly name: string
  readonly tags: ReadonlyArray<{ readonly key: string; readonly value: string }>
  readonly runId?: string | null
  readonly source?: string
  readonly version?: number
}

const clausePredicate = (clause: FilterClause): ((subject: FilterSubject) => boolean) => {
  switch (clause._tag) {
    case "StringCompare": {
      const test = textTest(clause.op, clause.value)
      // As in SQL (and MLflow), a missing value matches nothing, not even `!=`.
      return (subject) => {
        const lhs = subject[clause.field]
        return typeof lhs === "string" && test(lhs)
      }
    }
    case "RunIdIn": {
      const test = listTest("IN", clause.values)
      return (subject) => typeof subject.runId === "string" && test(subject.runId)
    }
    case "VersionCompare": {
      const test = numericTest(clause.op, clause.value)
      return (subject) => subject.version !== undefined && test(subject.version)
    }
    case "TagCompare": {
      const test = textTest(clause.op, clause.value)
      // Unlike attributes, a missing tag matches `!=`, as in MLflow (see sql.ts).
      const missing = clause.op === "!="
      return (subject) => {
        const tag = subject.tags.find((t) => t.key === clause.key)
        return tag === undefined ? missing : test(tag.value)
      }
    }
  }
}

/** Compiles parsed clauses into a predicate for in-memory stores (all clauses must hold). */
export const toPredicate = (clauses: ReadonlyArray<FilterClause>): ((subject: FilterSubject) => boolean) => {
  const predicates = clauses.map(clausePredicate)
  return (subject) => predicates.every((p) => p(subject))
}
