import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { type EpochMetrics, fitStandardisation, SoftmaxRegression, train } from "../../programs/quickstart/logistic.js"
import { matrixFromRows } from "../../programs/quickstart/numeric.js"
import {
  type Examples,
  loadPenguins,
  PenguinsCsvInvalid,
  parsePenguinsCsv,
  penguinExamples,
  penguinsCsvPath,
  type Split,
  splitExamples
} from "../../programs/quickstart/penguins.js"

const bytes = readFileSync(penguinsCsvPath)
const dataset = Either.getOrThrow(parsePenguinsCsv(bytes))
const examples = penguinExamples(dataset)
const split = splitExamples(examples, { seed: 42, validationFraction: 0.3 })

const header = "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex"
const csv = (...lines: ReadonlyArray<string>) => new TextEncoder().encode(`${lines.join("\n")}\n`)

const trainOn = (s: Split, options: { learningRate: number; epochs: number; l2: number; seed: number }) => {
  const history: Array<EpochMetrics> = []
  const model = train({
    xTrain: s.train.x,
    yTrain: s.train.y,
    xVal: s.validation.x,
    yVal: s.validation.y,
    classes: s.train.classes,
    featureNames: s.train.featureNames,
    ...options,
    onEpoch: (_, metrics) => history.push(metrics)
  })
  return { model, history }
}

const columnMeans = (x: Examples["x"]) =>
  Array.from({ length: x.cols }, (_, j) => {
    let sum = 0
    for (let i = 0; i < x.rows; i++) sum += x.data[i * x.cols + j]!
    return sum / x.rows
  })

describe("penguins data", () => {
  it.effect("loadPenguins reads the shipped CSV and digests its bytes", () =>
    Effect.gen(function* () {
      const loaded = yield* loadPenguins().pipe(Effect.provide(NodeFileSystem.layer))
      expect(loaded.digest).toBe(createHash("sha256").update(bytes).digest("hex"))
      expect(loaded.digest).toBe("2aae5655b87666a59355cdb338eed523adcb7dc190132c1a5c66bc5126c758a2")
      expect(loaded.sizeBytes).toBe(bytes.byteLength)
      expect(loaded.rows.length).toBe(344)
    })
  )

  it("has the known species counts and missing values", () => {
    const count = (species: string) => dataset.rows.filter((row) => row.species === species).length
    expect([count("Adelie"), count("Chinstrap"), count("Gentoo")]).toEqual([152, 68, 124])
    const numericComplete = dataset.rows.filter((row) => Object.values(row.measurements).every((v) => v !== null))
    expect(numericComplete.length).toBe(342)
    expect(numericComplete.filter((row) => row.sex !== null).length).toBe(333)
  })

  it("rejects a quoted field instead of mis-splitting it", () => {
    const result = parsePenguinsCsv(csv(header, 'Adelie,"Torgersen",39.1,18.7,181,3750,male'))
    expect(result).toEqual(Either.left(new PenguinsCsvInvalid({ line: 2, reason: "quoted fields are not supported" })))
  })

  it("rejects a file with another header", () => {
    const result = parsePenguinsCsv(csv("species,island", "Adelie,Torgersen"))
    expect(Either.isLeft(result) && result.left.line).toBe(1)
  })

  it("rejects a malformed number", () => {
    const result = parsePenguinsCsv(csv(header, "Adelie,Torgersen,39.1,18.7,1e3,3750,male"))
    expect(Either.isLeft(result) && result.left.reason).toBe('flipper_length_mm is not a decimal number: "1e3"')
  })

  it("keeps only rows with all four measurements as examples", () => {
    expect(examples.x.rows).toBe(342)
    expect(examples.y.length).toBe(342)
    expect(examples.featureNames).toEqual(["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"])
    expect(examples.classes).toEqual(["Adelie", "Chinstrap", "Gentoo"])
    expect(Array.from(examples.x.data.subarray(0, 4))).toEqual([39.1, 18.7, 181, 3750])
    expect(examples.x.data.every(Number.isFinite)).toBe(true)
  })

  it("one-hot encodes the island when asked", () => {
    const withIsland = penguinExamples(dataset, { includeIsland: true })
    expect(withIsland.featureNames.slice(4)).toEqual(["island=Biscoe", "island=Dream", "island=Torgersen"])
    // the first row is a Torgersen penguin
    expect(Array.from(withIsland.x.data.subarray(4, 7))).toEqual([0, 0, 1])
    for (let i = 0; i < withIsland.x.rows; i++) {
      const oneHot = withIsland.x.data.subarray(i * 7 + 4, i * 7 + 7)
      expect(oneHot.reduce((a, b) => a + b)).toBe(1)
    }
  })

  it("splits the same way for the same seed and differently for another", () => {
    const again = splitExamples(examples, { seed: 42, validationFraction: 0.3 })
    const other = splitExamples(examples, { seed: 7, validationFraction: 0.3 })
    expect(again.validationIndices).toEqual(split.validationIndices)
    expect(again.train.x.data).toEqual(split.train.x.data)
    expect(other.validationIndices).not.toEqual(split.validationIndices)
  })

  it("splits into disjoint sets that cover every example", () => {
    expect(split.train.y.length).toBe(239)
    expect(split.validation.y.length).toBe(103)
    const all = [...split.trainIndices, ...split.validationIndices]
    expect(new Set(all).size).toBe(342)
    expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 342 }, (_, i) => i))
    const first = split.validationIndices[0]!
    expect(Array.from(split.validation.x.data.subarray(0, 4))).toEqual(
      Array.from(examples.x.data.subarray(first * 4, first * 4 + 4))
    )
    expect(split.validation.y[0]).toBe(examples.y[first])
  })
})

