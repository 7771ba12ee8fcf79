import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Schedule, Scope } from "effect"

// SQLite: another process holds the write lock past busy_timeout, or our read
// snapshot went stale before we wrote (BUSY_SNAPSHOT, which busy_timeout never
// waits on). PostgreSQL: serialization failure and deadlock. All are safe to
// retry because the transaction was rolled back.
const retryableCodes = new Set(["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED", "40001", "40P01"])

const codeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined

/** Whether a `SqlError` is an INSERT refused by a primary key or unique constraint (SQLite and PostgreSQL). */
export const isUniqueViolation = (error: SqlError): boolean => {
  const code = codeOf(error.cause)
  return code === "23505" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE"
}

/** Whether a `SqlError` is a transient lock conflict that a retry of the whole transaction resolves. */
export const isRetryableSqlError = (error: SqlError): boolean => {
  const code = codeOf(error.cause)
  return code !== undefined && retryableCodes.has(code)
}

const retryPolicy = Schedule.exponential("5 millis", 1.5).pipe(
  Schedule.jittered,
  Schedule.either(Schedule.spaced("250 millis")),
  Schedule.upTo("60 seconds")
)

const isRetryable = (error: unknown): boolean => isSqlError(error) && isRetryableSqlError(error)

/**
 * `sql.withTransaction`, with `BEGIN`, `COMMIT` and `ROLLBACK` taken from the
 * driver's prepared-statement cache on SQLite. `@effect/sql` sends them
 * through the connection's `executeUnprepared`, which
 * `@effect/sql-sqlite-node` prepares anew every time (~17 µs each): four
 * preparations per run creation over HTTP, ~70 µs of its 1.6–2.1 ms of
 * server CPU (alternated passes: 2.00 against 2.12–2.14 ms per run in a
 * slow phase of the VM, within the noise in a fast one). Built from the
 * parts the client's own is built from (`makeWithTransaction`, the
 * `TransactionConnection` tag, `reserve`), so nested transactions and
 * statements see one transaction whichever of the two started it.
 */
const transactionOf = (
  sql: SqlClient.SqlClient
): (<A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>) =>
  sql.onDialectOrElse({
    sqlite: () =>
      SqlClient.makeWithTransaction({
        transactionTag: SqlClient.TransactionConnection,
        spanAttributes: [["db.system.name", "sqlite"]],
        acquireConnection: Effect.flatMap(Scope.make(), (scope) =>
          Effect.map(Scope.extend(sql.reserve, scope), (connection) => [scope, connection] as const)
        ),
        begin: (connection) => connection.execute("BEGIN", [], undefined),
        savepoint: (connection, id) => connection.executeUnprepared(`SAVEPOINT effect_sql_${id}`, [], undefined),
        commit: (connection) => connection.execute("COMMIT", [], undefined),
        rollback: (connection) => connection.execute("ROLLBACK", [], undefined),
        rollbackSavepoint: (connection, id) =>
          connection.executeUnprepared(`ROLLBACK TO SAVEPOINT effect_sql_${id}`, [], undefined)
      }),
    orElse: () => sql.withTransaction
  })

/**
 * Runs `effect` in a transaction and retries the whole transaction on lock
 * conflicts, so several writers (fibers or processes) never see `SQLITE_BUSY`.
 *
 * The retry schedule is set up only after a first conflict: on the write hot
 * path (a run's creation, a `log-batch`) a transaction that commits at once
 * pays for no schedule driver.
 */
export const withWriteTransaction = (sql: SqlClient.SqlClient) => {
  const inTransaction = transactionOf(sql)
  return <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> => {
    const transaction = inTransaction(effect)
    return Effect.catchIf(transaction, isRetryable, () =>
      Effect.retry(transaction, { schedule: retryPolicy, while: isRetryable })
    )
  }
}

const isSqlError = (error: unknown): error is SqlError =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === "SqlError"
