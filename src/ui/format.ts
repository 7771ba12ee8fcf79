/** Display formats shared by the pages. */

const dateTime = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short"
})

export const formatTime = (millis: number | null | undefined): string =>
  millis === null || millis === undefined ? "—" : dateTime.format(new Date(millis))

/** How long ago, in the largest whole unit ("3 min ago", "2 days ago"). */
export const formatAgo = (millis: number | null | undefined, now = Date.now()): string => {
  if (millis === null || millis === undefined) return "never"
  const seconds = Math.max(0, Math.round((now - millis) / 1000))
  const units: ReadonlyArray<readonly [number, string]> = [
    [86_400, "day"],
    [3_600, "h"],
    [60, "min"]
  ]
  for (const [size, unit] of units) {
    const n = Math.floor(seconds / size)
    if (n >= 1) return unit === "day" ? `${n} day${n === 1 ? "" : "s"} ago` : `${n} ${unit} ago`
  }
  return `${seconds} s ago`
}

export const formatDuration = (start: number, end: number | null, now = Date.now()): string => {
  const ms = (end ?? now) - start
  if (ms < 1000) return `${ms} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** A metric value: NaN and infinities as the API sends them, numbers with up to 6 significant digits. */
export const formatValue = (value: number | string): string => {
  if (typeof value === "string") return value
  if (Number.isInteger(value)) return String(value)
  const abs = Math.abs(value)
  return abs !== 0 && (abs < 1e-4 || abs >= 1e6) ? value.toExponential(3) : String(Number(value.toPrecision(6)))
}

export const formatBytes = (bytes: number | undefined): string => {
  if (bytes === undefined) return ""
  const units = ["B", "KB", "MB", "GB", "TB"]
  let n = bytes
  let unit = 0
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024
    unit++
  }
  return `${unit === 0 ? n : n.toFixed(1)} ${units[unit]}`
}

/** A metric value from the wire (a number, or "NaN"/"Infinity"/"-Infinity") as a number. */
export const toNumber = (value: number | string): number => (typeof value === "number" ? value : Number(value))
