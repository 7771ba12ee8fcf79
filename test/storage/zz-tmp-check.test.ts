import * as fs from "node:fs"
import * as path from "node:path"
import { Migrator, SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { makeSqliteLayer } from "/work/main/layers/Sql.js"
import { migrations } from "/work/main/src/storage/migrations.js"

it.effect("variant", () => Effect.gen(function*(){
  const dir = fs.mkdtempSync("/tmp/sv/d-")
  const f = path.join(dir, "mlops.db")
  yield* Effect.gen(function*(){
    const sql = yield* SqlClient.SqlClient
    yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
    yield* sql`INSERT INTO effect_sql_migrations (migration_id, name) VALUES (999, 'x')`
  }).pipe(Effect.provide(SqliteClient.layer({ filename: f })))
  console.log(fs.readdirSync(dir), fs.statSync(f).mtimeMs)
  const before = fs.readFileSync(f)
  const e = yield* Effect.flip(Layer.build(makeSqliteLayer({ filename: f })).pipe(Effect.scoped))
  console.log(e._tag, fs.readdirSync(dir), fs.statSync(f).mtimeMs, Buffer.compare(before, fs.readFileSync(f)))
  const tables = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT name FROM sqlite_master WHERE type='table'`).pipe(Effect.provide(SqliteClient.layer({ filename: f })))
  console.log(tables.map(t => t.name))
}))
