/** Percentiles of latency samples in milliseconds. */
export const percentile = (samples: ReadonlyArray<number>, p: number): number => {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits))
