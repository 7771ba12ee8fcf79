import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import {
  Cause,
  Clock,
  Deferred,
  Duration,
  Effect,
  Either,
  Exit,
  FiberRef,
  HashMap,
  Option,
  Queue,
  type Redacted
} from "effect"
import { CurrentTenant, type TenantId } from "../../../core/context.js"
import { isRetryableSqlError, isUniqueViolation, withWriteTransaction } from "../../../storage/transaction.js"
import { AuditCheckpoints } from "./AuditCheckpoints.js"
import {
  type AuditRow,
  chainRow,
  type UnchainedRow,
  entryOfRow,
  makeChainVerifier,
  makeCheckpoint,
  rowOfRecord,
  validCheckpoint
} from "./chain.js"
import { AuditHead, type AuditQuery, type AuditRecord } from "./model.js"
import { checkQuery, pageOfRows } from "./query.js"

const columns =
  "tenant_id, seq, entry_time, principal, action, resource_kind, resource_id, request_id, outcome, before_state, after_state, detail, prev_hash, hash"

const verifyPageSize = 1000
/** Appends committed in one transaction at most. */
const maxBatch = 200

/**
 * How long the checkpoint writer rests after a write before the next one;
 * appends committed meanwhile share that next write, of the newest head.
 * Writing after every append kept the writer busy without pause under
 * sequential ingest (a checkpoint — read, compare, fsynced write — took
 * 30–70 ms there, longer than a request, and ~10 ms of the server's CPU),
 * which slowed 1-client `log-batch` ingest by a fifth to a third; resting
 * caps it at a few writes a second whatever the load.
 *
 * The trade: a checkpoint lags the chain by up to this interval plus a
 * write or two, so entries committed that recently before a crash (or a
 * `kill -9`, which skips the final write) may be absent from the
 * checkpoint, and deleting them afterwards would go unnoticed. That is
 * acceptable because `verify` takes the checkpoint as a lower bound of the
 * chain (the chain must reach the checkpointed entry, and may run past it):
 * a lagging checkpoint still catches the deletion of every older entry, and
 * never raises a false alarm.
 */
export const checkpointInterval: Duration.Duration = Duration.millis(250)

/**
 * The audit trail over SQL (`audit_log`, SQLite and PostgreSQL).
 *
 * Appends are serialised per tenant so each chain stays one gap-free line:
 * on PostgreSQL by `pg_advisory_xact_lock(hashtext('audit:' || tenant))`
 * held to the end of the appending transaction (so replicas sharing the
 * database queue up too), on SQLite by the database's single writer (a
 * transaction that read a stale head fails with SQLITE_BUSY_SNAPSHOT and
 * `withWriteTransaction` runs it again). Within a process, appends to one
 * tenant that arrive together are committed together, in order, in one
 * transaction (group commit): the lock is then held once per batch instead
 * of once per entry (0.8 ms per append with 16 concurrent appenders on the
 * test machine's PostgreSQL, against 5.3 ms one transaction each).
 *
 * Head checkpoints are written by a background fiber, not by `append`: a
 * durable write to the local artifact store (two fsyncs and two renames)
 * cost ~25 ms on the test machine, against ~5 ms for the append itself, and
 * every write request appends. The writer wakes after each batch commits and
 * writes each tenant's newest entry *this process appended* — its sequence
 * number and hash from memory, never the table's head, so rows deleted in
 * between cannot be laundered into the checkpoint — then rests for
 * {@link checkpointInterval} before it writes again, so however fast a
 * tenant appends its checkpoint is written a few times a second, always
 * with the newest head (see there for why, and for the window this leaves).
 * A checkpoint is only replaced by a newer one. Closing the layer writes the
 * last heads, and `verify` writes this process's pending head first.
 */
