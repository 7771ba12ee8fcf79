import { Schema } from "effect"

/** One problem in a rule file: the path of the bad field (`rules[1].threshold`) and what is wrong with it. */
export class RuleIssue extends Schema.Class<RuleIssue>("RuleIssue")({
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * A rule file (or rule value) that does not describe valid alert rules:
 * unreadable, not YAML/JSON, or failing the rule schema. Every issue names
 * the path of the offending field.
 *
 * @example
 * ```ts
 * loadAlertRules("rules.yaml").pipe(
 *   Effect.catchTag("InvalidAlertRules", (e) => Effect.logError(e.message))
 * )
 * ```
 */
export class InvalidAlertRules extends Schema.TaggedError<InvalidAlertRules>()("InvalidAlertRules", {
  source: Schema.String,
  issues: Schema.NonEmptyArray(RuleIssue)
}) {
  override get message(): string {
    return this.issues
      .map((issue) => `${this.source}: ${issue.path === "" ? "" : `${issue.path}: `}${issue.message}`)
      .join("\n")
  }
}
