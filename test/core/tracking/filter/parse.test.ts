import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy
} from "../../../../src/core/tracking/filter/index.js"

const run1 = "a2a0542436444447aa3abce372310be6"
const run2 = "ae9ad4876eda451b8fbc865e937920f9"

const parsed = <A, E>(result: Either.Either<A, E>): A =>
  Either.getOrElse(result, (error) => assert.fail(`expected a parse, got ${String(error)}`))

const failed = <A, E>(result: Either.Either<A, E>): E =>
  Either.match(result, {
    onLeft: (error) => error,
    onRight: (value) => assert.fail(`expected an error, got ${JSON.stringify(value)}`)
  })

describe("parseRunFilter: MLflow acceptance filters (transcript 18-21)", () => {
  it("18: metric, param and status joined by lowercase and", () => {
    assert.deepStrictEqual(
      parsed(parseRunFilter("metrics.loss < 1 and params.lr = '0.01' and attributes.status = 'FINISHED'")),
      [
        { kind: "metric", key: "loss", comparator: "<", value: 1, position: 0 },
        { kind: "param", key: "lr", comparator: "=", value: "0.01", position: 21 },
        { kind: "attribute", key: "status", comparator: "=", value: "FINISHED", position: 44 }
      ]
    )
  })

  it("19: ILIKE, LIKE, a backticked tag key with a dot, run_id IN", () => {
    const filter = `attributes.run_name ILIKE 'RUN-%' and params.optimizer LIKE 'ad%' and tags.\`mlflow.runName\` != 'x' and attributes.run_id IN ('${run1}', '${run2}')`
    assert.deepStrictEqual(parsed(parseRunFilter(filter)), [
      { kind: "attribute", key: "run_name", comparator: "ILIKE", value: "RUN-%", position: 0 },
      { kind: "param", key: "optimizer", comparator: "LIKE", value: "ad%", position: 38 },
      { kind: "tag", key: "mlflow.runName", comparator: "!=", value: "x", position: 70 },
      { kind: "attribute", key: "run_id", comparator: "IN", value: [run1, run2], position: 103 }
    ])
  })

  it("20: dataset name IN, context and digest", () => {
    const filter = "datasets.name IN ('iris', 'wine') and datasets.context = 'training' and datasets.digest = 'abc123'"
    assert.deepStrictEqual(parsed(parseRunFilter(filter)), [
      { kind: "dataset", key: "name", comparator: "IN", value: ["iris", "wine"], position: 0 },
      { kind: "dataset", key: "context", comparator: "=", value: "training", position: 38 },
      { kind: "dataset", key: "digest", comparator: "=", value: "abc123", position: 72 }
    ])
  })

  it("21: a dataset filter combined with a param filter parses (MLflow's SQL store fails on it)", () => {
    assert.deepStrictEqual(parsed(parseRunFilter("params.optimizer = 'adam' and datasets.name = 'iris'")), [
      { kind: "param", key: "optimizer", comparator: "=", value: "adam", position: 0 },
      { kind: "dataset", key: "name", comparator: "=", value: "iris", position: 30 }
    ])
  })
})

