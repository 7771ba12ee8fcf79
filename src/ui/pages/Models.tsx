import { api, type ModelVersionJson } from "../api.js"
import { Loaded } from "../components/Status.js"
import { VersionButton } from "../components/VersionButton.js"
import { formatAgo, formatTime } from "../format.js"
import { Link, useQueryParam } from "../router.js"
import { useAsync } from "../useAsync.js"

const modelHref = (name: string) => `/models/${encodeURIComponent(name)}`

/** Every registered model with its aliases and last update. */
export const ModelsPage = () => {
  const models = useAsync(() => api.models(), [])
  return (
    <section>
      <h1>Models</h1>
      <Loaded value={models}>
        {(page) =>
          page.items.length === 0 ? (
            <p class="muted">No registered models yet.</p>
          ) : (
            <table class="grid" aria-label="Registered models">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Aliases</th>
                  <th scope="col">Description</th>
                  <th scope="col">Last updated</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((model) => (
                  <tr key={model.name}>
                    <td>
                      <Link href={modelHref(model.name)}>{model.name}</Link>
                    </td>
                    <td>
                      {model.aliases.length === 0
                        ? "—"
                        : model.aliases.map((a) => `@${a.alias} → v${a.version}`).join(", ")}
                    </td>
                    <td>{model.description || <span class="muted">—</span>}</td>
                    <td title={formatTime(model.lastUpdatedTimestamp)}>{formatAgo(model.lastUpdatedTimestamp)}</td>
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

/** A model's versions, its aliases with their history of moves, and the lineage of a chosen version. */
export const ModelPage = ({ name }: { readonly name: string }) => {
  const data = useAsync(() => Promise.all([api.model(name), api.versions(name), api.aliasHistory(name)]), [name])
  const [chosen, setChosen] = useQueryParam("v")
  return (
    <section>
      <div class="crumbs">
        <Link href="/models">Models</Link> /
      </div>
      <h1>{name}</h1>
      <Loaded value={data}>
        {([model, versions, history]) => {
          const sorted = [...versions.items].sort((a, b) => Number(b.version) - Number(a.version))
          const current = sorted.find((v) => v.version === chosen) ?? sorted[0]
          return (
            <>
              {model.description ? <p>{model.description}</p> : null}
              <h2>Versions</h2>
              <table class="grid" aria-label="Model versions">
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Status</th>
                    <th scope="col">Stage</th>
                    <th scope="col">Aliases</th>
                    <th scope="col">Source run</th>
                    <th scope="col">Registered</th>
                  </tr>
                </thead>
                <tbody>
                  {sorted.map((v) => (
                    <tr key={v.version} class={v === current ? "differs" : undefined}>
                      <td>
                        <VersionButton version={v.version} chosen={v === current} onChoose={setChosen} />
                      </td>
                      <td>{v.status}</td>
                      <td>{v.currentStage}</td>
                      <td>{v.aliases.length === 0 ? "—" : v.aliases.map((a) => `@${a}`).join(", ")}</td>
                      <td>
                        {v.runId ? (
                          <Link href={`/runs/${encodeURIComponent(v.runId)}`}>{v.runId.slice(0, 8)}</Link>
                        ) : (
                          "—"
                        )}
                      </td>
                      <td>{formatTime(v.creationTimestamp)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>

              <h2>Alias history</h2>
              {history.length === 0 ? (
                <p class="muted">No alias has been set.</p>
              ) : (
                <table class="grid" aria-label="Alias history">
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Alias</th>
                      <th scope="col">Change</th>
                      <th scope="col">By</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...history]
                      .sort((a, b) => b.changedAt - a.changedAt)
                      .map((change, i) => (
                        <tr key={`${change.alias}:${change.changedAt}:${i}`} data-alias={change.alias}>
                          <td>{formatTime(change.changedAt)}</td>
                          <td>@{change.alias}</td>
                          <td>
                            {change.fromVersion === null
                              ? `set to v${change.toVersion}`
                              : change.toVersion === null
                                ? `removed from v${change.fromVersion}`
                                : `moved v${change.fromVersion} → v${change.toVersion}`}
                          </td>
                          <td>{change.changedBy || "—"}</td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              )}
              {current ? <Lineage version={current} /> : null}
            </>
          )
        }}
      </Loaded>
    </section>
  )
}

/** Where a version came from: version → run → experiment → datasets, each a link. */
const Lineage = ({ version }: { readonly version: ModelVersionJson }) => {
  const lineage = useAsync(() => api.lineage(version.name, version.version), [version.name, version.version])
  return (
    <>
      <h2>Lineage of v{version.version}</h2>
      <Loaded value={lineage}>
        {(l) => (
          <ol class="lineage" aria-label={`Lineage of version ${version.version}`}>
            <li>
              <span class="muted">Model version</span> {l.version.name} v{l.version.version}
              <div class="muted">{l.version.source}</div>
            </li>
            <li>
              <span class="muted">Run</span>{" "}
              {l.run ? <Link href={`/runs/${encodeURIComponent(l.run.runId)}`}>{l.run.runName}</Link> : "none recorded"}
            </li>
            <li>
              <span class="muted">Experiment</span>{" "}
              {l.experiment ? (
                <Link href={`/experiments/${encodeURIComponent(l.experiment.experimentId)}`}>{l.experiment.name}</Link>
              ) : (
                "—"
              )}
            </li>
            <li>
              <span class="muted">Datasets</span>{" "}
              {l.inputs.length === 0
                ? "none logged"
                : l.inputs.map((input, i) => (
                    <span key={`${input.dataset.name}:${input.dataset.digest}`}>
                      {i > 0 ? ", " : ""}
                      <Link href={`/datasets/${encodeURIComponent(input.dataset.name)}`}>{input.dataset.name}</Link>{" "}
                      <code>{input.dataset.digest.slice(0, 8)}</code>
                    </span>
                  ))}
            </li>
          </ol>
        )}
      </Loaded>
    </>
  )
}
