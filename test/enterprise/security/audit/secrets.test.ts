import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Layer, Logger, LogLevel, Schema } from "effect"
import { AuditCheckpoints } from "../../../../src/enterprise/security/audit/AuditCheckpoints.js"
import { AuditTrail } from "../../../../src/enterprise/security/audit/AuditTrail.js"
import { AuditChainBroken, AuditCheckpointError, AuditReport } from "../../../../src/enterprise/security/audit/model.js"
import { SqliteTest } from "../../../support/sqlite.js"
import { appendMany, as, auditKey, auditKeyText, capturingLogger, Tamper } from "./fixtures.js"

/** A checkpoint store that fails every call, as an unreachable disk would. */
const BrokenCheckpoints = Layer.succeed(AuditCheckpoints, {
  read: (tenantId) => Effect.fail(new AuditCheckpointError({ tenantId, operation: "read", reason: "disk gone" })),
  write: (tenantId) => Effect.fail(new AuditCheckpointError({ tenantId, operation: "write", reason: "disk gone" }))
})

const Trail = AuditTrail.layer(auditKey).pipe(
  Layer.provideMerge(BrokenCheckpoints),
  Layer.provideMerge(
    Layer.effect(
      Tamper,
      Effect.map(SqlClient.SqlClient, (sql) => ({
        run: (text: string) => Effect.orDie(sql.unsafe<Record<string, unknown>>(text)),
        checkpointDir: ""
      }))
    )
  ),
  Layer.provideMerge(SqliteTest)
)

describe("the audit key stays secret", () => {
  it.live("no log line, error, report or cause ever holds it", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const texts: Array<string> = []
      yield* Effect.gen(function* () {
        const trail = yield* AuditTrail
        // Appends whose checkpoint cannot be written: logged as errors, with their causes.
        yield* appendMany("s-one", 3)
        yield* (yield* Tamper).run("UPDATE audit_log SET outcome = '500' WHERE seq = 2")
        const report = yield* trail.verify().pipe(as("s-one"))
        assert.isFalse(report.ok)
        texts.push(JSON.stringify(Schema.encodeSync(AuditReport)(report)))
        const broken = AuditChainBroken.fromReport(report)
        texts.push(String(broken), broken?.message ?? "", JSON.stringify(broken))
        const invalid = yield* Effect.flip(
          trail.append({ principal: "", action: "", resourceKind: "", resourceId: "", outcome: "" })
        )
        texts.push(String(invalid), Cause.pretty(Cause.fail(invalid)))
      }).pipe(Effect.provide(Trail), Effect.provide(capturingLogger(lines)), Logger.withMinimumLogLevel(LogLevel.All))

      // The key from the environment: a short one is refused without being repeated.
      for (const env of [{ MLOPS_AUDIT_KEY: "short-but-secret" }, {}]) {
        const exit = yield* Layer.build(AuditTrail.layerConfig).pipe(
          Effect.provide(Layer.merge(BrokenCheckpoints, SqliteTest)),
          Effect.withConfigProvider(ConfigProvider.fromJson(env)),
          Effect.scoped,
          Effect.exit
        )
        assert.isTrue(Exit.isFailure(exit))
        texts.push(String(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "")
        if ("MLOPS_AUDIT_KEY" in env) assert.notInclude(String(exit), "short-but-secret")
      }
      const built = yield* Layer.build(AuditTrail.layerConfig).pipe(
        Effect.provide(Layer.merge(BrokenCheckpoints, SqliteTest)),
        Effect.withConfigProvider(ConfigProvider.fromJson({ MLOPS_AUDIT_KEY: auditKeyText })),
        Effect.scoped,
        Effect.exit
      )
      assert.isTrue(Exit.isSuccess(built))

      assert.isTrue(lines.some((line) => line.includes("audit checkpoint not written")))
      assert.isTrue(lines.some((line) => line.includes("disk gone")))
      for (const text of [...lines, ...texts]) assert.notInclude(text, auditKeyText)
    })
  )
})
