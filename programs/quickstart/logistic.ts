/**
 * Multinomial logistic (softmax) regression trained by mini-batch gradient descent with L2 regularisation.
 * Synchronous, pure and deterministic for a given seed, in plain TypeScript over `Float64Array`.
 */
import { Either, type ParseResult, Schema } from "effect"
import { type Matrix, mulberry32, shuffledIndices } from "./numeric.js"

/** Per-feature mean and standard deviation; the model applies `(x - mean) / std` to its inputs. */
export interface Standardisation {
  readonly mean: ReadonlyArray<number>
  readonly std: ReadonlyArray<number>
}

/**
 * Fits a {@link Standardisation} to the columns of `x` (population standard deviation). A constant column gets
 * `std = 1`, so it maps to 0 instead of dividing by zero.
 *
 * @example
 * const s = fitStandardisation(xTrain) // fit on the training rows only
 */
export const fitStandardisation = (x: Matrix): Standardisation => {
  const mean = new Array<number>(x.cols).fill(0)
  const std = new Array<number>(x.cols).fill(0)
  for (let j = 0; j < x.cols; j++) {
    let sum = 0
    for (let i = 0; i < x.rows; i++) sum += x.data[i * x.cols + j]!
    const m = x.rows === 0 ? 0 : sum / x.rows
    let squares = 0
    for (let i = 0; i < x.rows; i++) squares += (x.data[i * x.cols + j]! - m) ** 2
    const s = x.rows === 0 ? 0 : Math.sqrt(squares / x.rows)
    mean[j] = m
    std[j] = s > 1e-12 ? s : 1
  }
  return { mean, std }
}

/**
 * Applies a {@link Standardisation} to every row of `x`, returning a new matrix.
 *
 * @example
 * const xStd = standardise(fitStandardisation(xTrain), xVal)
 */
export const standardise = (standardisation: Standardisation, x: Matrix): Matrix => {
  if (standardisation.mean.length !== x.cols) {
    throw new RangeError(`standardisation has ${standardisation.mean.length} features, matrix has ${x.cols}`)
  }
  const data = new Float64Array(x.data.length)
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < x.cols; j++) {
      const k = i * x.cols + j
      data[k] = (x.data[k]! - standardisation.mean[j]!) / standardisation.std[j]!
    }
  }
  return { rows: x.rows, cols: x.cols, data }
}

/** Mean cross-entropy (natural log, without the L2 penalty) and share of correct arg-max predictions. */
export interface Evaluation {
  readonly loss: number
  readonly accuracy: number
}

export interface EpochMetrics {
  readonly trainLoss: number
  readonly trainAccuracy: number
  readonly valLoss: number
  readonly valAccuracy: number
}

// Writes the K logits of row `row` of `x` (already standardised) into `out`; W is K × D row-major.
const logitsInto = (out: Float64Array, weights: Float64Array, bias: Float64Array, x: Matrix, row: number): void => {
  const d = x.cols
  const offset = row * d
  for (let k = 0; k < out.length; k++) {
    let z = bias[k]!
    for (let j = 0; j < d; j++) z += weights[k * d + j]! * x.data[offset + j]!
    out[k] = z
  }
}

// Turns logits into probabilities in place and returns log(sum(exp(logits))). Subtracting the max first keeps
// exp() from overflowing; the returned log-sum-exp lets the loss be computed as lse - z_y without log(p) ever
// seeing an underflowed 0.
const softmaxInPlace = (z: Float64Array): number => {
  let max = Number.NEGATIVE_INFINITY
  for (const v of z) if (v > max) max = v
  let sum = 0
  for (let k = 0; k < z.length; k++) {
    const e = Math.exp(z[k]! - max)
    z[k] = e
    sum += e
  }
  for (let k = 0; k < z.length; k++) z[k] = z[k]! / sum
  return max + Math.log(sum)
}

const argMax = (values: Float64Array): number => {
  let best = 0
  for (let k = 1; k < values.length; k++) if (values[k]! > values[best]!) best = k
  return best
}

