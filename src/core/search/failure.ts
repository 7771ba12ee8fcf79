import { Either } from "effect"

/**
 * A syntax error at a 0-based position of the parsed text. Thrown inside the
 * filter parsers only (a recursive-descent parser reads far more simply when
 * it can bail out from any depth) and turned into a typed error by
 * {@link attempt} at their public entry points.
 */
export class ParseFailure {
  constructor(
    readonly position: number,
    readonly reason: string
  ) {}
}

/**
 * Runs a parser body, turning a thrown {@link ParseFailure} into `Left`; any
 * other exception is a bug and propagates.
 *
 * @example
 * ```ts
 * attempt(() => parseClauses(text), (f) => new InvalidFilter({ filter: text, position: f.position, reason: f.reason }))
 * ```
 */
export const attempt = <A, E>(body: () => A, onFailure: (failure: ParseFailure) => E): Either.Either<A, E> => {
  try {
    return Either.right(body())
  } catch (error) {
    if (error instanceof ParseFailure) return Either.left(onFailure(error))
    throw error
  }
}
