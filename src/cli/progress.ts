/** Progress of a long transfer, fed with byte counts as they happen. */
export interface Progress {
  readonly advance: (bytes: number) => void
  readonly done: () => void
}

/** Makes a {@link Progress} for a step of `total` bytes. */
export type ProgressFactory = (label: string, total: number) => Progress

/** No progress display (tests, and stderr that is not a terminal). */
export const noProgress: ProgressFactory = () => ({ advance: () => {}, done: () => {} })

const units = ["B", "KB", "MB", "GB", "TB"]

/** `1536` as `1.5 KB`. */
export const formatBytes = (bytes: number): string => {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

/**
 * A one-line bar on stderr, redrawn at most ten times a second, when stderr
 * is a terminal; otherwise nothing, so logs and pipes stay clean.
 */
export const terminalProgress: ProgressFactory = (label, total) => {
  const stream = process.stderr
  if (!stream.isTTY) return noProgress(label, total)
  let current = 0
  let lastDraw = 0
  const draw = () => {
    const ratio = total === 0 ? 1 : Math.min(1, current / total)
    const width = 30
    const filled = Math.round(ratio * width)
    const bar = `${"=".repeat(filled)}${" ".repeat(width - filled)}`
    stream.write(
      `\r${label} [${bar}] ${(ratio * 100).toFixed(0).padStart(3)}% ${formatBytes(current)}/${formatBytes(total)}\x1b[K`
    )
  }
  return {
    advance: (bytes) => {
      current += bytes
      const now = Date.now()
      if (now - lastDraw >= 100) {
        lastDraw = now
        draw()
      }
    },
    done: () => {
      current = total
      draw()
      stream.write("\n")
    }
  }
}
