import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import type { InvalidFilter, InvalidOrderBy } from "../../../../src/core/tracking/errors.js"
import {
  type ExperimentComparison,
  type NumericComparator,
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
  printExperimentFilter,
  printRunFilter,
  type RunComparison,
  type StringComparator
} from "../../../../src/core/tracking/filter/index.js"

const numericComparator = fc.constantFrom<NumericComparator>("=", "!=", ">", ">=", "<", "<=")
const stringComparator = fc.constantFrom<StringComparator>("=", "!=", "LIKE", "ILIKE")
const listComparator = fc.constantFrom("IN" as const, "NOT IN" as const)

// Any text, quotes, backticks, dots and lone surrogates included, plus the shapes people really use.
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("loss", "mlflow.runName", "a b", "x`y", 'q"q', "it's", "AND", "%_", "")
)
const number = fc.double({ noNaN: true })
const strings = fc.array(text, { minLength: 1, maxLength: 3 })
const position = fc.constant(0)

const runComparison: fc.Arbitrary<RunComparison> = fc.oneof(
  fc.record({
    kind: fc.constant("metric" as const),
    key: text,
    comparator: numericComparator,
    value: number,
    position
  }),
  fc.record({
    kind: fc.constantFrom("param" as const, "tag" as const),
    key: text,
    comparator: stringComparator,
    value: text,
    position
  }),
  fc.record({
    kind: fc.constant("attribute" as const),
    key: fc.constantFrom(
      "run_id" as const,
      "run_name" as const,
      "status" as const,
      "user_id" as const,
      "artifact_uri" as const
    ),
    comparator: stringComparator,
    value: text,
    position
  }),
  fc.record({
    kind: fc.constant("attribute" as const),
    key: fc.constant("run_id" as const),
    comparator: listComparator,
    value: strings,
    position
  }),
  fc.record({
    kind: fc.constant("attribute" as const),
    key: fc.constantFrom("start_time" as const, "end_time" as const),
    comparator: numericComparator,
    value: number,
    position
  }),
  fc.record({
    kind: fc.constant("dataset" as const),
    key: fc.constantFrom("name" as const, "digest" as const, "context" as const),
    comparator: stringComparator,
    value: text,
    position
  }),
  fc.record({
    kind: fc.constant("dataset" as const),
    key: fc.constantFrom("name" as const, "digest" as const, "context" as const),
    comparator: listComparator,
    value: strings,
    position
  })
)

const experimentComparison: fc.Arbitrary<ExperimentComparison> = fc.oneof(
  fc.record({ kind: fc.constant("tag" as const), key: text, comparator: stringComparator, value: text, position }),
  fc.record({
    kind: fc.constant("attribute" as const),
    key: fc.constant("name" as const),
    comparator: stringComparator,
    value: text,
    position
  }),
  fc.record({
    kind: fc.constant("attribute" as const),
    key: fc.constantFrom("creation_time" as const, "last_update_time" as const),
    comparator: numericComparator,
    value: number,
    position
  })
)

const withoutPositions = <A extends { readonly position: number }>(filter: ReadonlyArray<A>) =>
  filter.map((c) => ({ ...c, position: 0 }))

describe("print then parse", () => {
  it("a printed run filter parses back to the same comparisons", () => {
    fc.assert(
      fc.property(fc.array(runComparison, { maxLength: 5 }), (filter) => {
        const printed = printRunFilter(filter)
        const reparsed = parseRunFilter(printed)
        assert.isTrue(Either.isRight(reparsed), printed)
        assert.deepStrictEqual(withoutPositions(Either.getOrThrow(reparsed)), filter)
      }),
      { numRuns: 500 }
    )
  })

  it("a printed experiment filter parses back to the same comparisons", () => {
    fc.assert(
      fc.property(fc.array(experimentComparison, { maxLength: 5 }), (filter) => {
        const reparsed = parseExperimentFilter(printExperimentFilter(filter))
        assert.deepStrictEqual(withoutPositions(Either.getOrThrow(reparsed)), filter)
      }),
      { numRuns: 300 }
    )
  })

  it("positions point at where each comparison starts in the printed text", () => {
    fc.assert(
      fc.property(fc.array(runComparison, { minLength: 1, maxLength: 4 }), (filter) => {
        const printed = printRunFilter(filter)
        const starts = Either.getOrThrow(parseRunFilter(printed)).map((c) => c.position)
        let offset = 0
        const expected = filter.map((c) => {
          const start = offset
          offset += printRunFilter([c]).length + " AND ".length
          return start
        })
        assert.deepStrictEqual(starts, expected)
      }),
      { numRuns: 200 }
    )
  })
})

// Tokens that drive the parser down its error paths.
const tricky = fc.constantFrom(
  "'",
  '"',
  "`",
  "(",
  ")",
  ",",
  ".",
  " ",
  "<",
  "=",
  "!",
  "-",
  "AND ",
  " OR ",
  " IN ",
  " NOT ",
  "\\",
  "\u0000",
  "\ud800",
  "1e",
  "metrics.",
  "params.`"
)

const mutate = (source: string, at: number, cut: number, insert: string): string => {
  const i = source.length === 0 ? 0 : at % (source.length + 1)
  return source.slice(0, i) + insert + source.slice(i + cut)
}

const garbage = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(tricky, { maxLength: 12 }).map((parts) => parts.join("")),
  fc
    .tuple(fc.array(runComparison, { minLength: 1, maxLength: 3 }), fc.nat(), fc.nat({ max: 3 }), tricky)
    .map(([filter, at, cut, insert]) => mutate(printRunFilter(filter), at, cut, insert))
)

const assertFilterResult = (input: string, result: Either.Either<unknown, InvalidFilter>) => {
  assert.isTrue(Either.isEither(result))
  if (Either.isLeft(result)) {
    assert.strictEqual(result.left._tag, "InvalidFilter")
    assert.isAtLeast(result.left.position, 0)
    assert.isAtMost(result.left.position, input.length)
  }
}

const assertOrderByResult = (clauses: ReadonlyArray<string>, result: Either.Either<unknown, InvalidOrderBy>) => {
  assert.isTrue(Either.isEither(result))
  if (Either.isLeft(result)) assert.include(clauses, result.left.orderBy)
}

describe("parsers never throw", () => {
  it("any text yields a filter or an InvalidFilter positioned inside the text", () => {
    fc.assert(
      fc.property(garbage, (input) => {
        assertFilterResult(input, parseRunFilter(input))
        assertFilterResult(input, parseExperimentFilter(input))
      }),
      { numRuns: 2000 }
    )
  })

  it("any clauses yield an ordering or an InvalidOrderBy naming a given clause", () => {
    fc.assert(
      fc.property(fc.array(garbage, { maxLength: 3 }), (clauses) => {
        assertOrderByResult(clauses, parseRunOrderBy(clauses))
        assertOrderByResult(clauses, parseExperimentOrderBy(clauses))
      }),
      { numRuns: 1000 }
    )
  })
})
