import { fileURLToPath } from "node:url"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { decodeAlertRules, loadAlertRules, parseAlertRules } from "../../../src/operations/alerts/load.js"

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/alerts/${name}`, import.meta.url))

const issuesOf = (input: unknown) =>
  Effect.map(Effect.flip(decodeAlertRules(input)), (error) => error.issues.map((issue) => issue.path))

const trackedRule = {
  kind: "tracked",
  name: "accuracy",
  select: { model: "churn", alias: "champion" },
  metric: "val_accuracy",
  op: "<",
  threshold: 0.9
}

describe("alert rule files", () => {
  it.effect("a YAML file holds one rule of each kind, with defaults applied", () =>
    Effect.gen(function* () {
      const set = yield* loadAlertRules(fixture("rules.yaml"))
      assert.deepStrictEqual(
        set.rules.map((rule) => [rule.kind, rule.name]),
        [
          ["tracked", "champion-accuracy"],
          ["tracked", "churn-feature-drift"],
          ["operational", "slow-requests"],
          ["burnRate", "availability"]
        ]
      )
      assert.strictEqual(Duration.toMillis(set.evaluationInterval), 30_000)
      const [champion, drift, , burn] = set.rules
      assert.strictEqual(champion?.kind === "tracked" && Duration.toMillis(champion.for), 600_000)
      assert.strictEqual(drift?.kind === "tracked" && String(drift.tenant), "acme")
      assert.strictEqual(champion?.kind === "tracked" && String(champion.tenant), "default")
      assert.deepStrictEqual(
        burn?.kind === "burnRate" &&
          burn.windows.map((w) => [Duration.toMillis(w.long), Duration.toMillis(w.short), w.factor]),
        [
          [3_600_000, 300_000, 14.4],
          [21_600_000, 1_800_000, 6]
        ]
      )
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("a JSON file is read as JSON", () =>
    Effect.gen(function* () {
      const set = yield* loadAlertRules(fixture("rules.json"))
      const [rule] = set.rules
      assert.strictEqual(rule?.kind, "operational")
      assert.deepStrictEqual(rule?.kind === "operational" && rule.by, ["route"])
      assert.strictEqual(Duration.toMillis(set.evaluationInterval), 15_000)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("a bad field is an InvalidAlertRules naming the file and the field's path", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(loadAlertRules(fixture("invalid-threshold.yaml")))
      assert.strictEqual(error._tag, "InvalidAlertRules")
      assert.deepStrictEqual(
        error.issues.map((issue) => issue.path),
        ["rules[1].threshold"]
      )
      assert.include(error.message, "invalid-threshold.yaml: rules[1].threshold:")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("a missing file is an InvalidAlertRules, not a crash", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(loadAlertRules(fixture("absent.yaml")))
      assert.include(error.message, "cannot read the file")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("text that is not YAML is refused with the parser's reason", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(parseAlertRules("rules: [unclosed", "rules.yaml"))
      assert.include(error.message, "rules.yaml: not valid YAML")
    })
  )

  it.effect("a malformed duration names its field", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* issuesOf({ rules: [{ ...trackedRule, for: "ten minutes" }] }), ["rules[0].for"])
    })
  )

  it.effect("the evaluation interval must be positive", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* issuesOf({ evaluationInterval: "0s", rules: [] }), ["evaluationInterval"])
    })
  )

  it.effect("an unknown field is refused rather than ignored", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* issuesOf({ rules: [{ ...trackedRule, treshold: 1 }] }), ["rules[0].treshold"])
    })
  )

  it.effect("rule names must be unique", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* issuesOf({ rules: [trackedRule, trackedRule] }), ["rules[1].name"])
    })
  )

  it.effect("a burn-rate window pair needs its short window shorter than the long one", () =>
    Effect.gen(function* () {
      const rule = {
        kind: "burnRate",
        name: "availability",
        objective: 0.999,
        errors: { name: "errors_total" },
        total: { name: "requests_total" },
        windows: [{ long: "5m", short: "1h", factor: 14.4 }]
      }
      assert.deepStrictEqual(yield* issuesOf({ rules: [rule] }), ["rules[0].windows[0].short"])
    })
  )

  it.effect("an operational window shorter than two evaluation intervals is refused, naming its path", () =>
    Effect.gen(function* () {
      const rule = {
        kind: "operational",
        name: "errors",
        metric: { name: "errors_total" },
        aggregation: { kind: "increase", window: "1m" },
        op: ">",
        threshold: 5
      }
      const error = yield* Effect.flip(decodeAlertRules({ evaluationInterval: "1m", rules: [rule] }))
      assert.deepStrictEqual(
        error.issues.map((issue) => issue.path),
        ["rules[0].aggregation.window"]
      )
      assert.include(error.message, "at least two evaluation intervals (2m)")
      const accepted = yield* decodeAlertRules({
        evaluationInterval: "1m",
        rules: [{ ...rule, aggregation: { kind: "increase", window: "2m" } }]
      })
      assert.lengthOf(accepted.rules, 1)
    })
  )

  it.effect("every burn-rate window spans at least two evaluation intervals", () =>
    Effect.gen(function* () {
      const rule = {
        kind: "burnRate",
        name: "availability",
        objective: 0.999,
        errors: { name: "errors_total" },
        total: { name: "requests_total" },
        windows: [
          { long: "1h", short: "5m", factor: 14.4 },
          { long: "6h", short: "30m", factor: 6 }
        ]
      }
      assert.deepStrictEqual(yield* issuesOf({ evaluationInterval: "5m", rules: [rule] }), [
        "rules[0].windows[0].short"
      ])
    })
  )
})
