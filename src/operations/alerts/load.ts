import * as FileSystem from "@effect/platform/FileSystem"
import { Array as Arr, Effect, ParseResult, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { InvalidAlertRules, RuleIssue } from "./errors.js"
import { AlertRuleSet } from "./model.js"

const decodeRuleSet = Schema.decodeUnknown(AlertRuleSet, { errors: "all", onExcessProperty: "error" })

/** `rules[1].threshold` from `["rules", 1, "threshold"]`. */
const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (text, key) => (typeof key === "number" ? `${text}[${key}]` : text === "" ? String(key) : `${text}.${String(key)}`),
    ""
  )

const invalid = (source: string, issues: ReadonlyArray<{ readonly path: string; readonly message: string }>) =>
  new InvalidAlertRules({
    source,
    issues: Arr.isNonEmptyReadonlyArray(issues)
      ? Arr.map(issues, (issue) => new RuleIssue(issue))
      : [new RuleIssue({ path: "", message: "invalid rules" })]
  })

/**
 * Validates an already-parsed rule set (e.g. rules declared in code as plain
 * objects). Unknown fields are refused, so a typo is not silently ignored.
 *
 * @example
 * ```ts
 * const rules = yield* decodeAlertRules({
 *   rules: [{ kind: "tracked", name: "champion-accuracy", select: { model: "churn", alias: "champion" },
 *             metric: "val_accuracy", op: "<", threshold: 0.9, for: "10m" }]
 * })
 * ```
 */
export const decodeAlertRules = (input: unknown, source = "rules"): Effect.Effect<AlertRuleSet, InvalidAlertRules> =>
  decodeRuleSet(input).pipe(
    Effect.mapError((error) =>
      invalid(
        source,
        // An optional field reports its value's error and "Expected undefined" for the
        // absent case; the first issue per path is the one that explains it.
        Arr.dedupeWith(
          ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
            path: formatPath(issue.path),
            message: issue.message
          })),
          (a, b) => a.path === b.path
        )
      )
    )
  )

/**
 * Parses and validates rule-file text: JSON when `source` ends in `.json`,
 * YAML otherwise (YAML also reads JSON). `source` names the text in errors.
 *
 * @example
 * ```ts
 * const rules = yield* parseAlertRules(yamlText, "alerts.yaml")
 * ```
 */
export const parseAlertRules = (text: string, source: string): Effect.Effect<AlertRuleSet, InvalidAlertRules> =>
  Effect.try({
    try: (): unknown => (source.endsWith(".json") ? JSON.parse(text) : parseYaml(text)),
    catch: (error) =>
      invalid(source, [
        {
          path: "",
          message: `not valid ${source.endsWith(".json") ? "JSON" : "YAML"}: ${error instanceof Error ? error.message : String(error)}`
        }
      ])
  }).pipe(Effect.flatMap((input) => decodeAlertRules(input, source)))

/**
 * Reads and validates a rule file (YAML or JSON).
 *
 * @example
 * ```ts
 * const rules = yield* loadAlertRules("./alerts.yaml")
 * ```
 */
export const loadAlertRules = Effect.fn("loadAlertRules")(function* (path: string) {
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs
    .readFileString(path)
    .pipe(Effect.mapError((error) => invalid(path, [{ path: "", message: `cannot read the file: ${error.message}` }])))
  return yield* parseAlertRules(text, path)
})