describe("parseRunFilter: identifiers, keys and values", () => {
  it("a blank filter has no conditions", () => {
    assert.deepStrictEqual(parsed(parseRunFilter("")), [])
    assert.deepStrictEqual(parsed(parseRunFilter(" \t\n ")), [])
  })

  it("every MLflow entity spelling maps to its kind", () => {
    const kinds = (["metric", "metrics", "parameter", "parameters", "param", "params", "tag", "tags"] as const).map(
      (entity) => {
        const value = entity.startsWith("metric") ? "1" : "'v'"
        return parsed(parseRunFilter(`${entity}.k = ${value}`))[0]?.kind
      }
    )
    assert.deepStrictEqual(kinds, ["metric", "metric", "param", "param", "param", "param", "tag", "tag"])
    for (const entity of ["attribute", "attributes", "attr", "run", "`attributes`"]) {
      assert.strictEqual(parsed(parseRunFilter(`${entity}.status = 'x'`))[0]?.kind, "attribute")
    }
    assert.strictEqual(parsed(parseRunFilter("dataset.name = 'x'"))[0]?.kind, "dataset")
  })

  it("attribute aliases become canonical keys, with or without the attributes. prefix", () => {
    const keys = ["created > 1", "Created > 1", "`run name` = 'a'", "\"Run name\" = 'a'", "attr.`Run Name` = 'a'"].map(
      (filter) => parsed(parseRunFilter(filter))[0]?.key
    )
    assert.deepStrictEqual(keys, ["start_time", "start_time", "run_name", "run_name", "run_name"])
  })

  it("keys may be plain with dots, backticked or double-quoted", () => {
    const keys = ["tags.mlflow.runName = 'a'", "tags.`a b/c:d` = 'a'", 'tags."x ""y"" z" = \'a\''].map(
      (filter) => parsed(parseRunFilter(filter))[0]?.key
    )
    assert.deepStrictEqual(keys, ["mlflow.runName", "a b/c:d", 'x "y" z'])
  })

  it("strings take single or double quotes, a doubled quote stands for itself", () => {
    const values = ["params.a = 'it''s'", 'params.a = "say ""hi"""', 'params.a = "it\'s"'].map(
      (filter) => parsed(parseRunFilter(filter))[0]?.value
    )
    assert.deepStrictEqual(values, ["it's", 'say "hi"', "it's"])
  })

  it("numbers may be negative, decimal or exponential", () => {
    const values = ["-1", "2.5", ".5", "3.", "1e3", "-2.5E-2"].map(
      (n) => parsed(parseRunFilter(`metrics.m > ${n}`))[0]?.value
    )
    assert.deepStrictEqual(values, [-1, 2.5, 0.5, 3, 1000, -0.025])
  })

  it("comparator keywords and AND are case-insensitive; NOT IN is two words", () => {
    assert.deepStrictEqual(
      parsed(parseRunFilter("params.a like 'x' AnD params.b iLiKe 'y' and run_id not   in ('z')")).map(
        (c) => c.comparator
      ),
      ["LIKE", "ILIKE", "NOT IN"]
    )
  })
})

describe("parseRunFilter: errors point at the bad token", () => {
  const cases: ReadonlyArray<readonly [string, string, number, string?]> = [
    // transcript 24, with MLflow's message
    [
      "invalid comparator",
      "metrics.loss <<< 1",
      13,
      "Invalid comparator '<<<' not one of '{'=', '>', '>=', '!=', '<', '<='}"
    ],
    // transcript 22, with MLflow's message
    [
      "IN on params",
      "params.lr IN ('0.01', '0.1')",
      13,
      "Expected a quoted string value for parameter (e.g. 'my-value'). Got value ('0.01', '0.1')"
    ],
    ["unclosed single quote", "params.x = 'abc", 11, "unclosed single quote"],
    ["unclosed double quote", 'params.x = "abc', 11, "unclosed double quote"],
    ["unclosed backtick", "tags.`abc = 'x'", 5, "unclosed backtick"],
    ["unknown entity", "metrics.a > 1 and foo.x = 'a'", 18],
    ["double-quoted entity", '"metrics".a > 1', 0],
    ["unknown attribute", "attributes.foo = 'a'", 11],
    ["unknown dataset field", "datasets.size = 'x'", 9],
    ["LIKE on a metric", "metrics.loss LIKE 1", 13],
    ["a string for a metric", "metrics.loss = '1'", 15],
    ["a number for a param", "params.lr = 0.01", 12],
    ["an unquoted string", "params.lr = adam", 12],
    ["a string for a numeric attribute", "attributes.start_time > 'x'", 24],
    ["a list for another string attribute", "status IN ('a')", 10],
    ["a list with =", "run_id = ('a')", 7],
    ["IN without a list", "run_id IN 'a'", 10],
    ["an empty list", "run_id IN ()", 10],
    ["an unquoted list item", "run_id IN ('a', b)", 16],
    ["an unclosed list", "run_id IN ('a'", 14],
    ["missing comparator", "metrics.loss", 12],
    ["missing value", "metrics.loss <", 14],
    ["missing key", "metrics. < 1", 8],
    ["trailing AND", "metrics.loss < 1 AND ", 21, "expected a condition after AND"],
    ["leading AND", "AND metrics.loss < 1", 0],
    ["OR", "metrics.loss < 1 OR params.x = 'a'", 17],
    ["parentheses", "(metrics.loss < 1)", 0],
    ["two conditions without AND", "metrics.a = 1 metrics.b = 2", 14],
    ["IS NULL (not in MLflow 3.6)", "tags.a IS NULL", 7],
    ["NOT without IN", "run_id NOT LIKE 'a'", 11]
  ]
  for (const [name, filter, position, reason] of cases) {
    it(name, () => {
      const error = failed(parseRunFilter(filter))
      assert.strictEqual(error._tag, "InvalidFilter")
      assert.strictEqual(error.filter, filter)
      assert.strictEqual(error.position, position, error.reason)
      if (reason !== undefined) assert.strictEqual(error.reason, reason)
    })
  }
})