const evaluateStandardised = (weights: Float64Array, bias: Float64Array, x: Matrix, y: Int32Array): Evaluation => {
  if (y.length !== x.rows) throw new RangeError(`${x.rows} rows but ${y.length} labels`)
  const z = new Float64Array(bias.length)
  let loss = 0
  let correct = 0
  for (let i = 0; i < x.rows; i++) {
    logitsInto(z, weights, bias, x, i)
    const label = y[i]!
    if (!(label >= 0 && label < z.length)) throw new RangeError(`label ${label} is not a class index`)
    const zy = z[label]!
    if (argMax(z) === label) correct++
    loss += softmaxInPlace(z) - zy
  }
  return x.rows === 0 ? { loss: Number.NaN, accuracy: Number.NaN } : { loss: loss / x.rows, accuracy: correct / x.rows }
}

const FiniteArray = Schema.Array(Schema.Finite)

/** The JSON form of a {@link SoftmaxRegression}; `weights[k][j]` is the weight of feature `j` for class `k`. */
export const SoftmaxRegressionJson = Schema.Struct({
  format: Schema.Literal("softmax-regression/v1"),
  classes: Schema.Array(Schema.String),
  featureNames: Schema.Array(Schema.String),
  standardisation: Schema.Struct({ mean: FiniteArray, std: FiniteArray }),
  weights: Schema.Array(FiniteArray),
  bias: FiniteArray
}).pipe(
  Schema.filter((m) => {
    const k = m.classes.length
    const d = m.featureNames.length
    if (k < 2) return "a model needs at least 2 classes"
    if (m.standardisation.mean.length !== d || m.standardisation.std.length !== d) {
      return "standardisation must have one mean and one std per feature"
    }
    if (m.standardisation.std.some((s) => s <= 0)) return "standardisation std must be positive"
    if (m.bias.length !== k) return "bias must have one value per class"
    if (m.weights.length !== k || m.weights.some((row) => row.length !== d)) {
      return "weights must be classes × features"
    }
    return true
  })
)
export type SoftmaxRegressionJson = typeof SoftmaxRegressionJson.Type

const decodeJson = Schema.decodeUnknownEither(SoftmaxRegressionJson)

/**
 * A trained classifier. Inputs to `predict*`/`evaluate` are raw features in `featureNames` order; the model
 * standardises them itself. `JSON.stringify(model)` gives its {@link SoftmaxRegressionJson}, and
 * {@link SoftmaxRegression.fromJSON} reads it back bit-for-bit (JSON numbers round-trip doubles exactly).
 *
 * @example
 * const restored = SoftmaxRegression.fromJSON(JSON.parse(JSON.stringify(model)))
 * // Either.right(model with identical predictions)
 */
export class SoftmaxRegression {
  readonly classes: ReadonlyArray<string>
  readonly featureNames: ReadonlyArray<string>
  readonly standardisation: Standardisation
  /** `classes.length × featureNames.length`, row-major, in standardised feature space. */
  readonly weights: Float64Array
  readonly bias: Float64Array

  constructor(fields: {
    readonly classes: ReadonlyArray<string>
    readonly featureNames: ReadonlyArray<string>
    readonly standardisation: Standardisation
    readonly weights: Float64Array
    readonly bias: Float64Array
  }) {
    const k = fields.classes.length
    const d = fields.featureNames.length
    if (fields.weights.length !== k * d || fields.bias.length !== k || fields.standardisation.mean.length !== d) {
      throw new RangeError(`model shapes do not match ${k} classes × ${d} features`)
    }
    this.classes = fields.classes
    this.featureNames = fields.featureNames
    this.standardisation = fields.standardisation
    this.weights = fields.weights
    this.bias = fields.bias
  }

  /** Reads a model from its JSON form (already `JSON.parse`d), validating every shape. */
  static fromJSON(json: unknown): Either.Either<SoftmaxRegression, ParseResult.ParseError> {
    return Either.map(
      decodeJson(json),
      (m) =>
        new SoftmaxRegression({
          classes: m.classes,
          featureNames: m.featureNames,
          standardisation: m.standardisation,
          weights: Float64Array.from(m.weights.flat()),
          bias: Float64Array.from(m.bias)
        })
    )
  }

