import { Duration } from "effect"
import type { AlertState } from "./model.js"

/** What one evaluation saw for one series: whether the condition holds, and the value it compared. */
export interface Observation {
  readonly series: string
  readonly active: boolean
  readonly value: number | null
  /** Facts worth telling a human (the run read, each window's burn rate), passed on as annotations. */
  readonly details?: Readonly<Record<string, string>>
}

/** The next state of a series, and the notification its transition calls for, if any. */
export interface Step {
  readonly next: AlertState
  readonly notify: "firing" | "resolved" | undefined
}

/**
 * Prometheus' alert state machine for one series. A condition that starts
 * to hold makes the alert pending (or firing at once when `forDuration` is
 * zero); pending becomes firing once the condition has held for
 * `forDuration`; a pending alert whose condition ends goes back to inactive
 * silently, a firing one becomes resolved. Only the transitions into firing
 * and into resolved notify, so each is announced exactly once.
 */
export const step = (
  rule: string,
  forDuration: Duration.Duration,
  previous: AlertState | undefined,
  observation: Observation,
  now: number
): Step => {
  const base = { rule, series: observation.series, lastValue: observation.value, lastEvaluation: now }
  const status = previous?.status ?? "inactive"
  if (!observation.active) {
    return status === "firing"
      ? { next: { ...base, status: "resolved", activeSince: null }, notify: "resolved" }
      : { next: { ...base, status: status === "pending" ? "inactive" : status, activeSince: null }, notify: undefined }
  }
  const activeSince = (status === "pending" || status === "firing" ? previous?.activeSince : null) ?? now
  if (status === "firing") return { next: { ...base, status, activeSince }, notify: undefined }
  const due = now - activeSince >= Duration.toMillis(forDuration)
  return due
    ? { next: { ...base, status: "firing", activeSince }, notify: "firing" }
    : { next: { ...base, status: "pending", activeSince }, notify: undefined }
}
