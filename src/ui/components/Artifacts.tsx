import { useState } from "preact/hooks"
import { type ArtifactEntryJson, api } from "../api.js"
import { formatBytes } from "../format.js"
import { useAsync } from "../useAsync.js"
import { Loaded } from "./Status.js"

/** Previews read at most this much of a file. */
const previewBytes = 256 * 1024

const extension = (path: string) => path.slice(path.lastIndexOf(".") + 1).toLowerCase()
const imageTypes = new Set(["png", "jpg", "jpeg", "gif", "webp"])
const textTypes = new Set([
  "txt",
  "log",
  "json",
  "csv",
  "tsv",
  "yaml",
  "yml",
  "md",
  "py",
  "ts",
  "toml",
  "cfg",
  "ini",
  "mlmodel"
])
const name = (path: string) => path.slice(path.lastIndexOf("/") + 1)

/** The first `previewBytes` of a file as text; JSON is pretty-printed when it is whole. */
const readPreview = async (path: string): Promise<string> => {
  const response = await fetch(api.artifactUrl(path))
  if (!response.ok || response.body === null) throw new Error(`Could not read ${path} (HTTP ${response.status})`)
  const reader = response.body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  while (size < previewBytes) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.length
  }
  const truncated = size >= previewBytes
  if (truncated) await reader.cancel()
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  const text = new TextDecoder().decode(bytes.subarray(0, previewBytes))
  if (!truncated && extension(path) === "json") {
    try {
      return JSON.stringify(JSON.parse(text), null, 2)
    } catch {
      return text
    }
  }
  return truncated ? `${text}\n… (first ${formatBytes(previewBytes)} shown)` : text
}

const Preview = ({ path }: { readonly path: string }) => {
  const text = useAsync(() => readPreview(path), [path])
  if (imageTypes.has(extension(path)))
    return <img src={api.artifactUrl(path)} alt={name(path)} style={{ maxWidth: "100%" }} />
  return <Loaded value={text}>{(content) => <pre class="preview">{content}</pre>}</Loaded>
}

const Folder = ({ prefix, onOpen }: { readonly prefix: string; readonly onOpen: (path: string) => void }) => {
  const entries = useAsync(() => api.artifacts(prefix), [prefix])
  return (
    <Loaded value={entries}>
      {(list) =>
        list.length === 0 ? (
          <p class="muted">No artifacts.</p>
        ) : (
          <ul class="tree">
            {list.map((entry) => (
              <Entry key={entry.path} entry={entry} onOpen={onOpen} />
            ))}
          </ul>
        )
      }
    </Loaded>
  )
}

const Entry = ({ entry, onOpen }: { readonly entry: ArtifactEntryJson; readonly onOpen: (path: string) => void }) => {
  const [open, setOpen] = useState(false)
  if (entry.isDir)
    return (
      <li>
        <button type="button" class="ghost" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "▾" : "▸"} {name(entry.path)}/
        </button>
        {open ? <Folder prefix={entry.path} onOpen={onOpen} /> : null}
      </li>
    )
  const previewable =
    imageTypes.has(extension(entry.path)) || textTypes.has(extension(entry.path)) || !entry.path.includes(".")
  return (
    <li>
      {previewable ? (
        <button type="button" class="ghost" onClick={() => onOpen(entry.path)}>
          {name(entry.path)}
        </button>
      ) : (
        <span>{name(entry.path)}</span>
      )}{" "}
      <span class="muted">{formatBytes(entry.size)}</span>{" "}
      <a href={api.artifactUrl(entry.path)} download={name(entry.path)}>
        Download<span class="skip"> {name(entry.path)}</span>
      </a>
    </li>
  )
}

/** A run's artifacts as a folder tree, with downloads and a safe preview of text, JSON, CSV and images. */
export const ArtifactBrowser = ({ root }: { readonly root: string }) => {
  const [opened, setOpened] = useState<string | undefined>(undefined)
  return (
    <div class="cards" style={{ gridTemplateColumns: "minmax(260px, 1fr) 2fr" }}>
      <div class="card">
        <Folder prefix={root} onOpen={setOpened} />
      </div>
      <div class="card">
        {opened === undefined ? (
          <p class="muted">Choose a file to preview it.</p>
        ) : (
          <>
            <h3>{opened.slice(root.length + 1)}</h3>
            <Preview path={opened} />
          </>
        )}
      </div>
    </div>
  )
}
