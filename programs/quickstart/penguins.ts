/**
 * The Palmer penguins data set (`data/penguins.csv`, see `data/README.md`): loading, feature extraction and a
 * seeded train/validation split for the quickstart's classifier.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Effect, Either, Schema } from "effect"
import { createHash } from "node:crypto"
import { fileURLToPath } from "node:url"
import { type Matrix, mulberry32, selectRows, shuffledIndices } from "./numeric.js"

/** Absolute path of the CSV shipped in the repository. */
export const penguinsCsvPath: string = fileURLToPath(new URL("../../data/penguins.csv", import.meta.url))

/** The labels, in the order the model's output columns use. */
export const penguinSpecies = ["Adelie", "Chinstrap", "Gentoo"] as const
export type PenguinSpecies = (typeof penguinSpecies)[number]

export const penguinIslands = ["Biscoe", "Dream", "Torgersen"] as const
export type PenguinIsland = (typeof penguinIslands)[number]

/** The numeric measurements, named as the CSV columns. */
export const penguinMeasurements = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"] as const
export type PenguinMeasurement = (typeof penguinMeasurements)[number]

const header = ["species", "island", ...penguinMeasurements, "sex"].join(",")
const columnCount = 2 + penguinMeasurements.length + 1
const decimal = /^-?\d+(\.\d+)?$/

/** One CSV row; a missing cell is `null`. */
export interface Penguin {
  readonly species: PenguinSpecies
  readonly island: PenguinIsland
  readonly measurements: Readonly<Record<PenguinMeasurement, number | null>>
  readonly sex: "male" | "female" | null
}

/** The parsed file, with what a run needs to record it as an input. */
export interface PenguinsDataset {
  /** SHA-256 of the file bytes, lowercase hex. */
  readonly digest: string
  readonly sizeBytes: number
  readonly rows: ReadonlyArray<Penguin>
}

/** The CSV is not the file this loader was written for; `line` is 1-based (the header is line 1). */
export class PenguinsCsvInvalid extends Schema.TaggedError<PenguinsCsvInvalid>()("PenguinsCsvInvalid", {
  line: Schema.Number,
  reason: Schema.String
}) {
  override get message(): string {
    return `penguins CSV, line ${this.line}: ${this.reason}`
  }
}

const oneOf = <const A extends string>(values: ReadonlyArray<A>, value: string): value is A =>
  (values as ReadonlyArray<string>).includes(value)

const parseRow = (text: string, line: number): Either.Either<Penguin, PenguinsCsvInvalid> => {
  const invalid = (reason: string) => Either.left(new PenguinsCsvInvalid({ line, reason }))
  // A plain split is only correct because the file has no quoted fields; refuse any file that has them.
  if (text.includes('"')) return invalid("quoted fields are not supported")
  const cells = text.split(",")
  if (cells.length !== columnCount) return invalid(`expected ${columnCount} fields, found ${cells.length}`)
  const [species = "", island = "", ...rest] = cells
  const sex = rest.pop() ?? ""
  if (!oneOf(penguinSpecies, species)) return invalid(`unknown species "${species}"`)
  if (!oneOf(penguinIslands, island)) return invalid(`unknown island "${island}"`)
  if (sex !== "male" && sex !== "female" && sex !== "") return invalid(`unknown sex "${sex}"`)
  const measurements: Partial<Record<PenguinMeasurement, number | null>> = {}
  for (const [k, name] of penguinMeasurements.entries()) {
    const cell = rest[k] ?? ""
    if (cell !== "" && !decimal.test(cell)) return invalid(`${name} is not a decimal number: "${cell}"`)
    measurements[name] = cell === "" ? null : Number(cell)
  }
  return Either.right({
    species,
    island,
    measurements: measurements as Record<PenguinMeasurement, number | null>,
    sex: sex === "" ? null : sex
  })
}

/**
 * Parses the bytes of `data/penguins.csv`, checking the header, the field count, the category values and the
 * numbers of every row.
 *
 * @example
 * const dataset = yield* parsePenguinsCsv(bytes) // an Either is yieldable in Effect.gen
 * dataset.rows.length // 344
 */
