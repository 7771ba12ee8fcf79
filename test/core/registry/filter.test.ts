import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import {
  type FilterSubject,
  parseModelVersionFilter,
  parseRegisteredModelFilter,
  toPredicate
} from "../../../src/core/registry/filter.js"

const clauses = (parsed: ReturnType<typeof parseModelVersionFilter>) => Either.getOrThrow(parsed)

describe("registry filter parser", () => {
  it("a blank filter has no clauses", () => {
    assert.deepStrictEqual(clauses(parseRegisteredModelFilter(undefined)), [])
    assert.deepStrictEqual(clauses(parseRegisteredModelFilter("   ")), [])
  })

  it("parses comparisons joined by AND, keywords in any case", () => {
    assert.deepStrictEqual(
      clauses(parseModelVersionFilter("name ilike 'Churn%' and version_number <= 3 AND run_id IN ('a', \"b\")")),
      [
        { _tag: "StringCompare", field: "name", op: "ILIKE", value: "Churn%" },
        { _tag: "VersionCompare", op: "<=", value: 3 },
        { _tag: "RunIdIn", values: ["a", "b"] }
      ]
    )
  })

  it("reads backticked and dotted tag keys and doubled quotes in values", () => {
    assert.deepStrictEqual(
      clauses(
        parseRegisteredModelFilter("tags.`team name` = 'it''s' AND tag.mlflow.source = 'x' AND tags.\"k-1\" != ''")
      ),
      [
        { _tag: "TagCompare", key: "team name", op: "=", value: "it's" },
        { _tag: "TagCompare", key: "mlflow.source", op: "=", value: "x" },
        { _tag: "TagCompare", key: "k-1", op: "!=", value: "" }
      ]
    )
  })

  it("maps source_path to the version's source", () => {
    assert.deepStrictEqual(clauses(parseModelVersionFilter("attribute.source_path = 's3://m'")), [
      { _tag: "StringCompare", field: "source", op: "=", value: "s3://m" }
    ])
  })

  it("rejects what MLflow rejects, with the position", () => {
    const failure = (parsed: ReturnType<typeof parseModelVersionFilter>) =>
      Either.match(parsed, { onLeft: (e) => [e.position, e.reason] as const, onRight: () => assert.fail("parsed") })
    assert.strictEqual(failure(parseRegisteredModelFilter("version_number = 1"))[0], 0)
    assert.strictEqual(failure(parseModelVersionFilter("name <> 'a'"))[0], 5)
    assert.strictEqual(failure(parseModelVersionFilter("version_number = 1.5"))[0], 17)
    assert.strictEqual(failure(parseModelVersionFilter("run_id IN ()"))[0], 11)
    assert.strictEqual(failure(parseModelVersionFilter("run_id IN ('a' 'b')"))[0], 15)
    assert.strictEqual(failure(parseModelVersionFilter("tags. = 'a'"))[0], 5)
    assert.strictEqual(failure(parseModelVersionFilter("name = 'a' ; drop"))[0], 11)
  })
})

describe("registry filter predicate", () => {
  const subject: FilterSubject = {
    name: "Churn",
    tags: [{ key: "team", value: "growth" }],
    runId: null,
    source: "s3://m/1",
    version: 2
  }
  const matches = (filter: string) => toPredicate(clauses(parseModelVersionFilter(filter)))(subject)

  it("LIKE is case-sensitive, ILIKE folds ASCII case", () => {
    assert.isFalse(matches("name LIKE 'churn'"))
    assert.isTrue(matches("name ILIKE 'churn'"))
    assert.isTrue(matches("name LIKE 'C%n'"))
  })

  it("a missing run id matches nothing, not even !=; a missing tag matches only !=", () => {
    assert.isFalse(matches("run_id != 'x'"))
    assert.isFalse(matches("run_id IN ('x')"))
    assert.isTrue(matches("tags.owner != 'x'"))
    assert.isFalse(matches("tags.owner = 'x'"))
    assert.isFalse(matches("tags.owner LIKE '%'"))
    assert.isTrue(matches("tags.team != 'x'"))
    assert.isFalse(matches("tags.team != 'growth'"))
  })

  it("version_number compares numerically", () => {
    assert.isTrue(matches("version_number > 1 AND version_number < 10"))
    assert.isFalse(matches("version_number != 2"))
  })
})