  toJSON(): SoftmaxRegressionJson {
    const d = this.featureNames.length
    return {
      format: "softmax-regression/v1",
      classes: this.classes,
      featureNames: this.featureNames,
      standardisation: this.standardisation,
      weights: this.classes.map((_, k) => Array.from(this.weights.subarray(k * d, (k + 1) * d))),
      bias: Array.from(this.bias)
    }
  }

  /** Class probabilities: an `x.rows × classes.length` matrix whose rows sum to 1. */
  predictProba(x: Matrix): Matrix {
    const xs = standardise(this.standardisation, x)
    const k = this.classes.length
    const data = new Float64Array(x.rows * k)
    const z = new Float64Array(k)
    for (let i = 0; i < x.rows; i++) {
      logitsInto(z, this.weights, this.bias, xs, i)
      softmaxInPlace(z)
      data.set(z, i * k)
    }
    return { rows: x.rows, cols: k, data }
  }

  /** The index into `classes` of the most probable class of each row. */
  predict(x: Matrix): Int32Array {
    const xs = standardise(this.standardisation, x)
    const z = new Float64Array(this.classes.length)
    return Int32Array.from({ length: x.rows }, (_, i) => {
      logitsInto(z, this.weights, this.bias, xs, i)
      return argMax(z)
    })
  }

  /** Loss and accuracy on labelled rows (labels are indices into `classes`). */
  evaluate(x: Matrix, y: Int32Array): Evaluation {
    return evaluateStandardised(this.weights, this.bias, standardise(this.standardisation, x), y)
  }
}

export interface TrainOptions {
  /** Raw training features; the standardisation is fitted on these rows only. */
  readonly xTrain: Matrix
  /** Training labels, indices into `classes`. */
  readonly yTrain: Int32Array
  readonly xVal: Matrix
  readonly yVal: Int32Array
  readonly classes: ReadonlyArray<string>
  readonly featureNames: ReadonlyArray<string>
  /** Step size of gradient descent. */
  readonly learningRate: number
  /** Passes over the training rows (at least 1). */
  readonly epochs: number
  /** L2 coefficient λ: the objective is mean cross-entropy + λ/2 · ‖W‖²; biases are not penalised. */
  readonly l2: number
  /** Rows per gradient step. Default: all training rows (full-batch gradient descent). */
  readonly batchSize?: number
  /** Seeds the row order of each epoch, so a mini-batch run is reproducible. */
  readonly seed: number
  /** Called after every epoch, epochs counted from 1. */
  readonly onEpoch?: (epoch: number, metrics: EpochMetrics) => void
}

/** What {@link trainEpochs} yields after each epoch: the metrics and a snapshot of the model at that point. */
export interface EpochResult {
  readonly epoch: number
  readonly metrics: EpochMetrics
  readonly model: SoftmaxRegression
}

const checkOptions = (options: Omit<TrainOptions, "onEpoch">): void => {
  const { xTrain, yTrain, xVal, yVal, classes, featureNames, learningRate, epochs, l2, batchSize } = options
  const fail = (message: string): never => {
    throw new RangeError(message)
  }
  if (classes.length < 2) fail("need at least 2 classes")
  if (xTrain.rows === 0) fail("xTrain has no rows")
  if (xTrain.cols !== featureNames.length || xVal.cols !== featureNames.length) {
    fail(`xTrain has ${xTrain.cols} and xVal ${xVal.cols} columns for ${featureNames.length} feature names`)
  }
  if (yTrain.length !== xTrain.rows || yVal.length !== xVal.rows) fail("one label per row is required")
  for (const label of [...yTrain, ...yVal]) {
    if (!(label >= 0 && label < classes.length)) fail(`label ${label} is not a class index`)
  }
  if (!(learningRate > 0)) fail(`learningRate must be positive, got ${learningRate}`)
  if (!(Number.isInteger(epochs) && epochs >= 1)) fail(`epochs must be a positive integer, got ${epochs}`)
  if (!(l2 >= 0)) fail(`l2 must be non-negative, got ${l2}`)
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1)) {
    fail(`batchSize must be a positive integer, got ${batchSize}`)
  }
}

