import * as NodeContext from "@effect/platform-node/NodeContext"
import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Logger, Redacted } from "effect"
import pg from "pg"
import { makePostgresLayer } from "../../../../layers/Postgres.js"
import { ArtifactStore } from "../../../../src/core/artifacts/ArtifactStore.js"
import { CurrentTenant, TenantId } from "../../../../src/core/context.js"
import { AuditCheckpoints } from "../../../../src/enterprise/security/audit/AuditCheckpoints.js"
import { AuditTrail } from "../../../../src/enterprise/security/audit/AuditTrail.js"
import type { AuditRecord } from "../../../../src/enterprise/security/audit/model.js"
import { databaseUrl, freshDatabase } from "../../../support/postgres.js"
import { SqliteTest, tempDir } from "../../../support/sqlite.js"

/** The audit key of the tests; each test asserts it never shows up in logs or errors. */
export const auditKeyText = "an-audit-key-for-tests-0123456789-abcdefgh"
export const auditKey = Redacted.make(auditKeyText)

/** Runs `self` in `tenant`. */
export const as =
  (tenant: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.provideService(self, CurrentTenant, TenantId.make(tenant))

/** A record numbered `n`. */
export const record = (n: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  principal: "alice",
  action: "test.write",
  resourceKind: "experiment",
  resourceId: String(n),
  outcome: "200",
  ...extra
})

/** Appends `count` records one after the other in `tenant`. */
export const appendMany = (tenant: string, count: number, extra: Partial<AuditRecord> = {}) =>
  Effect.flatMap(AuditTrail, (trail) =>
    Effect.forEach(
      Array.from({ length: count }, (_, i) => i + 1),
      (n) => trail.append(record(n, extra))
    )
  ).pipe(as(tenant))

/**
 * Raw SQL behind the trail's back, as someone with direct database access:
 * on PostgreSQL the superuser (row-level security does not apply), on SQLite
 * the store's own connection.
 */
export class Tamper extends Context.Tag("test/audit/Tamper")<
  Tamper,
  {
    readonly run: (text: string) => Effect.Effect<ReadonlyArray<Record<string, unknown>>>
    /** The directory of the checkpoint store's files (absent for the memory trail). */
    readonly checkpointDir: string
  }
>() {}

/** The PostgreSQL database of a suite, for connections of its own. */
export class Database extends Context.Tag("test/audit/Database")<Database, { readonly name: string }>() {}

/** A statement on a fresh connection as the superuser (`admin`) or the application's role. */
export const pgQuery = (database: string, role: "admin" | "app", text: string, tenant?: string) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: databaseUrl(database, role) })
    await client.connect()
    try {
      if (tenant !== undefined) await client.query("SELECT set_config('app.tenant_id', $1, false)", [tenant])
      return (await client.query(text)).rows as ReadonlyArray<Record<string, unknown>>
    } finally {
      await client.end()
    }
  })

/** The checkpoint store over a directory, as the enterprise layer keeps it (an un-prefixed artifact store). */
export const checkpointsIn = (dir: string) =>
  AuditCheckpoints.layerArtifacts.pipe(Layer.provide(ArtifactStore.layer(dir)), Layer.provide(NodeContext.layer))

/** The PostgreSQL database of `name`, as the application opens it (migrated by the owner). */
export const postgresStore = (name: string) =>
  makePostgresLayer({
    url: Redacted.make(databaseUrl(name, "app")),
    adminUrl: Redacted.make(databaseUrl(name, "admin"))
  })

/** The trail on a fresh PostgreSQL database, checkpoints in a temporary directory. */
export const PostgresTrail = Layer.unwrapScoped(
  Effect.gen(function* () {
    const name = yield* freshDatabase
    const dir = yield* tempDir("audit-checkpoints")
    return AuditTrail.layer(auditKey).pipe(
      Layer.provideMerge(checkpointsIn(dir)),
      Layer.provide(postgresStore(name)),
      Layer.merge(
        Layer.succeed(Tamper, {
          run: (text) => pgQuery(name, "admin", text),
          checkpointDir: dir
        })
      ),
      Layer.merge(Layer.succeed(Database, { name }))
    )
  })
)

/** The trail on a fresh SQLite file, checkpoints in a temporary directory. */
export const SqliteTrail = Layer.unwrapScoped(
  Effect.gen(function* () {
    const dir = yield* tempDir("audit-checkpoints")
    const tamper = Layer.effect(
      Tamper,
      Effect.map(SqlClient.SqlClient, (sql) => ({
        run: (text: string) => Effect.orDie(sql.unsafe<Record<string, unknown>>(text)),
        checkpointDir: dir
      }))
    )
    return Layer.merge(AuditTrail.layer(auditKey), tamper).pipe(
      Layer.provideMerge(checkpointsIn(dir)),
      Layer.provide(SqliteTest)
    )
  })
)

/** A logger that keeps every line (message, annotations and cause) in `lines`. */
export const capturingLogger = (lines: Array<string>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.map(Logger.logfmtLogger, (line) => {
      lines.push(line)
    })
  )
