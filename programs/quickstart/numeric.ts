/**
 * Dense row-major matrix and a seeded PRNG: the little numeric toolkit the quickstart's data preparation and
 * model share. Plain typed arrays, no dependencies.
 */

/**
 * A dense `rows × cols` matrix stored row-major: element `(i, j)` is `data[i * cols + j]`.
 *
 * @example
 * const m = matrixFromRows([[1, 2], [3, 4]])
 * m.data[1 * m.cols + 0] // 3
 */
export interface Matrix {
  readonly rows: number
  readonly cols: number
  readonly data: Float64Array
}

/**
 * Builds a {@link Matrix} from nested arrays; every row must have the same length.
 *
 * @example
 * const one = matrixFromRows([[45.2, 14.8, 212, 5200]]) // 1 × 4
 */
export const matrixFromRows = (rows: ReadonlyArray<ReadonlyArray<number>>): Matrix => {
  const cols = rows[0]?.length ?? 0
  const data = new Float64Array(rows.length * cols)
  rows.forEach((row, i) => {
    if (row.length !== cols) throw new RangeError(`row ${i} has ${row.length} values, expected ${cols}`)
    data.set(row, i * cols)
  })
  return { rows: rows.length, cols, data }
}

/**
 * Copies the given rows, in the given order, into a new matrix.
 *
 * @example
 * const firstAndLast = selectRows(m, [0, m.rows - 1])
 */
export const selectRows = (matrix: Matrix, indices: ArrayLike<number>): Matrix => {
  const { cols } = matrix
  const data = new Float64Array(indices.length * cols)
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]!
    data.set(matrix.data.subarray(i * cols, (i + 1) * cols), r * cols)
  }
  return { rows: indices.length, cols, data }
}

/**
 * mulberry32: a 32-bit seeded PRNG returning floats in [0, 1). Not cryptographic; chosen because it is tiny,
 * fast and gives the same sequence on every platform, which is what reproducible splits need.
 *
 * @example
 * const random = mulberry32(42)
 * random() // same value on every run
 */
export const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A uniformly random permutation of `0 … n-1` (Fisher–Yates) drawn from `random`.
 *
 * @example
 * shuffledIndices(5, mulberry32(1)) // e.g. Int32Array [3, 0, 4, 1, 2], the same for seed 1 every time
 */
export const shuffledIndices = (n: number, random: () => number): Int32Array => {
  const indices = Int32Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = indices[i]!
    indices[i] = indices[j]!
    indices[j] = swap
  }
  return indices
}