describe("parseRunOrderBy", () => {
  it("reads entity, key and direction (ASC by default, case-insensitive)", () => {
    assert.deepStrictEqual(
      parsed(parseRunOrderBy(["metrics.loss", "params.lr desc", "tags.`mlflow.runName` ASC", "created DESC"])),
      [
        { kind: "metric", key: "loss", ascending: true },
        { kind: "param", key: "lr", ascending: false },
        { kind: "tag", key: "mlflow.runName", ascending: true },
        { kind: "attribute", key: "start_time", ascending: false }
      ]
    )
  })

  it("no clauses is no ordering (tie-breakers are added by compile/compare)", () => {
    assert.deepStrictEqual(parsed(parseRunOrderBy([])), [])
  })

  const errors: ReadonlyArray<readonly [string, string, ReadonlyArray<string>]> = [
    ["an unknown direction", "metrics.loss UP", ["metrics.loss UP"]],
    ["trailing tokens", "metrics.loss ASC x", ["metrics.loss ASC x"]],
    ["an empty clause", "", [""]],
    ["datasets", "datasets.name", ["datasets.name"]],
    ["an unknown attribute", "attributes.bogus", ["attributes.bogus"]],
    ["the run name alias, which MLflow does not order by", "`run name`", ["`run name`"]],
    ["a duplicate field", "created", ["attributes.start_time", "created"]]
  ]
  for (const [name, bad, clauses] of errors) {
    it(`rejects ${name}`, () => {
      const error = failed(parseRunOrderBy(clauses))
      assert.strictEqual(error._tag, "InvalidOrderBy")
      assert.strictEqual(error.orderBy, bad)
    })
  }
})

describe("parseExperimentFilter / parseExperimentOrderBy", () => {
  it("transcript 5: name LIKE, ordered by creation_time DESC", () => {
    assert.deepStrictEqual(parsed(parseExperimentFilter("name LIKE 'contract%'")), [
      { kind: "attribute", key: "name", comparator: "LIKE", value: "contract%", position: 0 }
    ])
    assert.deepStrictEqual(parsed(parseExperimentOrderBy(["creation_time DESC"])), [
      { key: "creation_time", ascending: false }
    ])
  })

  it("reads tags and numeric attributes, bare or with attribute.", () => {
    assert.deepStrictEqual(
      parsed(parseExperimentFilter("tags.team = 'mlops' and attribute.creation_time >= 5 and last_update_time < 9")),
      [
        { kind: "tag", key: "team", comparator: "=", value: "mlops", position: 0 },
        { kind: "attribute", key: "creation_time", comparator: ">=", value: 5, position: 24 },
        { kind: "attribute", key: "last_update_time", comparator: "<", value: 9, position: 57 }
      ]
    )
  })

  const errors: ReadonlyArray<readonly [string, string, number]> = [
    ["attributes. (MLflow's experiment grammar only knows attribute.)", "attributes.name = 'x'", 0],
    ["experiment_id, which is orderable but not searchable", "experiment_id = '1'", 0],
    ["IN on name", "name IN ('a')", 8],
    ["a string for creation_time", "creation_time > 'x'", 16],
    ["LIKE on a number", "creation_time LIKE 1", 14]
  ]
  for (const [name, filter, position] of errors) {
    it(`rejects ${name}`, () => {
      assert.strictEqual(failed(parseExperimentFilter(filter)).position, position)
    })
  }

  it("orders by attributes only", () => {
    assert.deepStrictEqual(parsed(parseExperimentOrderBy(["name", "experiment_id desc"])), [
      { key: "name", ascending: true },
      { key: "experiment_id", ascending: false }
    ])
    assert.strictEqual(failed(parseExperimentOrderBy(["tags.team"])).reason, "Invalid order_by entity: tag")
  })
})
