import { useState } from "preact/hooks"
import { api, type DatasetVersionJson } from "../api.js"
import { Loaded } from "../components/Status.js"
import { VersionButton } from "../components/VersionButton.js"
import { formatAgo, formatBytes, formatTime, formatValue } from "../format.js"
import { Link, useQueryParam } from "../router.js"
import { useAsync } from "../useAsync.js"

/** Every registered dataset, with its latest version. */
export const DatasetsPage = () => {
  const datasets = useAsync(async () => {
    const names = await api.datasets()
    return Promise.all(
      names.map(async (name) => ({
        name,
        versions: await api.datasetVersions(name)
      }))
    )
  }, [])
  return (
    <section>
      <h1>Datasets</h1>
      <Loaded value={datasets}>
        {(rows) =>
          rows.length === 0 ? (
            <p class="muted">No datasets registered yet.</p>
          ) : (
            <table class="grid" aria-label="Datasets">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" class="num">
                    Versions
                  </th>
                  <th scope="col" class="num">
                    Rows (latest)
                  </th>
                  <th scope="col">Last registered</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(({ name, versions }) => {
                  const latest = versions[versions.length - 1]
                  return (
                    <tr key={name}>
                      <td>
                        <Link href={`/datasets/${encodeURIComponent(name)}`}>{name}</Link>
                      </td>
                      <td class="num">{versions.length}</td>
                      <td class="num">{latest?.profile?.rowCount.toLocaleString() ?? "—"}</td>
                      <td title={formatTime(latest?.createdAt)}>{formatAgo(latest?.createdAt)}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </section>
  )
}

/** A dataset's versions; the chosen one (`?v=` in the URL) with its schema, profile and lineage. */
export const DatasetPage = ({ name }: { readonly name: string }) => {
  const versions = useAsync(() => api.datasetVersions(name), [name])
  const [chosen, setChosen] = useQueryParam("v")
  return (
    <section>
      <div class="crumbs">
        <Link href="/datasets">Datasets</Link> /
      </div>
      <h1>{name}</h1>
      <Loaded value={versions}>
        {(list) => {
          const current = list.find((v) => String(v.version) === chosen) ?? list[list.length - 1]
          return (
            <>
              <table class="grid" aria-label="Versions">
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Digest</th>
                    <th scope="col">Source</th>
                    <th scope="col" class="num">
                      Rows
                    </th>
                    <th scope="col" class="num">
                      Size
                    </th>
                    <th scope="col">Registered</th>
                  </tr>
                </thead>
                <tbody>
                  {[...list].reverse().map((v) => (
                    <tr key={v.version} class={v === current ? "differs" : undefined}>
                      <td>
                        <VersionButton version={String(v.version)} chosen={v === current} onChoose={setChosen} />
                      </td>
                      <td>
                        <code>{v.digest.slice(0, 12)}</code>
                      </td>
                      <td>
                        {v.sourceType}: {v.source}
                      </td>
                      <td class="num">{v.profile?.rowCount.toLocaleString() ?? "—"}</td>
                      <td class="num">{formatBytes(v.content?.sizeBytes)}</td>
                      <td>{formatTime(v.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {current ? <VersionDetail version={current} /> : null}
            </>
          )
        }}
      </Loaded>
    </section>
  )
}

const VersionDetail = ({ version }: { readonly version: DatasetVersionJson }) => {
  const lineage = useAsync(
    () => api.datasetLineage(version.name, String(version.version)),
    [version.name, version.version]
  )
  return (
    <>
      <h2>
        Version {version.version}
        {version.context ? <span class="muted"> · {version.context}</span> : null}
      </h2>
      {version.parents.length > 0 ? (
        <p>
          Derived from{" "}
          {version.parents.map((p, i) => (
            <span key={`${p.name}:${p.version}`}>
              {i > 0 ? ", " : ""}
              <Link href={`/datasets/${encodeURIComponent(p.name)}?v=${p.version}`}>
                {p.name} v{p.version}
              </Link>
            </span>
          ))}
          {version.transform.length > 0 ? ` by ${version.transform.map((t) => t.op).join(" → ")}` : ""}
        </p>
      ) : null}
      <Loaded value={lineage}>
        {(l) =>
          l.ancestors.length > 0 ? (
            <p class="muted">
              Lineage: {[l.version, ...l.ancestors].map((v) => `${v.name} v${v.version}`).join(" ← ")}
            </p>
          ) : null
        }
      </Loaded>
      {version.schema !== null ? (
        <table class="grid" aria-label={`Schema of version ${version.version}`} style={{ maxWidth: "640px" }}>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              <th scope="col">Nullable</th>
            </tr>
          </thead>
          <tbody>
            {version.schema.columns.map((column) => (
              <tr key={column.name}>
                <td>{column.name}</td>
                <td>{column.type}</td>
                <td>{column.nullable ? "yes" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : version.rawSchema !== null ? (
        <pre class="preview">{version.rawSchema}</pre>
      ) : null}
      {version.profile === null ? (
        <p class="muted">A metadata-only version: no stored content to profile.</p>
      ) : (
        <>
          <p>
            {version.profile.rowCount.toLocaleString()} rows, {version.profile.columns.length} columns
          </p>
          <div class="cards">
            {version.profile.columns.map((column) => (
              <ColumnCard key={column.name} column={column} />
            ))}
          </div>
        </>
      )}
    </>
  )
}

type ColumnProfileJson = NonNullable<DatasetVersionJson["profile"]>["columns"][number]

const ColumnCard = ({ column }: { readonly column: ColumnProfileJson }) => {
  const [showAll, setShowAll] = useState(false)
  const numeric = column.numeric
  const maxBin = numeric ? Math.max(1, ...numeric.histogram.map((b) => b.count)) : 1
  const maxTop = Math.max(1, ...column.topValues.map((t) => t.count))
  const tops = showAll ? column.topValues : column.topValues.slice(0, 5)
  return (
    <div class="card" data-column={column.name}>
      <h3>
        {column.name} <span class="muted">{column.type}</span>
      </h3>
      <dl class="facts">
        <dt>Values</dt>
        <dd>
          {column.count.toLocaleString()} ({column.nullCount.toLocaleString()} null)
        </dd>
        <dt>Distinct</dt>
        <dd>≈ {column.distinct.estimate.toLocaleString()}</dd>
        {numeric ? (
          <>
            <dt>Range</dt>
            <dd>
              {formatValue(numeric.min)} … {formatValue(numeric.max)}
            </dd>
            <dt>Mean ± sd</dt>
            <dd>
              {formatValue(numeric.mean)} ± {formatValue(numeric.stddev)}
            </dd>
          </>
        ) : null}
      </dl>
      {numeric && numeric.histogram.length > 0 ? (
        <svg
          class="histogram"
          viewBox={`0 0 ${numeric.histogram.length * 10} 60`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`Histogram of ${column.name}: ${numeric.histogram.map((b) => b.count).join(", ")}`}
        >
          {numeric.histogram.map((bin, i) => {
            const h = (bin.count / maxBin) * 58
            return (
              <rect key={bin.lower} x={i * 10 + 1} y={60 - h} width={8} height={h}>
                <title>
                  {formatValue(bin.lower)} – {formatValue(bin.upper)}: {bin.count}
                </title>
              </rect>
            )
          })}
        </svg>
      ) : null}
      {numeric && numeric.histogram.length > 0 ? (
        <div class="histogram-range muted" aria-hidden="true">
          <span>{formatValue(numeric.histogram[0]?.lower ?? numeric.min)}</span>
          <span>{formatValue(numeric.histogram[numeric.histogram.length - 1]?.upper ?? numeric.max)}</span>
        </div>
      ) : null}
      {!numeric && column.topValues.length > 0 ? (
        <table class="grid" aria-label={`Top values of ${column.name}`}>
          <tbody>
            {tops.map((top) => (
              <tr key={top.value}>
                <td>{top.value}</td>
                <td class="num">{top.count.toLocaleString()}</td>
                <td style={{ width: "40%" }}>
                  <span class="bar" style={{ width: `${(top.count / maxTop) * 100}%` }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {!numeric && column.topValues.length > 5 ? (
        <button type="button" class="ghost" onClick={() => setShowAll(!showAll)}>
          {showAll ? "Fewer" : `All ${column.topValues.length} top values`}
        </button>
      ) : null}
    </div>
  )
}
