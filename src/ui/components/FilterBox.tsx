import { useEffect, useState } from "preact/hooks"
import type { ApiError } from "../api.js"

/**
 * A search box for the MLflow filter grammar. The filter applies on Enter;
 * a malformed one is shown below the box with a caret under the bad token,
 * as the server located it.
 */
export const FilterBox = ({
  value,
  error,
  onApply
}: {
  readonly value: string
  readonly error: ApiError | undefined
  readonly onApply: (filter: string) => void
}) => {
  const [draft, setDraft] = useState(value)
  useEffect(() => setDraft(value), [value])
  const invalid = error?.tag === "InvalidFilter"
  return (
    <form
      class="grow"
      onSubmit={(event) => {
        event.preventDefault()
        onApply(draft.trim())
      }}
    >
      <label for="run-filter" class="muted">
        Filter runs (MLflow syntax, Enter to apply)
      </label>
      <input
        id="run-filter"
        type="search"
        value={draft}
        placeholder="metrics.accuracy > 0.9 AND params.optimizer = 'adam'"
        spellcheck={false}
        autocomplete="off"
        aria-invalid={invalid}
        aria-describedby={invalid ? "run-filter-error" : undefined}
        onInput={(event) => setDraft(event.currentTarget.value)}
      />
      {invalid && error !== undefined ? (
        <div id="run-filter-error" class="error filter-error" role="alert">
          {`${value}\n${" ".repeat(Math.max(0, error.position ?? 0))}^ ${error.message}`}
        </div>
      ) : null}
    </form>
  )
}