export const makeSql = (key: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const checkpoints = yield* AuditCheckpoints
    const cols = sql.literal(columns)
    const transaction = withWriteTransaction(sql)

    const chainLock = (tenant: string) => sql`pg_advisory_xact_lock(hashtext(${`audit:${tenant}`}))`

    /** Serialises a tenant's appends: a PostgreSQL advisory lock; SQLite's single writer does it already. */
    const lockChain = (tenant: string) =>
      sql.onDialectOrElse({
        pg: () => Effect.asVoid(sql`SELECT ${chainLock(tenant)}`),
        orElse: () => Effect.void
      })

    /**
     * Runs a tenant's checkpoint write alone among replicas: on PostgreSQL
     * under a second advisory lock (`audit-checkpoint:`), which appends do
     * not wait for. SQLite has nothing so light (its write lock would stop
     * every writer while the file is written), so there only the semaphore
     * of this process applies: another process sharing the file may put back
     * an older head, still a valid one, until the next checkpoint.
     */
    const checkpointLock = <A, E, R>(tenant: string, effect: Effect.Effect<A, E, R>) =>
      sql.onDialectOrElse({
        pg: () =>
          transaction(
            Effect.zipRight(sql`SELECT pg_advisory_xact_lock(hashtext(${`audit-checkpoint:${tenant}`}))`, effect)
          ),
        orElse: () => effect
      })

    const readHead = (tenant: string) =>
      Effect.map(
        sql<{ readonly seq: number; readonly hash: string }>`SELECT seq, hash FROM audit_log
          WHERE tenant_id = ${tenant} ORDER BY seq DESC LIMIT 1`,
        (rows) => Option.map(Option.fromNullable(rows[0]), (row) => new AuditHead({ seq: row.seq, hash: row.hash }))
      )

    const hashAt = (tenant: string, seq: number) =>
      Effect.map(
        sql<{ readonly hash: string }>`SELECT hash FROM audit_log WHERE tenant_id = ${tenant} AND seq = ${seq}`,
        (rows) => Option.map(Option.fromNullable(rows[0]), (row) => row.hash)
      )

    /** An entry to chain: its row and the time of the append. */
    interface Unchained {
      readonly row: UnchainedRow
      readonly entryTime: number
    }
    /** An append waiting for the tenant's next batch. */
    interface Pending extends Unchained {
      readonly done: Deferred.Deferred<AuditRow, SqlError>
    }
    /**
     * Per tenant in this process: the appends waiting for a batch, whether a
     * batch writer runs, the newest entry committed here and the newest seq
     * known to be checkpointed.
     */
    interface TenantState {
      readonly lock: Effect.Semaphore
      pending: Array<Pending>
      draining: boolean
      appended: AuditHead | undefined
      written: number
    }
    const states = new Map<string, TenantState>()
    const stateOf = (tenant: string): TenantState => {
      let state = states.get(tenant)
      if (state === undefined) {
        state = { lock: Effect.unsafeMakeSemaphore(1), pending: [], draining: false, appended: undefined, written: 0 }
        states.set(tenant, state)
      }
      return state
    }
    const layerScope = yield* Effect.scope

    const tampered = (tenant: string, reason: string) =>
      Effect.logError(`audit trail tampered with: ${reason}; run \`effect-mlops audit verify\``).pipe(
        Effect.annotateLogs({ tenant })
      )

    /** Checkpoints the newest entry this process appended to the tenant's chain, unless a checkpoint covers it. */
    const checkpoint = (tenant: TenantId) => {
      const state = stateOf(tenant)
      return state.lock
        .withPermits(1)(
          Effect.suspend(() => {
            const target = state.appended
            if (target === undefined || state.written >= target.seq) return Effect.void
            return checkpointLock(
              tenant,
              Effect.gen(function* () {
                const current = yield* checkpoints.read(tenant)
                if (Option.isSome(current)) {
                  const c = current.value
                  // The refusals leave the checkpoint as evidence, and are logged once per head.
                  if (!validCheckpoint(key, tenant, c)) {
                    state.written = Math.max(state.written, target.seq)
                    return yield* tampered(tenant, "the head checkpoint's MAC is wrong; it is left as it is")
                  }
                  if (c.seq > target.seq || (c.seq === target.seq && c.hash === target.hash)) {
                    state.written = Math.max(state.written, target.seq)
                    return
                  }
                  if (c.seq === target.seq) {
                    state.written = Math.max(state.written, target.seq)
                    return yield* tampered(tenant, `two different entries were appended as entry ${c.seq}`)
                  }
                }
                const stored = yield* hashAt(tenant, target.seq)
                if (Option.isNone(stored) || stored.value !== target.hash) {
                  // Checkpointed all the same: the checkpoint is the evidence.
                  yield* tampered(tenant, `entry ${target.seq}, appended by this process, is missing or changed`)
                }
                yield* checkpoints.write(tenant, makeCheckpoint(key, tenant, target))
                state.written = Math.max(state.written, target.seq)
              })
            )
          })
        )
        .pipe(
          Effect.provideService(CurrentTenant, tenant),
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause)
              ? Effect.interrupt
              : Effect.logError("audit checkpoint not written", cause).pipe(Effect.annotateLogs({ tenant }))
          ),
          Effect.withSpan("AuditTrail.checkpoint", { attributes: { tenant } })
        )
    }

    // The background writer: woken by appends, it checkpoints every tenant that has moved on, then
    // rests; the wakes of appends committed meanwhile collapse into one (a sliding queue of one).
    const wake = yield* Queue.sliding<void>(1)
    const checkpointAll = Effect.suspend(() =>
      Effect.forEach(
        [...states.entries()].filter(([, state]) => (state.appended?.seq ?? 0) > state.written),
        ([tenant]) => checkpoint(tenant as TenantId),
        { concurrency: 4, discard: true }
      )
    )
    yield* Effect.forkScoped(
      Effect.forever(
        Queue.take(wake).pipe(Effect.zipRight(checkpointAll), Effect.zipRight(Effect.sleep(checkpointInterval)))
      )
    )
    // Runs before the writer is interrupted (finalizers run in reverse order): the last heads are written.
    yield* Effect.addFinalizer(() => checkpointAll)

    /** Chains `rows` onto the tenant's head, in order, in one transaction under the chain's lock. */
    const appendRows = (tenant: TenantId, rows: ReadonlyArray<Unchained>) =>
      transaction(
        Effect.gen(function* () {
          yield* lockChain(tenant)
          let head = yield* readHead(tenant)
          const chained = rows.map(({ entryTime, row }) => {
            const next = chainRow(key, tenant, head, entryTime, row)
            head = Option.some(new AuditHead({ seq: next.seq, hash: next.hash }))
            return next
          })
          yield* sql`INSERT INTO audit_log ${sql.insert(chained.map((row) => ({ ...row })))}`
          return chained
        })
      )

    /**
     * One entry appended right after `head`, the newest entry this process
     * committed, in a single statement: no transaction, and on PostgreSQL the
     * chain's lock taken by the statement itself. It inserts only while that
     * entry is still stored with its hash, and an entry another replica
     * appended in the same place refuses it on the primary key. None when
     * either happened (or the store was busy): the locked path then chains
     * onto the stored head and reports a lost one. An entry appended this
     * way costs two round trips on PostgreSQL (the tenant setting and the
     * INSERT) instead of six, which every write request pays before it is
     * answered.
     */
    const appendAfter = (tenant: TenantId, head: AuditHead, entry: Unchained) => {
      const row = chainRow(key, tenant, Option.some(head), entry.entryTime, entry.row)
      const values = sql`${row.tenantId}, ${row.seq}, ${row.entryTime}, ${row.principal}, ${row.action},
        ${row.resourceKind}, ${row.resourceId}, ${row.requestId}, ${row.outcome}, ${row.beforeState},
        ${row.afterState}, ${row.detail}, ${row.prevHash}, ${row.hash}`
      const stillHead = sql`EXISTS (SELECT 1 FROM audit_log
        WHERE tenant_id = ${tenant} AND seq = ${head.seq} AND hash = ${head.hash})`
      return sql
        .onDialectOrElse({
          // The lock is taken before the row is produced, so a locked append never sees the head move under it.
          pg: () => sql<{ readonly seq: number }>`WITH chain_lock AS (SELECT ${chainLock(tenant)})
            INSERT INTO audit_log (${cols}) SELECT ${values} FROM chain_lock WHERE ${stillHead} RETURNING seq`,
          orElse: () =>
            sql<{
              readonly seq: number
            }>`INSERT INTO audit_log (${cols}) SELECT ${values} WHERE ${stillHead} RETURNING seq`
        })
        .pipe(
          Effect.map((inserted): Option.Option<AuditRow> => (inserted.length === 1 ? Option.some(row) : Option.none())),
          Effect.catchIf(
            (error) => isUniqueViolation(error) || isRetryableSqlError(error),
            () => Effect.succeed(Option.none<AuditRow>())
          )
        )
    }

    /** A batch chained onto the tenant's chain: a lone entry after this process's head without the lock if it can. */
    const appendBatch = (tenant: TenantId, state: TenantState, batch: ReadonlyArray<Unchained>) => {
      const [only] = batch
      const head = state.appended
      if (batch.length !== 1 || only === undefined || head === undefined) return appendRows(tenant, batch)
      return Effect.flatMap(
        appendAfter(tenant, head, only),
        Option.match({ onNone: () => appendRows(tenant, batch), onSome: (row) => Effect.succeed([row]) })
      )
    }

    /**
     * Chains `batch` onto the tenant's chain and moves this process's head:
     * the rows in order, or why the batch failed. Run uninterruptibly.
     */
    const commitBatch = (tenant: TenantId, state: TenantState, batch: ReadonlyArray<Unchained>) =>
      Effect.gen(function* () {
        // What this process knew to be committed before the batch: an entry that lands at or
        // below it means the newest entries were deleted.
        const known = Math.max(state.written, state.appended?.seq ?? 0)
        const exit = yield* Effect.exit(appendBatch(tenant, state, batch))
        if (Exit.isFailure(exit)) return exit
        const rows = exit.value
        const first = rows[0]
        const last = rows[rows.length - 1]
        if (first !== undefined && first.seq <= known) {
          yield* tampered(tenant, `entry ${first.seq} was appended at or below entry ${known}, already committed`)
        }
        if (last !== undefined && last.seq > (state.appended?.seq ?? 0)) {
          state.appended = new AuditHead({ seq: last.seq, hash: last.hash })
          yield* Queue.offer(wake, undefined)
        }
        return exit
      })

    /**
     * Commits the tenant's waiting appends in batches (group commit): the
     * chain's lock is held for one transaction per batch rather than per
     * entry, so a busy tenant is not held to one append per round trip.
     * Each batch is committed uninterruptibly; appends still waiting when
     * the layer closes are interrupted.
     */
    const drain = (tenant: TenantId, state: TenantState) => {
      let inFlight: ReadonlyArray<Pending> = []
      return Effect.gen(function* () {
        while (state.pending.length > 0) {
          const batch = state.pending.splice(0, maxBatch)
          inFlight = batch
          const exit = yield* Effect.uninterruptible(commitBatch(tenant, state, batch))
          inFlight = []
          if (Exit.isFailure(exit)) {
            for (const pending of batch) yield* Deferred.failCause(pending.done, exit.cause)
          } else {
            for (const [i, pending] of batch.entries()) yield* Deferred.succeed(pending.done, exit.value[i] as AuditRow)
          }
        }
        state.draining = false
      }).pipe(
        Effect.onInterrupt(() =>
          Effect.forEach([...inFlight, ...state.pending.splice(0)], (pending) => Deferred.interrupt(pending.done), {
            discard: true
          })
        ),
        Effect.provideService(CurrentTenant, tenant),
        // Forked by an append that committed its own entry: its request's log annotations and span are not the batch's.
        Effect.withSpan("AuditTrail.appendBatch", { attributes: { tenant }, root: true }),
        Effect.locally(FiberRef.currentLogAnnotations, HashMap.empty())
      )
    }

    /**
     * Commits `entry` outside a caller's transaction. An append that finds
     * no batch writer running takes the writer's place and commits its own
     * entry in its own fiber, a batch of one, with no fiber forked and no
     * deferred to wait on; appends that arrive meanwhile queue up, and a
     * batch writer is forked for them afterwards. This fiber commits only
     * its own entry, so its interruption (a client gone) can never cost
     * another request's.
     *
     * Taking the place, or queueing, happens in one synchronous step (no
     * other append runs in between), and taking it and giving it back (or
     * handing it to the forked writer) in one uninterruptible region, so a
     * place taken is never left held with entries waiting.
     */
    const commitEntry = (tenant: TenantId, entry: Unchained) =>
      Effect.uninterruptible(
        Effect.withFiberRuntime<
          Either.Either<Exit.Exit<ReadonlyArray<AuditRow>, SqlError>, Deferred.Deferred<AuditRow, SqlError>>
        >((fiber) => {
          const state = stateOf(tenant)
          if (state.draining) {
            const done = Deferred.unsafeMake<AuditRow, SqlError>(fiber.id())
            state.pending.push({ ...entry, done })
            return Effect.succeed(Either.left(done))
          }
          state.draining = true
          return Effect.gen(function* () {
            const exit = yield* commitBatch(tenant, state, [entry])
            // Forked from an uninterruptible region, whose flags a child inherits: the writer commits
            // each batch uninterruptibly, but closing the layer must be able to stop it between batches.
            if (state.pending.length > 0) yield* Effect.forkIn(Effect.interruptible(drain(tenant, state)), layerScope)
            else state.draining = false
            return Either.right(exit)
          })
        })
      ).pipe(
        Effect.flatMap(
          Either.match({
            onLeft: (done) => Deferred.await(done),
            onRight: (exit) => Effect.map(exit, ([row]) => row as AuditRow)
          })
        )
      )

    const append = Effect.fn("AuditTrail.append")(
      function* (record: AuditRecord) {
        const row = yield* rowOfRecord(record)
        const tenant = yield* CurrentTenant
        const entryTime = yield* Clock.currentTimeMillis
        // Inside a caller's transaction the entry commits (or not) with it, on the caller's
        // connection; it is not checkpointed: the next append made outside one covers it.
        if (Option.isSome(yield* Effect.serviceOption(SqlClient.TransactionConnection))) {
          const [stored] = yield* appendRows(tenant, [{ row, entryTime }])
          return entryOfRow(stored as AuditRow)
        }
        return entryOfRow(yield* commitEntry(tenant, { row, entryTime }))
      },
      Effect.catchTags({ SqlError: Effect.die })
    )

    const query = Effect.fn("AuditTrail.query")(
      function* (input: AuditQuery) {
        const tenant = yield* CurrentTenant
        const checked = yield* checkQuery(input)
        const rows = yield* sql<AuditRow>`SELECT ${cols} FROM audit_log WHERE ${sql.and([
          sql`tenant_id = ${tenant}`,
          ...(input.from === undefined ? [] : [sql`entry_time >= ${input.from}`]),
          ...(input.to === undefined ? [] : [sql`entry_time <= ${input.to}`]),
          ...(input.principal === undefined ? [] : [sql`principal = ${input.principal}`]),
          ...(input.action === undefined ? [] : [sql`action = ${input.action}`]),
          ...(input.resourceKind === undefined ? [] : [sql`resource_kind = ${input.resourceKind}`]),
          ...(input.resourceId === undefined ? [] : [sql`resource_id = ${input.resourceId}`]),
          ...(checked.before === undefined ? [] : [sql`seq < ${checked.before}`])
        ])} ORDER BY seq DESC LIMIT ${checked.size + 1}`
        return pageOfRows(checked, rows.map(entryOfRow))
      },
      Effect.catchTags({ SqlError: Effect.die })
    )

    const verify = Effect.fn("AuditTrail.verify")(
      function* () {
        const tenant = yield* CurrentTenant
        // This process's own appends are checkpointed first, then the checkpoint is read before
        // the entries: entries appended meanwhile only make the chain longer than it.
        yield* checkpoint(tenant)
        const reading = yield* Effect.either(checkpoints.read(tenant))
        const verifier = makeChainVerifier(key, tenant, reading)
        // Keyset pages in chain order; the first has no lower bound, so rows numbered 0 or below
        // (which only a hand-made insert can produce) are read too.
        let after: number | undefined
        while (true) {
          const rows = yield* sql<AuditRow>`SELECT ${cols} FROM audit_log WHERE ${sql.and([
            sql`tenant_id = ${tenant}`,
            ...(after === undefined ? [] : [sql`seq > ${after}`])
          ])} ORDER BY seq LIMIT ${verifyPageSize}`
          for (const row of rows) verifier.push(row)
          const last = rows[rows.length - 1]
          if (last === undefined || rows.length < verifyPageSize) break
          after = last.seq
        }
        return verifier.finish()
      },
      Effect.catchTags({ SqlError: Effect.die })
    )

    return { append, query, verify }
  })
