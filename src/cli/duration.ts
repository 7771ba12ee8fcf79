/**
 * Parses MLflow's `--older-than` format: days, hours, minutes and seconds
 * in that order, each optional, at least one present (`30d`, `1d2h`,
 * `90m`, `1h30m15s`). Returns milliseconds, or `undefined` if malformed.
 */
export const parseAge = (text: string): number | undefined => {
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim())
  if (match === null || match.slice(1).every((part) => part === undefined)) return undefined
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number
  ]
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000
}
