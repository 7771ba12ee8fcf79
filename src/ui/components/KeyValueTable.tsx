/** A two-column table of keys and values (params, tags), sorted by key. */
export const KeyValueTable = ({
  label,
  rows,
  empty
}: {
  readonly label: string
  readonly rows: ReadonlyArray<{
    readonly key: string
    readonly value: string
  }>
  readonly empty: string
}) =>
  rows.length === 0 ? (
    <p class="muted">{empty}</p>
  ) : (
    <table class="grid" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {[...rows]
          .sort((a, b) => a.key.localeCompare(b.key))
          .map((row) => (
            <tr key={row.key}>
              <td>{row.key}</td>
              <td style={{ wordBreak: "break-word" }}>{row.value}</td>
            </tr>
          ))}
      </tbody>
    </table>
  )
