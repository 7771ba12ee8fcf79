import { api } from "../api.js"
import { Loaded } from "../components/Status.js"
import { formatAgo, formatTime } from "../format.js"
import { Link, useQueryParam } from "../router.js"
import { useAsync } from "../useAsync.js"

const escapeLike = (text: string) => text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")

/** Every active experiment with its run counts and last activity, searchable by name. */
export const ExperimentsPage = () => {
  const [search, setSearch] = useQueryParam("q")
  const experiments = useAsync(async () => {
    const page = await api.experiments(search ? `name LIKE '%${escapeLike(search)}%'` : undefined)
    const summaries = await api.summaries(page.items.map((e) => e.experimentId))
    const byId = new Map(summaries.map((s) => [s.experimentId, s]))
    return page.items.map((experiment) => ({
      experiment,
      summary: byId.get(experiment.experimentId)
    }))
  }, [search])

  return (
    <section>
      <h1>Experiments</h1>
      <div class="toolbar">
        <label class="grow">
          <span class="muted">Search experiments by name </span>
          <input
            type="search"
            value={search ?? ""}
            placeholder="e.g. churn"
            onInput={(event) => setSearch(event.currentTarget.value)}
          />
        </label>
      </div>
      <Loaded value={experiments}>
        {(rows) =>
          rows.length === 0 ? (
            <p class="muted">No experiment matches.</p>
          ) : (
            <table class="grid" aria-label="Experiments">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" class="num">
                    Runs
                  </th>
                  <th scope="col" class="num">
                    Active runs
                  </th>
                  <th scope="col">Last activity</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(({ experiment, summary }) => (
                  <tr key={experiment.experimentId}>
                    <td>
                      <Link href={`/experiments/${encodeURIComponent(experiment.experimentId)}`}>
                        {experiment.name}
                      </Link>
                    </td>
                    <td class="num">{summary?.runCount ?? 0}</td>
                    <td class="num">{summary?.activeRunCount ?? 0}</td>
                    <td title={formatTime(summary?.lastActivity)}>{formatAgo(summary?.lastActivity)}</td>
                    <td>{formatTime(experiment.creationTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </section>
  )
}