export const parsePenguinsCsv = (bytes: Uint8Array): Either.Either<PenguinsDataset, PenguinsCsvInvalid> => {
  const digest = createHash("sha256").update(bytes).digest("hex")
  const lines = new TextDecoder().decode(bytes).split(/\r?\n/)
  if (lines.at(-1) === "") lines.pop()
  if (lines[0] !== header) {
    return Either.left(new PenguinsCsvInvalid({ line: 1, reason: `expected header "${header}"` }))
  }
  const rows: Array<Penguin> = []
  for (let i = 1; i < lines.length; i++) {
    const row = parseRow(lines[i]!, i + 1)
    if (Either.isLeft(row)) return Either.left(row.left)
    rows.push(row.right)
  }
  return Either.right({ digest, sizeBytes: bytes.byteLength, rows })
}

/**
 * Reads and parses the penguins CSV (by default the copy shipped in `data/`).
 *
 * @example
 * const dataset = yield* loadPenguins().pipe(Effect.provide(NodeFileSystem.layer))
 */
export const loadPenguins = Effect.fn("Penguins.load")(function* (path: string = penguinsCsvPath) {
  const fs = yield* FileSystem.FileSystem
  const bytes = yield* fs.readFile(path)
  return yield* parsePenguinsCsv(bytes)
})

/** Labelled examples: row `i` of `x` has label `classes[y[i]]`. */
export interface Examples {
  readonly x: Matrix
  readonly y: Int32Array
  readonly featureNames: ReadonlyArray<string>
  readonly classes: ReadonlyArray<string>
}

export interface PenguinExamplesOptions {
  /** Adds one-hot `island=<name>` columns after the measurements. Default `false`. */
  readonly includeIsland?: boolean
}

/**
 * Turns the rows that have all four measurements into examples: the measurements (raw, not standardised) as
 * features, the species as label. Rows missing any measurement are dropped (2 in the shipped file); `sex` is
 * not used, so rows missing only `sex` are kept.
 *
 * @example
 * const examples = penguinExamples(dataset, { includeIsland: true })
 * examples.featureNames // ["bill_length_mm", …, "island=Biscoe", "island=Dream", "island=Torgersen"]
 */
export const penguinExamples = (dataset: PenguinsDataset, options: PenguinExamplesOptions = {}): Examples => {
  const islands: ReadonlyArray<PenguinIsland> = options.includeIsland === true ? penguinIslands : []
  const featureNames = [...penguinMeasurements, ...islands.map((island) => `island=${island}`)]
  const complete = dataset.rows.filter((row) => penguinMeasurements.every((name) => row.measurements[name] !== null))
  const cols = featureNames.length
  const data = new Float64Array(complete.length * cols)
  const y = new Int32Array(complete.length)
  complete.forEach((row, i) => {
    penguinMeasurements.forEach((name, j) => {
      data[i * cols + j] = row.measurements[name]!
    })
    const island = islands.indexOf(row.island)
    if (island >= 0) data[i * cols + penguinMeasurements.length + island] = 1
    y[i] = penguinSpecies.indexOf(row.species)
  })
  return { x: { rows: complete.length, cols, data }, y, featureNames, classes: penguinSpecies }
}

export interface SplitOptions {
  readonly seed: number
  /** Share of the examples held out for validation, in (0, 1). */
  readonly validationFraction: number
}

/** A train/validation split; `trainIndices`/`validationIndices` point into the examples that were split. */
export interface Split {
  readonly train: Examples
  readonly validation: Examples
  readonly trainIndices: Int32Array
  readonly validationIndices: Int32Array
}

const subset = (examples: Examples, indices: Int32Array): Examples => ({
  x: selectRows(examples.x, indices),
  y: Int32Array.from(indices, (i) => examples.y[i]!),
  featureNames: examples.featureNames,
  classes: examples.classes
})

/**
 * Shuffles the examples with a seeded PRNG and holds out `round(n × validationFraction)` of them for
 * validation. The same seed always gives the same split.
 *
 * @example
 * const { train, validation } = splitExamples(examples, { seed: 42, validationFraction: 0.3 })
 */
export const splitExamples = (examples: Examples, options: SplitOptions): Split => {
  const { seed, validationFraction } = options
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new RangeError(`validationFraction must be in (0, 1), got ${validationFraction}`)
  }
  const n = examples.y.length
  const order = shuffledIndices(n, mulberry32(seed))
  const validationSize = Math.round(n * validationFraction)
  const validationIndices = order.slice(0, validationSize)
  const trainIndices = order.slice(validationSize)
  return {
    train: subset(examples, trainIndices),
    validation: subset(examples, validationIndices),
    trainIndices,
    validationIndices
  }
}
