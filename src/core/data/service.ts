import * as fs from "node:fs"
import * as nodePath from "node:path"
import { Effect, Either, Option, type Schema, Stream } from "effect"
import type { ArtifactStoreShape } from "../artifacts/ArtifactStore.js"
import { CurrentPrincipal, CurrentTenant, type TenantId } from "../context.js"
import { type Forbidden, InvalidArgument, type LimitExceeded } from "../errors.js"
import { checkName } from "../limits.js"
import { method, methodSpan } from "../spans.js"
import type { DatasetsShape, ReadError } from "./Datasets.js"
import type { TransformError } from "./transforms.js"
import { encodeRecords } from "./encode.js"
import {
  DatasetHasNoContent,
  DatasetNotFound,
  DatasetReadError,
  DatasetVersionNotFound,
  InvalidDatasetFile
} from "./errors.js"
import {
  DatasetContent,
  type DatasetFormat,
  DatasetLineage,
  DatasetVersion,
  DatasetVersionRef,
  type DataSource,
  type DeriveDataset,
  type RegisterDataset,
  type RegisterDatasetMetadata,
  type TransformStep,
  type UploadSource,
  type VersionKey
} from "./model.js"
import { makeRecordParser, type ParsedRecord, parseRecords } from "./parse.js"
import { Profiler } from "./profile.js"
import type { DatasetRepository } from "./repository.js"
import { issues, summarize } from "./validate.js"

const maxNameLength = 250
const namePattern = /^[\w-][\w.-]*$/
const readChunkBytes = 256 * 1024

const checkDatasetName = (name: string): Either.Either<string, InvalidArgument | LimitExceeded> => {
  const invalid =
    checkName("name", name, maxNameLength) ??
    (namePattern.test(name)
      ? undefined
      : new InvalidArgument({
          field: "name",
          reason: `"${name}" may only contain letters, digits, "_", "-" and ".", and must not start with "."`
        }))
  return invalid === undefined ? Either.right(name) : Either.left(invalid)
}

/** `datasets:/customers/3`: how a version is named as a source. */
export const datasetUri = (ref: VersionKey): string => `datasets:/${ref.name}/${ref.version}`

/**
 * The artifact path of a version's bytes. The default tenant gets the plain
 * layout; other tenants are kept apart under `tenants/<tenant>/`.
 */
const contentPath = (tenant: TenantId, name: string, version: number, format: DatasetFormat): string => {
  const path = `datasets/${name}/v${version}/data.${format}`
  return tenant === "default" ? path : `tenants/${encodeURIComponent(tenant)}/${path}`
}

const formatOfPath = (path: string): DatasetFormat | undefined => {
  const extension = nodePath.extname(path).toLowerCase()
  return extension === ".csv" ? "csv" : extension === ".jsonl" || extension === ".ndjson" ? "jsonl" : undefined
}

/** New content, opened. */
export interface OpenedUpload<E> {
  readonly bytes: Stream.Stream<Uint8Array, E | DatasetReadError>
  readonly format: DatasetFormat
  readonly source: string
  readonly sourceType: string
}

/** The bytes, format and provenance of new content; files are opened lazily, on first read. */
export const openUpload = <E>(upload: UploadSource<E>): Either.Either<OpenedUpload<E>, InvalidArgument> => {
  if (upload._tag === "Bytes") {
    return Either.right({
      bytes: upload.stream,
      format: upload.format,
      source: upload.uri ?? "stream",
      sourceType: upload.sourceType ?? "stream"
    })
  }
  const path = nodePath.resolve(upload.path)
  const format = upload.format ?? formatOfPath(path)
  if (format === undefined) {
    return Either.left(
      new InvalidArgument({
        field: "source.format",
        reason: `cannot tell the format of "${upload.path}" from its extension; pass format "csv" or "jsonl"`
      })
    )
  }
  // Suspended so the file is opened only when read; the iterator's return() closes it on early exit.
  const bytes = Stream.suspend(() =>
    Stream.fromAsyncIterable(
      fs.createReadStream(path, { highWaterMark: readChunkBytes }) as AsyncIterable<Uint8Array>,
      (cause) => new DatasetReadError({ source: path, reason: (cause as Error).message ?? String(cause), cause })
    )
  )
  return Either.right({ bytes, format, source: path, sourceType: "local" })
}

