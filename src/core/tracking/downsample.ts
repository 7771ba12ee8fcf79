/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013) over step
 * order: keeps the first and last point and, per bucket, the point forming
 * the largest triangle with the previously kept point and the next bucket's
 * average, so spikes survive. Non-finite values (NaN, ±Infinity) are always
 * preferred in their bucket: a chart must show that a run diverged.
 */
export const lttb = <P extends { readonly step: number; readonly value: number }>(
  points: ReadonlyArray<P>,
  threshold: number
): ReadonlyArray<P> => {
  const n = points.length
  if (threshold >= n || n <= 2) return points
  if (threshold <= 1) return [points[n - 1]!]
  if (threshold === 2) return [points[0]!, points[n - 1]!]
  const kept: Array<P> = [points[0]!]
  const bucketSize = (n - 2) / (threshold - 2)
  let previous = points[0]!
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    const start = Math.floor(bucket * bucketSize) + 1
    const end = Math.min(Math.floor((bucket + 1) * bucketSize) + 1, n - 1)
    const nextStart = end
    const nextEnd = Math.min(Math.floor((bucket + 2) * bucketSize) + 1, n)
    let avgX = 0
    let avgY = 0
    let finite = 0
    for (let i = nextStart; i < nextEnd; i++) {
      const p = points[i]!
      if (Number.isFinite(p.value)) {
        avgX += p.step
        avgY += p.value
        finite++
      }
    }
    if (finite > 0) {
      avgX /= finite
      avgY /= finite
    } else {
      avgX = points[nextStart]?.step ?? previous.step
      avgY = Number.isFinite(previous.value) ? previous.value : 0
    }
    let best = start
    let bestArea = -1
    for (let i = start; i < end; i++) {
      const p = points[i]!
      const area = Number.isFinite(p.value)
        ? Math.abs(
            (previous.step - avgX) * (p.value - (Number.isFinite(previous.value) ? previous.value : avgY)) -
              (previous.step - p.step) * (avgY - (Number.isFinite(previous.value) ? previous.value : avgY))
          )
        : Number.POSITIVE_INFINITY
      if (area > bestArea) {
        bestArea = area
        best = i
      }
    }
    previous = points[best]!
    kept.push(previous)
  }
  kept.push(points[n - 1]!)
  return kept
}