describe("softmax regression", () => {
  it("fits the standardisation on the training rows only", () => {
    const { model } = trainOn(split, { learningRate: 0.1, epochs: 1, l2: 0, seed: 1 })
    const trainMeans = columnMeans(split.train.x)
    model.standardisation.mean.forEach((m, j) => {
      expect(m).toBeCloseTo(trainMeans[j]!, 9)
    })
    expect(model.standardisation.mean).not.toEqual(fitStandardisation(examples.x).mean)
    expect(model.standardisation.std).toEqual(fitStandardisation(split.train.x).std)
  })

  it("reaches over 90% validation accuracy while the training loss keeps falling", () => {
    const { model, history } = trainOn(split, { learningRate: 0.1, epochs: 100, l2: 1e-3, seed: 1 })
    expect(history.length).toBe(100)
    for (let e = 1; e < history.length; e++) expect(history[e]!.trainLoss).toBeLessThan(history[e - 1]!.trainLoss)
    expect(history.at(-1)!.trainLoss).toBeLessThan(history[0]!.trainLoss / 3)
    expect(history.at(-1)!.valAccuracy).toBeGreaterThan(0.9)
    expect(model.evaluate(split.validation.x, split.validation.y).accuracy).toBe(history.at(-1)!.valAccuracy)
  })

  it("is deterministic for a seed when training on mini-batches", () => {
    const run = (seed: number) =>
      train({
        xTrain: split.train.x,
        yTrain: split.train.y,
        xVal: split.validation.x,
        yVal: split.validation.y,
        classes: split.train.classes,
        featureNames: split.train.featureNames,
        learningRate: 0.05,
        epochs: 5,
        l2: 1e-3,
        batchSize: 16,
        seed
      })
    expect(run(3).weights).toEqual(run(3).weights)
    expect(run(3).weights).not.toEqual(run(4).weights)
  })

  it("round-trips through JSON and predicts the same", () => {
    const { model } = trainOn(split, { learningRate: 0.1, epochs: 30, l2: 1e-3, seed: 1 })
    const restored = Either.getOrThrow(SoftmaxRegression.fromJSON(JSON.parse(JSON.stringify(model))))
    expect(restored.weights).toEqual(model.weights)
    expect(restored.bias).toEqual(model.bias)
    expect(restored.predictProba(split.validation.x).data).toEqual(model.predictProba(split.validation.x).data)
    expect(restored.predict(split.validation.x)).toEqual(model.predict(split.validation.x))
  })

  it("refuses JSON whose shapes do not match", () => {
    const { model } = trainOn(split, { learningRate: 0.1, epochs: 1, l2: 0, seed: 1 })
    const json = model.toJSON()
    expect(Either.isLeft(SoftmaxRegression.fromJSON({ ...json, bias: json.bias.slice(1) }))).toBe(true)
  })

  it("gives finite probabilities for extreme inputs", () => {
    const { model } = trainOn(split, { learningRate: 0.1, epochs: 30, l2: 0, seed: 1 })
    const probabilities = model.predictProba(matrixFromRows([[1e9, -1e9, 1e9, -1e9]]))
    expect(probabilities.data.every(Number.isFinite)).toBe(true)
    expect(probabilities.data.reduce((a, b) => a + b)).toBeCloseTo(1, 12)
  })
})