/** What a new version is made of, before it has a number. */
interface Draft<E> {
  readonly name: string
  readonly bytes: Stream.Stream<Uint8Array, E>
  readonly format: DatasetFormat
  readonly source: string
  readonly sourceType: string
  readonly context: string | undefined
  readonly parents: ReadonlyArray<VersionKey>
  readonly transform: ReadonlyArray<TransformStep>
}

/**
 * What reading needs from a repository: lookups only. A repository is one;
 * a catalog over HTTP may also be refused (`Forbidden`) by the server.
 */
export interface DatasetCatalog {
  readonly find: (name: string, version: number) => Effect.Effect<Option.Option<DatasetVersion>, Forbidden>
  readonly latest: (name: string) => Effect.Effect<Option.Option<DatasetVersion>, Forbidden>
  readonly versions: (name: string) => Effect.Effect<ReadonlyArray<DatasetVersion>, Forbidden>
  readonly names: Effect.Effect<ReadonlyArray<string>, Forbidden>
}

/** The read side of the Datasets service, in the shape it is exposed with. */
export type DatasetReads = Omit<DatasetsShape, "register" | "registerMetadata" | "derive">

/**
 * Reading versions, records, validation and lineage over a catalog and an
 * artifact store: the embedded stores and `RemoteLayer` share it (remotely,
 * the catalog and the bytes come over HTTP and parsing happens here).
 */
export const makeDatasetReads = (catalog: DatasetCatalog, artifacts: ArtifactStoreShape): DatasetReads => {
  const repo = catalog
  const getVersion = method("Datasets.getVersion")(function* (name: string, version: number) {
    const found = yield* repo.find(name, version)
    if (Option.isSome(found)) return found.value
    if (Option.isNone(yield* repo.latest(name))) return yield* new DatasetNotFound({ name })
    return yield* new DatasetVersionNotFound({ name, version })
  })

  /** The records of a version's stored bytes. */
  const contentRecords = (
    version: DatasetVersion
  ): Stream.Stream<ParsedRecord, DatasetHasNoContent | InvalidDatasetFile | DatasetReadError | Forbidden> => {
    const content = version.content
    if (content === null) return Stream.fail(new DatasetHasNoContent({ name: version.name, version: version.version }))
    const source = datasetUri(version)
    const bytes = artifacts.get(content.path).pipe(
      Stream.catchTags({
        InvalidArtifactPath: Stream.die,
        ArtifactNotFound: (cause) =>
          Stream.fail(new DatasetReadError({ source, reason: "the stored bytes are missing", cause })),
        ArtifactStorageError: (cause) => Stream.fail(new DatasetReadError({ source, reason: cause.message, cause }))
      })
    )
    return parseRecords(bytes, content.format, source)
  }

  const openRecords = <E>(source: DataSource<E>): Stream.Stream<ParsedRecord, E | ReadError> =>
    source._tag === "Version"
      ? Stream.unwrap(Effect.map(getVersion(source.name, source.version), contentRecords))
      : Either.match(openUpload(source), {
          onLeft: Stream.fail,
          onRight: (upload) => parseRecords(upload.bytes, upload.format, upload.source)
        })

  const getLatestVersion = method("Datasets.getLatestVersion")(function* (name: string) {
    const latest = yield* repo.latest(name)
    if (Option.isNone(latest)) return yield* new DatasetNotFound({ name })
    return latest.value
  })

  const listVersions = method("Datasets.listVersions")(function* (name: string) {
    const versions = yield* repo.versions(name)
    if (versions.length === 0) return yield* new DatasetNotFound({ name })
    return versions
  })

  const getLineage = method("Datasets.getLineage")(function* (name: string, version: number) {
    const self = yield* getVersion(name, version)
    const key = (ref: VersionKey) => `${ref.version}@${ref.name}`
    const seen = new Set([key(self)])
    const ancestors: Array<DatasetVersion> = []
    // Breadth first, so nearer ancestors come first; a diamond's shared ancestor appears once.
    let frontier: ReadonlyArray<VersionKey> = self.parents
    while (frontier.length > 0) {
      const next: Array<VersionKey> = []
      for (const ref of frontier) {
        if (seen.has(key(ref))) continue
        seen.add(key(ref))
        // Parents exist before their children and versions are never deleted.
        const parent = yield* getVersion(ref.name, ref.version).pipe(
          Effect.catchTags({ DatasetNotFound: Effect.die, DatasetVersionNotFound: Effect.die })
        )
        ancestors.push(parent)
        next.push(...parent.parents)
      }
      frontier = next
    }
    return new DatasetLineage({ version: self, ancestors })
  })

  return {
    getVersion,
    getLatestVersion,
    listVersions,
    listDatasets: () => repo.names.pipe(methodSpan("Datasets.listDatasets")),
    records: (source) =>
      openRecords(source).pipe(
        Stream.map((r) => r.record),
        Stream.withSpan("Datasets.records")
      ),
    validate: <A, I, E = never>(source: DataSource<E>, schema: Schema.Schema<A, I>) =>
      issues(openRecords(source), schema).pipe(Stream.withSpan("Datasets.validate")),
    validateSummary: <A, I, E = never>(
      source: DataSource<E>,
      schema: Schema.Schema<A, I>,
      options: { readonly maxIssues?: number } = {}
    ) => summarize(openRecords(source), schema, options.maxIssues ?? 100).pipe(methodSpan("Datasets.validateSummary")),
    getLineage
  }
}

