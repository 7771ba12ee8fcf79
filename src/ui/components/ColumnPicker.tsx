import { useEffect, useRef, useState } from "preact/hooks"
import { api } from "../api.js"
import { attributeColumns, type ColumnKind, columnId } from "../columns.js"
import { useAsync } from "../useAsync.js"

/** At most this many keys of a kind are listed at once; the search narrows the rest. */
const shown = 100

const groups: ReadonlyArray<readonly [Exclude<ColumnKind, "attribute">, "metrics" | "params" | "tags", string]> = [
  ["metric", "metrics", "Metrics (latest value)"],
  ["param", "params", "Params"],
  ["tag", "tags", "Tags"]
]

/**
 * Chooses the runs table's columns among the run attributes and the
 * experiment's metric, param and tag keys. Keys load when the picker opens
 * (an experiment may have thousands), and only matches of the search are listed.
 */
export const ColumnPicker = ({
  experimentId,
  chosen,
  onChange
}: {
  readonly experimentId: string
  readonly chosen: ReadonlyArray<string>
  readonly onChange: (ids: ReadonlyArray<string>) => void
}) => {
  const [open, setOpen] = useState(false)
  return (
    <div style={{ position: "relative" }}>
      <button
        type="button"
        class="ghost"
        aria-expanded={open}
        aria-controls="columns-picker"
        onClick={() => setOpen(!open)}
      >
        Columns ({chosen.length})
      </button>
      {open ? (
        <Picker experimentId={experimentId} chosen={chosen} onChange={onChange} onClose={() => setOpen(false)} />
      ) : null}
    </div>
  )
}

const Picker = ({
  experimentId,
  chosen,
  onChange,
  onClose
}: {
  readonly experimentId: string
  readonly chosen: ReadonlyArray<string>
  readonly onChange: (ids: ReadonlyArray<string>) => void
  readonly onClose: () => void
}) => {
  const keys = useAsync(() => api.keys(experimentId), [experimentId])
  const [search, setSearch] = useState("")
  const searchBox = useRef<HTMLInputElement>(null)
  useEffect(() => searchBox.current?.focus(), [])
  const toggle = (id: string) => onChange(chosen.includes(id) ? chosen.filter((c) => c !== id) : [...chosen, id])
  const needle = search.toLowerCase()
  const checkbox = (id: string, label: string) => (
    <label key={id} title={label}>
      <input type="checkbox" checked={chosen.includes(id)} onChange={() => toggle(id)} /> {label}
    </label>
  )
  return (
    <div
      id="columns-picker"
      class="columns-picker"
      role="dialog"
      aria-label="Choose columns"
      onKeyDown={(event) => {
        if (event.key === "Escape") onClose()
      }}
    >
      <label>
        <span class="muted">Find a key </span>
        <input ref={searchBox} type="search" value={search} onInput={(event) => setSearch(event.currentTarget.value)} />
      </label>
      <fieldset>
        <legend>Attributes</legend>
        {attributeColumns.map((c) => checkbox(c.id, c.label))}
      </fieldset>
      {keys.state === "loading" ? <p class="muted">Loading keys…</p> : null}
      {keys.state === "failed" ? <p class="error">{keys.error.message}</p> : null}
      {keys.state === "done"
        ? groups.map(([kind, field, legend]) => {
            const matches = keys.value[field].filter((key) => key.toLowerCase().includes(needle))
            return (
              <fieldset key={kind}>
                <legend>
                  {legend} <span class="muted">({keys.value[field].length})</span>
                </legend>
                {matches.slice(0, shown).map((key) => checkbox(columnId(kind, key), key))}
                {matches.length > shown ? <p class="muted">{matches.length - shown} more — refine the search</p> : null}
              </fieldset>
            )
          })
        : null}
      <button type="button" class="ghost" onClick={onClose}>
        Done
      </button>
    </div>
  )
}
