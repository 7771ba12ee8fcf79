import * as fs from "node:fs"
import * as path from "node:path"
import { createHash, createHmac } from "node:crypto"
import { assert, describe, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Context, Deferred, Effect, Fiber, Layer, Option, Schedule } from "effect"
import { AuditCheckpoints } from "../../../../src/enterprise/security/audit/AuditCheckpoints.js"
import { AuditTrail } from "../../../../src/enterprise/security/audit/AuditTrail.js"
import { canonicalEntry, genesisHash } from "../../../../src/enterprise/security/audit/chain.js"
import { checkpointPath } from "../../../../src/enterprise/security/audit/checkpoints.js"
import { AuditChainBroken, AuditCheckpoint } from "../../../../src/enterprise/security/audit/model.js"
import {
  appendMany,
  as,
  auditKey,
  auditKeyText,
  capturingLogger,
  checkpointsIn,
  Database,
  PostgresTrail,
  pgQuery,
  postgresStore,
  record,
  SqliteTrail,
  Tamper
} from "./fixtures.js"

const trail = AuditTrail
const verify = (tenant: string) => Effect.flatMap(trail, (t) => t.verify()).pipe(as(tenant))
const kinds = (problems: ReadonlyArray<{ readonly kind: string }>) => problems.map((p) => p.kind)
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`

/** The contract every implementation keeps: appends, queries, tenants and a clean verification. */
const contract = (name: string, backend: Layer.Layer<AuditTrail, unknown>) =>
  layer(backend, { timeout: 120_000, excludeTestServices: true })(`AuditTrail (${name})`, (it) => {
    it.effect("append numbers a tenant's entries 1, 2, 3… and chains each to the previous hash", () =>
      Effect.gen(function* () {
        const entries = yield* appendMany("c-append", 3, { before: { role: "viewer" }, after: { role: "editor" } })
        assert.deepStrictEqual(
          entries.map((e) => e.seq),
          [1, 2, 3]
        )
        assert.strictEqual(entries[0]?.prevHash, genesisHash)
        assert.strictEqual(entries[1]?.prevHash, entries[0]?.hash)
        assert.strictEqual(entries[2]?.prevHash, entries[1]?.hash)
        assert.strictEqual(entries[0]?.tenantId, "c-append")
        assert.strictEqual(entries[0]?.beforeState, '{"role":"viewer"}')
        assert.strictEqual(entries[0]?.afterState, '{"role":"editor"}')
        assert.match(entries[0]?.hash ?? "", /^[0-9a-f]{64}$/)
      })
    )

    it.effect("query answers the tenant's entries newest first, filtered and paged", () =>
      Effect.gen(function* () {
        const t = yield* trail
        yield* appendMany("c-query", 3)
        yield* t.append(record(4, { principal: "bob", action: "rbac.grant", resourceKind: "registered_model" }))
        yield* t.append(record(5, { requestId: "req-5" }))
        const all = yield* t.query({})
        assert.deepStrictEqual(
          all.entries.map((e) => e.seq),
          [5, 4, 3, 2, 1]
        )
        assert.isUndefined(all.nextPageToken)
        assert.strictEqual(all.entries[0]?.requestId, "req-5")
        const bob = yield* t.query({ principal: "bob" })
        assert.deepStrictEqual(
          bob.entries.map((e) => e.action),
          ["rbac.grant"]
        )
        const byResource = yield* t.query({ resourceKind: "experiment", resourceId: "2" })
        assert.deepStrictEqual(
          byResource.entries.map((e) => e.seq),
          [2]
        )
        const time = all.entries[0]?.entryTime ?? 0
        assert.strictEqual((yield* t.query({ from: time + 1 })).entries.length, 0)
        assert.strictEqual((yield* t.query({ to: time })).entries.length, 5)
        const first = yield* t.query({ limit: 2 })
        assert.deepStrictEqual(
          first.entries.map((e) => e.seq),
          [5, 4]
        )
        const second = yield* t.query({ limit: 2, pageToken: first.nextPageToken ?? "" })
        assert.deepStrictEqual(
          second.entries.map((e) => e.seq),
          [3, 2]
        )
        // Entries appended between pages do not shift them.
        yield* t.append(record(6))
        const third = yield* t.query({ limit: 2, pageToken: second.nextPageToken ?? "" })
        assert.deepStrictEqual(
          third.entries.map((e) => e.seq),
          [1]
        )
        assert.isUndefined(third.nextPageToken)
        const replayed = yield* Effect.flip(t.query({ principal: "bob", pageToken: first.nextPageToken ?? "" }))
        assert.strictEqual(replayed._tag, "InvalidPageToken")
        const tooMany = yield* Effect.flip(t.query({ limit: 5000 }))
        assert.strictEqual(tooMany._tag, "InvalidArgument")
      }).pipe(as("c-query"))
    )

    it.effect("tenants have independent chains that cannot see each other", () =>
      Effect.gen(function* () {
        yield* appendMany("c-one", 2)
        yield* appendMany("c-two", 3)
        yield* appendMany("c-one", 1)
        const one = yield* Effect.flatMap(trail, (t) => t.query({})).pipe(as("c-one"))
        const two = yield* Effect.flatMap(trail, (t) => t.query({})).pipe(as("c-two"))
        assert.deepStrictEqual(
          one.entries.map((e) => e.seq),
          [3, 2, 1]
        )
        assert.deepStrictEqual(
          two.entries.map((e) => e.seq),
          [3, 2, 1]
        )
        assert.isTrue(one.entries.every((e) => e.tenantId === "c-one"))
        assert.isTrue(two.entries.every((e) => e.tenantId === "c-two"))
        assert.isTrue((yield* verify("c-one")).ok)
        assert.isTrue((yield* verify("c-two")).ok)
      })
    )

    it.effect("many fibers appending at once keep one gap-free chain", () =>
      Effect.gen(function* () {
        const t = yield* trail
        yield* Effect.forEach(
          Array.from({ length: 40 }, (_, i) => i),
          (i) => t.append(record(i)),
          {
            concurrency: "unbounded"
          }
        )
        const report = yield* t.verify()
        assert.isTrue(report.ok, JSON.stringify(report.problems))
        assert.strictEqual(report.entries, 40)
        assert.strictEqual(report.head?.seq, 40)
      }).pipe(as("c-concurrent"))
    )

    it.effect("verify passes on an untouched chain and on an empty one", () =>
      Effect.gen(function* () {
        yield* appendMany("c-clean", 5)
        const report = yield* verify("c-clean")
        assert.isTrue(report.ok)
        assert.strictEqual(report.entries, 5)
        assert.strictEqual(report.head?.seq, 5)
        assert.isUndefined(AuditChainBroken.fromReport(report))
        const empty = yield* verify("c-empty")
        assert.isTrue(empty.ok)
        assert.strictEqual(empty.entries, 0)
      })
    )

    it.effect("records with empty names or state that is not JSON are refused", () =>
      Effect.gen(function* () {
        const t = yield* trail
        const empty = yield* Effect.flip(t.append(record(1, { action: "" })))
        assert.strictEqual(empty._tag, "InvalidArgument")
        const cyclic: Record<string, unknown> = {}
        cyclic.self = cyclic
        const notJson = yield* Effect.flip(t.append(record(1, { after: cyclic })))
        assert.strictEqual(notJson._tag, "InvalidArgument")
        assert.strictEqual((yield* t.query({})).entries.length, 0)
      }).pipe(as("c-invalid"))
    )
  })

contract("memory", AuditTrail.layerMemory(auditKey))
contract("sqlite", SqliteTrail)
contract("postgres", PostgresTrail)

/** Tampering behind the trail's back, on both SQL stores. */
const tampering = (name: string, backend: Layer.Layer<AuditTrail | AuditCheckpoints | Tamper, unknown>) =>
  layer(backend, { timeout: 120_000, excludeTestServices: true })(`tampering with audit_log (${name})`, (it) => {
    const run = (text: string) => Effect.flatMap(Tamper, (t) => t.run(text))
    const where = (tenant: string, condition = "") => `tenant_id = ${quote(tenant)}${condition}`

    it.effect("an edited entry is a hash mismatch at its seq", () =>
      Effect.gen(function* () {
        yield* appendMany("t-edit", 5)
        yield* run(`UPDATE audit_log SET resource_id = 'other' WHERE ${where("t-edit", " AND seq = 3")}`)
        const report = yield* verify("t-edit")
        assert.isFalse(report.ok)
        assert.deepStrictEqual(kinds(report.problems), ["hash-mismatch"])
        const broken = AuditChainBroken.fromReport(report)
        assert.strictEqual(broken?.seq, 3)
        assert.strictEqual(broken?.kind, "hash-mismatch")
        assert.include(broken?.message ?? "", "at entry 3")
      })
    )

    it.effect("an entry inserted by hand is a hash mismatch", () =>
      Effect.gen(function* () {
        yield* appendMany("t-insert", 3)
        const [head] = yield* run(`SELECT hash FROM audit_log WHERE ${where("t-insert", " AND seq = 3")}`)
        const prev = String(head?.hash)
        const forged = createHash("sha256").update("forged").digest("hex")
        yield* run(`INSERT INTO audit_log (tenant_id, seq, entry_time, principal, action, resource_kind, resource_id,
          outcome, prev_hash, hash) VALUES ('t-insert', 4, 1, 'mallory', 'test.write', 'experiment', '9', '200',
          ${quote(prev)}, ${quote(forged)})`)
        const report = yield* verify("t-insert")
        assert.isFalse(report.ok)
        assert.deepStrictEqual(kinds(report.problems), ["hash-mismatch"])
        assert.strictEqual(report.problems[0]?.seq, 4)
        // An entry numbered below the chain's start is found too.
        yield* run(`INSERT INTO audit_log (tenant_id, seq, entry_time, principal, action, resource_kind, resource_id,
          outcome, prev_hash, hash) VALUES ('t-insert', 0, 1, 'mallory', 'x', 'x', '', '200', 'x', 'x')`)
        assert.strictEqual((yield* verify("t-insert")).problems.length, 2)
      })
    )

    it.effect("a deleted entry in the middle is a gap", () =>
      Effect.gen(function* () {
        yield* appendMany("t-gap", 5)
        yield* run(`DELETE FROM audit_log WHERE ${where("t-gap", " AND seq = 3")}`)
        const report = yield* verify("t-gap")
        assert.deepStrictEqual(kinds(report.problems), ["sequence-gap"])
        assert.strictEqual(report.problems[0]?.seq, 3)
        assert.strictEqual(report.entries, 4)
      })
    )

    it.effect("deleting the newest entries is caught by the checkpoint, even after new appends", () =>
      Effect.gen(function* () {
        const lines: Array<string> = []
        yield* appendMany("t-truncate", 5)
        yield* run(`DELETE FROM audit_log WHERE ${where("t-truncate", " AND seq >= 4")}`)
        const report = yield* verify("t-truncate")
        assert.deepStrictEqual(kinds(report.problems), ["truncated"])
        assert.strictEqual(report.problems[0]?.seq, 4)
        assert.strictEqual(report.head?.seq, 3)
        assert.strictEqual(report.checkpoint?.seq, 5)
        // New entries after the truncation chain on the shortened head, but the checkpoint stays.
        yield* appendMany("t-truncate", 2).pipe(Effect.provide(capturingLogger(lines)))
        const after = yield* verify("t-truncate")
        assert.deepStrictEqual(kinds(after.problems), ["checkpoint-mismatch"])
        assert.strictEqual(after.problems[0]?.seq, 5)
        assert.strictEqual(after.checkpoint?.seq, 5)
        assert.isTrue(lines.some((line) => line.includes("audit trail tampered with")))
        assert.isFalse(lines.some((line) => line.includes(auditKeyText)))
      })
    )

    it.effect("a chain recomputed without the key is caught", () =>
      Effect.gen(function* () {
        yield* appendMany("t-recompute", 4)
        const rows = yield* run(
          `SELECT tenant_id, seq, entry_time, principal, action, resource_kind, resource_id, request_id, outcome,
           before_state, after_state, detail, prev_hash, hash FROM audit_log WHERE ${where("t-recompute")} ORDER BY seq`
        )
        // The attacker rewrites entry 2 and re-chains 2..4 with a key of their own.
        let prev = String(rows[0]?.hash)
        for (const row of rows.slice(1)) {
          const get = (snake: string) => row[snake] ?? row[snake.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())]
          const fields = {
            tenantId: String(get("tenant_id")),
            seq: Number(get("seq")),
            entryTime: Number(get("entry_time")),
            principal: Number(get("seq")) === 2 ? "nobody" : String(get("principal")),
            action: String(get("action")),
            resourceKind: String(get("resource_kind")),
            resourceId: String(get("resource_id")),
            requestId: null,
            outcome: String(get("outcome")),
            beforeState: null,
            afterState: null,
            detail: null,
            prevHash: prev
          }
          const hash = createHmac("sha256", "the-attackers-guess").update(canonicalEntry(fields)).digest("hex")
          yield* run(`UPDATE audit_log SET principal = ${quote(fields.principal)}, prev_hash = ${quote(prev)},
            hash = ${quote(hash)} WHERE ${where("t-recompute", ` AND seq = ${fields.seq}`)}`)
          prev = hash
        }
        const report = yield* verify("t-recompute")
        assert.isFalse(report.ok)
        assert.strictEqual(report.problems[0]?.kind, "hash-mismatch")
        assert.strictEqual(report.problems[0]?.seq, 2)
        assert.include(kinds(report.problems), "checkpoint-mismatch")
      })
    )

    it.effect("checkpoints follow the appends in the background, without a verify", () =>
      Effect.gen(function* () {
        const checkpoints = yield* AuditCheckpoints
        yield* appendMany("t-background", 3)
        const checkpointed = yield* checkpoints.read("t-background").pipe(
          Effect.orDie,
          Effect.filterOrFail((c) => Option.isSome(c) && c.value.seq === 3),
          Effect.retry(Schedule.spaced("10 millis")),
          Effect.timeout("10 seconds")
        )
        assert.isTrue(Option.isSome(checkpointed))
      })
    )

    it.effect("a missing, forged or borrowed checkpoint is reported", () =>
      Effect.gen(function* () {
        const { checkpointDir } = yield* Tamper
        const checkpoints = yield* AuditCheckpoints
        yield* appendMany("t-cp-a", 2)
        yield* appendMany("t-cp-b", 2)
        // Checkpoints are written in the background; verify writes this process's pending ones first.
        assert.strictEqual((yield* verify("t-cp-a")).checkpoint?.seq, 2)
        assert.strictEqual((yield* verify("t-cp-b")).checkpoint?.seq, 2)
        const file = path.join(checkpointDir, "files", checkpointPath("t-cp-a"))
        assert.isTrue(fs.existsSync(file), "the checkpoint lives in the artifact store's files")
        // Forged: the right head, a MAC made without the key.
        const head = Option.getOrThrow(yield* checkpoints.read("t-cp-a"))
        yield* checkpoints.write("t-cp-a", new AuditCheckpoint({ seq: head.seq, hash: head.hash, mac: "00" }))
        assert.deepStrictEqual(kinds((yield* verify("t-cp-a")).problems), ["checkpoint-invalid"])
        // Borrowed: another tenant's valid checkpoint.
        yield* checkpoints.write("t-cp-a", Option.getOrThrow(yield* checkpoints.read("t-cp-b")))
        assert.deepStrictEqual(kinds((yield* verify("t-cp-a")).problems), ["checkpoint-invalid"])
        // Missing.
        fs.rmSync(file)
        fs.rmSync(path.join(checkpointDir, "meta", checkpointPath("t-cp-a")), { force: true })
        assert.deepStrictEqual(kinds((yield* verify("t-cp-a")).problems), ["checkpoint-missing"])
      })
    )
  })

tampering("sqlite", SqliteTrail)
tampering("postgres", PostgresTrail)

/** Another replica over the test's database: its own pool and trail, the same checkpoint files. */
const otherReplica = Effect.gen(function* () {
  const { name } = yield* Database
  const sqlLayer = postgresStore(name)
  const context = yield* Layer.build(
    Layer.merge(
      AuditTrail.layer(auditKey).pipe(
        Layer.provide(checkpointsIn((yield* Tamper).checkpointDir)),
        Layer.provide(sqlLayer)
      ),
      sqlLayer
    )
  )
  return { trail: Context.get(context, AuditTrail), sql: Context.get(context, SqlClient.SqlClient) }
})

/**
 * Holds `tenant`'s chain lock in a transaction of `sql`, as another replica's locked append does
 * between reading the head and writing, until `release` is completed; then runs `then` in it.
 */
const holdChainLock = <A, E>(sql: SqlClient.SqlClient, tenant: string, then: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const locked = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const holder = yield* sql
      .withTransaction(
        Effect.gen(function* () {
          yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`audit:${tenant}`}))`
          yield* Deferred.succeed(locked, undefined)
          yield* Deferred.await(release)
          return yield* then
        })
      )
      .pipe(Effect.fork)
    yield* Deferred.await(locked)
    return { holder, release: Deferred.succeed(release, undefined) }
  })