/** Content a derivation produced, ready to be registered with its lineage. */
export interface DerivedContent {
  readonly name: string
  readonly bytes: Stream.Stream<Uint8Array, ReadError | TransformError>
  readonly format: DatasetFormat
  /** The parents' URIs, comma-separated. */
  readonly source: string
  readonly context: string | undefined
  readonly parents: ReadonlyArray<VersionKey>
  readonly transform: ReadonlyArray<TransformStep>
}

/**
 * `derive` over any reads and any way to register the result: the parents
 * are read and transformed here, and `register` stores the output (in the
 * embedded stores directly; remotely, by uploading it with its lineage).
 */
export const makeDerive =
  <E>(
    reads: Pick<DatasetReads, "getVersion" | "records">,
    register: (content: DerivedContent) => Effect.Effect<DatasetVersion, E>
  ) =>
  (input: DeriveDataset) =>
    Effect.gen(function* () {
      const name = yield* checkDatasetName(input.name)
      const refs: ReadonlyArray<VersionKey> = "name" in input.from ? [input.from] : input.from
      if (refs.length === 0)
        return yield* new InvalidArgument({ field: "from", reason: "needs at least one parent version" })
      const parents = yield* Effect.forEach(refs, (ref) => reads.getVersion(ref.name, ref.version))
      const contents = yield* Effect.forEach(parents, (parent) =>
        parent.content === null
          ? Effect.fail(new DatasetHasNoContent({ name: parent.name, version: parent.version }))
          : Effect.succeed(parent.content)
      )
      const records = Stream.flatten(Stream.fromIterable(parents.map((parent) => reads.records(dataSourceOf(parent)))))
      const format = input.format ?? contents[0]!.format
      return yield* register({
        name,
        bytes: encodeRecords(input.transform.apply(records), format),
        format,
        source: parents.map(datasetUri).join(","),
        context: input.context,
        parents: parents.map((p) => ({ name: p.name, version: p.version })),
        transform: input.transform.describe()
      })
    }).pipe(methodSpan("Datasets.derive", { name: input.name }))

const dataSourceOf = (version: VersionKey): DataSource<never> => ({
  _tag: "Version",
  name: version.name,
  version: version.version
})

/**
 * The Datasets service over a metadata repository and an artifact store:
 * the SQL and memory implementations differ only in their repository.
 */
