/** Seeded generators for synthetic data with known shifts (mulberry32 + Box–Muller), for tests and benches. */
export const random = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const normal = (seed: number, n: number, mean = 0, sd = 1): Float64Array => {
  const uniform = random(seed)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const u = 1 - uniform()
    out[i] = mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform())
  }
  return out
}

/** Categories drawn with the given weights. */
export const categories = (seed: number, n: number, weights: Readonly<Record<string, number>>): Array<string> => {
  const uniform = random(seed)
  const entries = Object.entries(weights)
  const total = entries.reduce((sum, [, w]) => sum + w, 0)
  return Array.from({ length: n }, () => {
    let u = uniform() * total
    for (const [category, w] of entries) {
      u -= w
      if (u < 0) return category
    }
    return entries[entries.length - 1]![0]
  })
}