describe("AuditTrail on PostgreSQL", () => {
  layer(PostgresTrail, { timeout: 120_000, excludeTestServices: true })("replicas and roles", (it) => {
    it.effect("two store instances (two pools, like two replicas) appending at once keep one gap-free chain", () =>
      Effect.gen(function* () {
        const { name } = yield* Database
        const { checkpointDir } = yield* Tamper
        const first = yield* AuditTrail
        // A second replica: its own pool, its own checkpoint store instance over the same files.
        const context = yield* Layer.build(
          AuditTrail.layer(auditKey).pipe(
            Layer.provide(checkpointsIn(checkpointDir)),
            Layer.provide(postgresStore(name))
          )
        )
        const second = Context.get(context, AuditTrail)
        const appendOn = (t: typeof first, n: number) =>
          Effect.forEach(
            Array.from({ length: n }, (_, i) => i),
            (i) => t.append(record(i)),
            { concurrency: 8 }
          )
        yield* Effect.all([appendOn(first, 30), appendOn(second, 30)], { concurrency: 2 })
        const seqs = (yield* first.query({ limit: 1000 })).entries.map((e) => e.seq).sort((a, b) => a - b)
        assert.deepStrictEqual(
          seqs,
          Array.from({ length: 60 }, (_, i) => i + 1)
        )
        // Each verify first checkpoints its own process's appends; after both, the checkpoint is the head.
        for (const t of [first, second, first]) {
          const report = yield* t.verify()
          assert.isTrue(report.ok, JSON.stringify(report.problems))
          assert.strictEqual(report.head?.seq, 60)
        }
        assert.strictEqual((yield* first.verify()).checkpoint?.seq, 60)
      }).pipe(Effect.scoped, as("r-replicas"))
    )

    it.effect("two replicas appending one entry at a time, in turn, keep one gap-free chain", () =>
      Effect.gen(function* () {
        const first = yield* AuditTrail
        const { trail: second } = yield* otherReplica
        // Each lone append after the first starts after the head its own replica knows, which the
        // other replica has moved on from: the primary key refuses it and the locked path takes over.
        for (let i = 0; i < 10; i++) {
          assert.strictEqual((yield* first.append(record(2 * i))).seq, 2 * i + 1)
          assert.strictEqual((yield* second.append(record(2 * i + 1))).seq, 2 * i + 2)
        }
        const report = yield* first.verify()
        assert.isTrue(report.ok, JSON.stringify(report.problems))
        assert.strictEqual(report.head?.seq, 20)
      }).pipe(Effect.scoped, as("r-in-turn"))
    )

    it.effect("a lone append waits for the chain's lock that another replica's transaction holds", () =>
      Effect.gen(function* () {
        const first = yield* AuditTrail
        const { trail: second, sql } = yield* otherReplica
        yield* first.append(record(1))
        const { holder, release } = yield* holdChainLock(sql, "r-held", second.append(record(2)))
        const lone = yield* Effect.fork(first.append(record(3)))
        yield* Effect.sleep("200 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(lone)), "the lone append did not wait for the lock")
        yield* release
        assert.strictEqual((yield* Fiber.join(holder)).seq, 2)
        assert.strictEqual((yield* Fiber.join(lone)).seq, 3)
        const report = yield* first.verify()
        assert.isTrue(report.ok, JSON.stringify(report.problems))
      }).pipe(Effect.scoped, as("r-held"))
    )

    it.effect("a lone append whose caller is interrupted still commits, and the appends queued behind it too", () =>
      Effect.gen(function* () {
        const first = yield* AuditTrail
        const { sql } = yield* otherReplica
        yield* first.append(record(1))
        // The lock held elsewhere keeps the lone append (seq 2) in flight while two more queue behind it.
        const { holder, release } = yield* holdChainLock(sql, "r-gone", Effect.void)
        const lone = yield* Effect.fork(first.append(record(2)))
        yield* Effect.sleep("100 millis")
        const queued = yield* Effect.fork(
          Effect.all([first.append(record(3)), first.append(record(4))], { concurrency: 2 })
        )
        yield* Effect.sleep("100 millis")
        // The caller goes away (a client disconnecting) while its entry is being appended.
        const interrupting = yield* Effect.fork(Fiber.interrupt(lone))
        yield* release
        yield* Fiber.join(holder)
        yield* Fiber.join(interrupting)
        const [third, fourth] = yield* Fiber.join(queued)
        assert.deepStrictEqual([third.seq, fourth.seq].sort(), [3, 4])
        const seqs = (yield* first.query({ limit: 10 })).entries.map((e) => e.seq).sort()
        assert.deepStrictEqual(seqs, [1, 2, 3, 4])
        const report = yield* first.verify()
        assert.isTrue(report.ok, JSON.stringify(report.problems))
      }).pipe(Effect.scoped, as("r-gone"))
    )

    it.effect("closing a trail writes the heads it appended", () =>
      Effect.gen(function* () {
        const { name } = yield* Database
        const { checkpointDir } = yield* Tamper
        yield* Effect.gen(function* () {
          const context = yield* Layer.build(
            AuditTrail.layer(auditKey).pipe(
              Layer.provide(checkpointsIn(checkpointDir)),
              Layer.provide(postgresStore(name))
            )
          )
          const t = Context.get(context, AuditTrail)
          yield* Effect.forEach([1, 2, 3, 4, 5], (n) => t.append(record(n)), { concurrency: "unbounded" })
        }).pipe(Effect.scoped)
        const checkpoint = yield* Effect.flatMap(AuditCheckpoints, (c) => c.read("r-close"))
        assert.strictEqual(Option.getOrThrow(checkpoint).seq, 5)
        assert.isTrue((yield* verify("r-close")).ok)
      }).pipe(as("r-close"))
    )

    it.effect("the application's role may not UPDATE or DELETE audit_log", () =>
      Effect.gen(function* () {
        const { name } = yield* Database
        yield* appendMany("r-role", 2)
        const attempt = (text: string) =>
          pgQuery(name, "app", text, "r-role").pipe(
            Effect.as("allowed"),
            Effect.catchAllDefect((defect) => Effect.succeed(String(defect)))
          )
        assert.include(yield* attempt("UPDATE audit_log SET outcome = 'x'"), "permission denied")
        assert.include(yield* attempt("DELETE FROM audit_log"), "permission denied")
        assert.include(yield* attempt("TRUNCATE audit_log"), "permission denied")
        const rows = yield* pgQuery(name, "app", "SELECT seq FROM audit_log", "r-role")
        assert.strictEqual(rows.length, 2)
        // Nor does it see another tenant's entries.
        assert.strictEqual((yield* pgQuery(name, "app", "SELECT seq FROM audit_log", "r-other")).length, 0)
        assert.isTrue((yield* verify("r-role")).ok)
      })
    )

    it.effect("an entry appended inside a caller's transaction commits or rolls back with it", () =>
      Effect.gen(function* () {
        const { trail: t, sql } = yield* otherReplica
        yield* t.append(record(1))
        yield* sql.withTransaction(Effect.zipRight(t.append(record(2)), Effect.fail("rolled back"))).pipe(Effect.ignore)
        yield* sql.withTransaction(t.append(record(3)))
        yield* t.append(record(4))
        const seqs = (yield* t.query({})).entries.map((e) => [e.seq, e.resourceId])
        assert.deepStrictEqual(seqs, [
          [3, "4"],
          [2, "3"],
          [1, "1"]
        ])
        const report = yield* t.verify()
        assert.isTrue(report.ok, JSON.stringify(report.problems))
        assert.strictEqual(report.checkpoint?.seq, 3)
      }).pipe(Effect.scoped, as("r-nested"))
    )
  })
})
