import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { Connection } from "@effect/sql/SqlConnection"
import { Effect, Option } from "effect"

/**
 * Statements sent straight to a connection, for the write hot paths (a
 * run's creation, `logBatch`, metric ingest).
 *
 * A `` sql`…` `` statement costs about 100 Effect operations before the
 * driver sees it (a Statement, its compilation, a span, a scope, the
 * connection's acquisition); a statement sent here costs a few. On a run
 * creation over HTTP that was most of the store's share of a request. The
 * texts are constants built once per shape, so the driver's prepared
 * statement cache stays hot, and rows come back raw: snake_case column
 * names, PostgreSQL's int8 as strings.
 *
 * Such statements open no `sql.execute` span, so they are not in the
 * statement histogram; the method's own span covers them.
 */
export const makeDirectStatements = (sql: SqlClient.SqlClient) => {
  /** The dialect's n-th positional parameter (1-based): `$n` on PostgreSQL, `?` elsewhere. */
  const placeholder = sql.onDialectOrElse({ pg: () => (n: number) => `$${n}`, orElse: () => () => "?" })

  const texts = new Map<string, string>()

  /** The text `build` makes for the shape `id`, built on its first use only. */
  const textOf = (id: string, build: () => string): string => {
    let text = texts.get(id)
    if (text === undefined) {
      text = build()
      texts.set(id, text)
    }
    return text
  }

  /** `(?,?,…)`: `count` parameters numbered from `first`. */
  const parameters = (count: number, first = 1): string =>
    `(${Array.from({ length: count }, (_, i) => placeholder(first + i)).join(",")})`

  /**
   * `head VALUES (?,…),(?,…) tail` for `rows` rows of `columns` parameters,
   * built once per shape.
   */
  const valuesText = (head: string, columns: number, rows: number, tail = ""): string =>
    textOf(`${head}\u0000${tail}\u0000${rows}`, () => {
      const values = Array.from({ length: rows }, (_, r) => parameters(columns, r * columns + 1))
      return `${head} VALUES ${values.join(",")} ${tail}`
    })

  /**
   * Runs `f` with the transaction's connection; outside a transaction (never
   * on the hot paths) a connection is reserved for the call.
   */
  const withConnection = <A, E>(
    f: (connection: Connection) => Effect.Effect<A, E | SqlError>
  ): Effect.Effect<A, E | SqlError> =>
    Effect.flatMap(
      Effect.serviceOption(SqlClient.TransactionConnection),
      Option.match({
        onNone: () => Effect.scoped(Effect.flatMap(sql.reserve, f)),
        onSome: ([connection]) => f(connection)
      })
    )

  /** One statement on the transaction's connection; its raw rows. */
  const execute = (text: string, params: ReadonlyArray<unknown>) =>
    withConnection((connection) => connection.execute(text, params, undefined))

  return { placeholder, parameters, textOf, valuesText, withConnection, execute } as const
}

/** The direct statements of one client ({@link makeDirectStatements}). */
export type DirectStatements = ReturnType<typeof makeDirectStatements>
