import type { ListComparator, NumericComparator, StringComparator } from "./comparators.js"

/*
 * The in-memory twins of `sql.ts`: one predicate per comparison, built once
 * per filter (LIKE patterns compile to a RegExp here, not per row).
 */

/** A compiled comparison against a value read from an entity. */
export type Test<A> = (value: A) => boolean

/**
 * Lower-cases ASCII letters only. The default SQL store is SQLite, whose
 * `LOWER()` and `LIKE` fold nothing else; the in-memory stores fold the same
 * way so that both return the same rows (`'É' ILIKE 'é'` is false in both,
 * though true on PostgreSQL, whose ILIKE folds every Unicode letter).
 *
 * @example
 * ```ts
 * foldAscii("ÉCOLE") // "École": É is no ASCII letter
 * ```
 */
export const foldAscii = (value: string): string => value.replace(/[A-Z]/g, (c) => c.toLowerCase())

/** `%` is any sequence, `_` one character (code point); everything else is literal. */
const likeRegExp = (pattern: string): RegExp => {
  const body = pattern.replace(/[%_]|[\\^$.*+?()[\]{}|/]/g, (c) => (c === "%" ? ".*" : c === "_" ? "." : `\\${c}`))
  return new RegExp(`^${body}$`, "su")
}

/**
 * A string comparison, with the semantics of `compareText` in `sql.ts` on
 * SQLite: LIKE is case-sensitive and ILIKE ignores ASCII case only (see
 * {@link foldAscii}).
 *
 * @example
 * ```ts
 * textTest("ILIKE", "churn%")("Churn-A") // true
 * textTest("ILIKE", "é")("É")            // false, as on SQLite
 * ```
 */
export const textTest = (comparator: StringComparator, expected: string): Test<string> => {
  switch (comparator) {
    case "=":
      return (v) => v === expected
    case "!=":
      return (v) => v !== expected
    case "LIKE": {
      const regexp = likeRegExp(expected)
      return (v) => regexp.test(v)
    }
    case "ILIKE": {
      const regexp = likeRegExp(foldAscii(expected))
      return (v) => regexp.test(foldAscii(v))
    }
  }
}

/**
 * A numeric comparison. NaN satisfies only `!=`, as IEEE comparisons do.
 *
 * @example
 * ```ts
 * numericTest(">=", 3)(4) // true
 * ```
 */
export const numericTest = (comparator: NumericComparator, expected: number): Test<number> => {
  switch (comparator) {
    case "=":
      return (v) => v === expected
    case "!=":
      return (v) => v !== expected
    case ">":
      return (v) => v > expected
    case ">=":
      return (v) => v >= expected
    case "<":
      return (v) => v < expected
    case "<=":
      return (v) => v <= expected
  }
}

/**
 * Membership in a list of strings.
 *
 * @example
 * ```ts
 * listTest("NOT IN", ["a", "b"])("c") // true
 * ```
 */
export const listTest = (comparator: ListComparator, expected: ReadonlyArray<string>): Test<string> => {
  const set = new Set(expected)
  return comparator === "IN" ? (v) => set.has(v) : (v) => !set.has(v)
}

/**
 * Orders strings by code point, as SQLite (byte-wise UTF-8) and PostgreSQL
 * (`COLLATE "C"`) do; `<` on JS strings compares UTF-16 units instead, which
 * puts U+E000..U+FFFF after astral characters.
 */
export const compareCodePoints = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    const xSurrogate = x >= 0xd800 && x <= 0xdfff
    const ySurrogate = y >= 0xd800 && y <= 0xdfff
    return xSurrogate === ySurrogate ? x - y : xSurrogate ? 1 : -1
  }
  return a.length - b.length
}
