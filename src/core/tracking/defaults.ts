/** Page sizes shared by every ExperimentTracker implementation. */
export const searchDefaults = {
  pageSize: 1000,
  maxPageSize: 50_000
} as const

export const historyDefaults = {
  pageSize: 10_000,
  maxPageSize: 100_000,
  /** Upper bound for downsampled chart series. */
  maxPoints: 10_000
} as const