/**
 * Trains step by step, yielding after every epoch. Use it to interleave effects (metric logging, checkpoints)
 * with training; {@link train} is the same loop with a callback. Weights start at zero (the loss is convex, so
 * no random init is needed), which makes a full-batch run independent of the seed.
 *
 * @example
 * for (const { epoch, metrics } of trainEpochs(options)) {
 *   yield* Tracking.logMetric("val_accuracy", metrics.valAccuracy, { step: epoch })
 * }
 */
export function* trainEpochs(options: Omit<TrainOptions, "onEpoch">): Generator<EpochResult, void, undefined> {
  checkOptions(options)
  const { classes, featureNames, learningRate, epochs, l2, seed } = options
  const standardisation = fitStandardisation(options.xTrain)
  const xTrain = standardise(standardisation, options.xTrain)
  const xVal = standardise(standardisation, options.xVal)
  const yTrain = options.yTrain
  const n = xTrain.rows
  const d = xTrain.cols
  const k = classes.length
  const batchSize = Math.min(options.batchSize ?? n, n)
  const random = mulberry32(seed)

  const weights = new Float64Array(k * d)
  const bias = new Float64Array(k)
  const gradWeights = new Float64Array(k * d)
  const gradBias = new Float64Array(k)
  const p = new Float64Array(k)

  for (let epoch = 1; epoch <= epochs; epoch++) {
    const order = shuffledIndices(n, random)
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(start + batchSize, n)
      gradWeights.fill(0)
      gradBias.fill(0)
      for (let b = start; b < end; b++) {
        const i = order[b]!
        logitsInto(p, weights, bias, xTrain, i)
        softmaxInPlace(p)
        // d(cross-entropy)/d(logit_c) = p_c - [c = y]
        p[yTrain[i]!]! -= 1
        for (let c = 0; c < k; c++) {
          const g = p[c]!
          gradBias[c]! += g
          for (let j = 0; j < d; j++) gradWeights[c * d + j]! += g * xTrain.data[i * d + j]!
        }
      }
      const scale = 1 / (end - start)
      for (let w = 0; w < weights.length; w++) {
        weights[w]! -= learningRate * (gradWeights[w]! * scale + l2 * weights[w]!)
      }
      for (let c = 0; c < k; c++) bias[c]! -= learningRate * gradBias[c]! * scale
    }
    const trained = evaluateStandardised(weights, bias, xTrain, yTrain)
    const validated = evaluateStandardised(weights, bias, xVal, options.yVal)
    yield {
      epoch,
      metrics: {
        trainLoss: trained.loss,
        trainAccuracy: trained.accuracy,
        valLoss: validated.loss,
        valAccuracy: validated.accuracy
      },
      model: new SoftmaxRegression({
        classes,
        featureNames,
        standardisation,
        weights: weights.slice(),
        bias: bias.slice()
      })
    }
  }
}

/**
 * Trains a {@link SoftmaxRegression}, calling `onEpoch` with train and validation metrics after every epoch,
 * and returns the model after the last epoch.
 *
 * @example
 * const model = train({
 *   xTrain: split.train.x, yTrain: split.train.y, xVal: split.validation.x, yVal: split.validation.y,
 *   classes: split.train.classes, featureNames: split.train.featureNames,
 *   learningRate: 0.1, epochs: 100, l2: 1e-3, seed: 42,
 *   onEpoch: (epoch, m) => console.log(epoch, m.valAccuracy)
 * })
 */
export const train = (options: TrainOptions): SoftmaxRegression => {
  let last: SoftmaxRegression | undefined
  for (const { epoch, metrics, model } of trainEpochs(options)) {
    options.onEpoch?.(epoch, metrics)
    last = model
  }
  // checkOptions guarantees epochs >= 1, so at least one model was yielded.
  return last!
}
