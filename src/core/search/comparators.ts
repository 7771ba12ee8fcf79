/**
 * The comparators of MLflow search filters, shared by the tracking and the
 * registry grammars so that both compile to the same SQL (`search/sql.ts`)
 * and evaluate with the same in-memory rules (`search/memory.ts`).
 *
 * @example
 * ```ts
 * const op: StringComparator = "ILIKE"
 * ```
 */

/** Comparators of numbers (metrics, times, version numbers). */
export type NumericComparator = "=" | "!=" | ">" | ">=" | "<" | "<="

/**
 * Comparators of strings. `LIKE` is case-sensitive; `ILIKE` ignores the case
 * of ASCII letters only, as SQLite does (PostgreSQL's ILIKE folds every
 * Unicode letter).
 */
export type StringComparator = "=" | "!=" | "LIKE" | "ILIKE"

/** Comparators that take a parenthesised list of strings. */
export type ListComparator = "IN" | "NOT IN"
