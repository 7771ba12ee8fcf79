import { Command, Options } from "@effect/cli"
import { Console, Effect, Option, Schema } from "effect"
import { CurrentTenant, TenantId } from "../../core/context.js"
import { AuditTrail } from "../../enterprise/security/audit/AuditTrail.js"
import { AuditChainBroken, AuditEntry, AuditReport } from "../../enterprise/security/audit/model.js"
import { Tenants } from "../../enterprise/tenancy/Tenants.js"
import { onEnterprise } from "../enterprise.js"
import { UsageError } from "../errors.js"
import { group } from "../group.js"
import { formatTime, printJson, printTable } from "../output.js"

/*
 * The audit trail of an enterprise deployment, checked and read in-process
 * with the environment of `EnterpriseLayer` (MLOPS_DATABASE_URL,
 * MLOPS_DATA_DIR, …) plus MLOPS_AUDIT_KEY, as the server that wrote it.
 */

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text"))

/** A tenant named on the command line, which must exist. */
const existingTenant = (tenant: string) =>
  Effect.gen(function* () {
    const decoded = Schema.decodeUnknownOption(TenantId)(tenant)
    if (Option.isNone(decoded)) return yield* new UsageError({ reason: `--tenant: "${tenant}" is not a tenant id` })
    return (yield* (yield* Tenants).get(decoded.value)).tenantId
  })

const describeReport = (report: AuditReport): string => {
  const head = report.head === undefined ? "empty" : `head ${report.head.seq}`
  const checkpoint = report.checkpoint === undefined ? "no checkpoint" : `checkpoint ${report.checkpoint.seq}`
  const total = report.problems.length + report.problemsOmitted
  const verdict = report.ok ? "ok" : `${total} problem${total === 1 ? "" : "s"}`
  const lines = [`${report.tenantId}: ${report.entries} entries, ${head}, ${checkpoint}: ${verdict}`]
  for (const problem of report.problems) {
    lines.push(`  ${problem.seq === undefined ? "" : `entry ${problem.seq}: `}${problem.kind}: ${problem.message}`)
  }
  if (report.problemsOmitted > 0) lines.push(`  … and ${report.problemsOmitted} more`)
  return lines.join("\n")
}

const verify = Command.make(
  "verify",
  {
    json,
    tenant: Options.text("tenant").pipe(
      Options.withDescription("Verify this tenant's trail only (default: every tenant's)"),
      Options.optional
    )
  },
  (flags) =>
    Effect.gen(function* () {
      const tenants = Option.isSome(flags.tenant)
        ? [yield* existingTenant(flags.tenant.value)]
        : (yield* (yield* Tenants).list()).map((t) => t.tenantId)
      const trail = yield* AuditTrail
      const reports = yield* Effect.forEach(tenants, (tenant) =>
        Effect.provideService(trail.verify(), CurrentTenant, tenant)
      )
      if (flags.json) yield* printJson(Schema.Array(AuditReport), reports)
      else yield* Console.log(reports.map(describeReport).join("\n"))
      // The first problem of the first broken trail is the command's error: it exits 1.
      for (const report of reports) {
        const broken = AuditChainBroken.fromReport(report)
        if (broken !== undefined) return yield* broken
      }
    }).pipe(onEnterprise)
).pipe(
  Command.withDescription(
    "Check the audit trail's hash chain and head checkpoint: exits 1 if any entry was edited, inserted or deleted"
  )
)

const list = Command.make(
  "list",
  {
    json,
    tenant: Options.text("tenant").pipe(
      Options.withDescription("The tenant whose trail to list"),
      Options.withDefault("default")
    ),
    limit: Options.integer("limit").pipe(
      Options.withDescription("How many of the newest entries to list (1-1000)"),
      Options.withDefault(50)
    ),
    principal: Options.text("principal").pipe(
      Options.withDescription("Only this principal's entries"),
      Options.optional
    ),
    action: Options.text("action").pipe(Options.withDescription("Only entries of this action"), Options.optional)
  },
  (flags) =>
    Effect.gen(function* () {
      const tenant = yield* existingTenant(flags.tenant)
      const page = yield* (yield* AuditTrail)
        .query({
          limit: flags.limit,
          ...Option.match(flags.principal, { onNone: () => ({}), onSome: (principal) => ({ principal }) }),
          ...Option.match(flags.action, { onNone: () => ({}), onSome: (action) => ({ action }) })
        })
        .pipe(Effect.provideService(CurrentTenant, tenant))
      if (flags.json) return yield* printJson(Schema.Array(AuditEntry), page.entries)
      yield* printTable(
        ["seq", "time", "principal", "action", "resource", "outcome", "request id"],
        page.entries.map((e) => [
          e.seq,
          formatTime(e.entryTime),
          e.principal,
          e.action,
          e.resourceId === "" ? e.resourceKind : `${e.resourceKind} ${e.resourceId}`,
          e.outcome,
          e.requestId ?? null
        ]),
        "no audit entries"
      )
    }).pipe(onEnterprise)
).pipe(Command.withDescription("List a tenant's newest audit entries"))

/** `effect-mlops audit verify|list`: the enterprise audit trail. */
export const auditCommand = group("audit", "Check and read the audit trail of an enterprise deployment", [
  "verify",
  "list"
]).pipe(Command.withSubcommands([verify, list]))
