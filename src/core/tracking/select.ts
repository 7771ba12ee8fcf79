import { Run, RunData, type RunDataSelection } from "./model.js"

const trusted = { disableValidation: true } as const

const only = <A extends { readonly key: string }>(
  items: ReadonlyArray<A>,
  keys: ReadonlyArray<string> | undefined
): ReadonlyArray<A> => {
  if (keys === undefined) return items
  const wanted = new Set(keys)
  return items.filter((item) => wanted.has(item.key))
}

/** The run with only the data `select` asks for (see {@link RunDataSelection}); the whole run without one. */
export const selectRunData = (run: Run, select: RunDataSelection | undefined): Run =>
  select === undefined
    ? run
    : new Run(
        {
          info: run.info,
          data: new RunData(
            {
              metrics: only(run.data.metrics, select.metrics),
              params: only(run.data.params, select.params),
              tags: only(run.data.tags, select.tags)
            },
            trusted
          ),
          inputs: select.inputs === true ? run.inputs : []
        },
        trusted
      )