export const makeDatasets = (repo: DatasetRepository, artifacts: ArtifactStoreShape): DatasetsShape => {
  const reads = makeDatasetReads(repo, artifacts)
  /**
   * Streams `bytes` into the artifact store while parsing and profiling them:
   * one pass, with memory bounded by a chunk and the profile's sketches. A
   * parse error fails the upload, so the store keeps nothing.
   */
  const ingest = <E>(path: string, bytes: Stream.Stream<Uint8Array, E>, format: DatasetFormat, source: string) =>
    Effect.gen(function* () {
      const parser = yield* makeRecordParser(format, source)
      const profiler = new Profiler()
      const profile = (records: ReadonlyArray<ParsedRecord>) => {
        for (const { line, record } of records) {
          const refused = profiler.add(record)
          if (refused !== undefined) return Effect.fail(new InvalidDatasetFile({ source, line, reason: refused }))
        }
        return Effect.void
      }
      const parsed = bytes.pipe(
        Stream.tap((chunk) => Effect.flatMap(parser.push(chunk), profile)),
        Stream.concat(Stream.execute(Effect.flatMap(parser.end, profile)))
      )
      const info = yield* artifacts.put(path, parsed)
      return { info, ...profiler.result() }
    }).pipe(Effect.scoped, Effect.catchTag("InvalidArtifactPath", Effect.die))

  /**
   * Reserves a number, streams the content to its final path, then publishes
   * it. Any failure or interruption before publication releases the number
   * and removes the bytes; a duplicate digest discards the new bytes.
   */
  const store = <E>(draft: Draft<E>) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const tenant = yield* CurrentTenant
        const principal = yield* CurrentPrincipal
        const version = yield* repo.reserve(draft.name)
        const path = contentPath(tenant, draft.name, version, draft.format)
        const discard = Effect.zipRight(repo.release(draft.name, version), Effect.ignore(artifacts.delete(path)))
        const { info, profile, schema } = yield* restore(ingest(path, draft.bytes, draft.format, draft.source)).pipe(
          Effect.onError(() => discard)
        )
        const committed = yield* repo
          .commit(
            new DatasetVersion({
              name: draft.name,
              version,
              digest: info.sha256,
              source: draft.source,
              sourceType: draft.sourceType,
              context: draft.context ?? null,
              content: new DatasetContent({ path: info.path, format: draft.format, sizeBytes: info.size }),
              schema,
              profile,
              rawSchema: null,
              rawProfile: null,
              parents: draft.parents.map((p) => new DatasetVersionRef({ name: p.name, version: p.version })),
              transform: draft.transform,
              createdAt: yield* Effect.clockWith((clock) => clock.currentTimeMillis),
              createdBy: principal.id
            })
          )
          .pipe(Effect.onError(() => discard))
        if (committed.version !== version) yield* Effect.ignore(artifacts.delete(path))
        return committed
      })
    )

  const register = <E = never>(input: RegisterDataset<E>) =>
    Effect.gen(function* () {
      const name = yield* checkDatasetName(input.name)
      const upload = yield* openUpload(input.source)
      const derived = input.derivedFrom
      if (derived === undefined)
        return yield* store({ ...upload, name, context: input.context, parents: [], transform: [] })
      // Content derived elsewhere records its lineage; its parents must exist, as derive's do.
      yield* Effect.forEach(derived.parents, (parent) => reads.getVersion(parent.name, parent.version))
      return yield* store({
        ...upload,
        name,
        sourceType: "transform",
        context: input.context,
        parents: derived.parents,
        transform: derived.transform
      })
    }).pipe(methodSpan("Datasets.register", { name: input.name }))

  const registerMetadata = method("Datasets.registerMetadata")(function* (input: RegisterDatasetMetadata) {
    const name = yield* checkDatasetName(input.name)
    if (input.digest === "") return yield* new InvalidArgument({ field: "digest", reason: "must not be empty" })
    const principal = yield* CurrentPrincipal
    const createdAt = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    return yield* Effect.uninterruptible(
      Effect.flatMap(repo.reserve(name), (version) =>
        repo.commit(
          new DatasetVersion({
            name,
            version,
            digest: input.digest,
            source: input.source,
            sourceType: input.sourceType,
            context: input.context ?? null,
            content: null,
            schema: null,
            profile: null,
            rawSchema: input.schema ?? null,
            rawProfile: input.profile ?? null,
            parents: [],
            transform: [],
            createdAt,
            createdBy: principal.id
          })
        )
      )
    )
  })

  return {
    ...reads,
    register,
    registerMetadata,
    derive: makeDerive(reads, (content) => store({ ...content, sourceType: "transform", bytes: content.bytes }))
  }
}
