/** The version cell of a versions table: chooses that version (`?v=` in the URL) for the details below it. */
export const VersionButton = ({
  version,
  chosen,
  onChoose
}: {
  readonly version: string
  readonly chosen: boolean
  readonly onChoose: (version: string) => void
}) => (
  <button type="button" class="ghost" aria-pressed={chosen} onClick={() => onChoose(version)}>
    v{version}
  </button>
)
