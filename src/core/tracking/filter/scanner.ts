import { ParseFailure } from "../../search/failure.js"

/**
 * The tokenizer of the filter grammar. It reads one token at a time at the
 * parser's request, because what a token is depends on where it stands: a
 * double-quoted text is a key on the left of a comparator and a string value on
 * its right. Every token records its 0-based start offset for error positions.
 */

/** A key or entity segment: plain, backticked or double-quoted. */
export interface Segment {
  readonly text: string
  readonly quote: "`" | '"' | undefined
  readonly start: number
  readonly end: number
}

/** A value on the right of a comparator; `other` is anything unquoted that is not a number. */
export type Value =
  | { readonly type: "string"; readonly value: string; readonly raw: string; readonly start: number }
  | { readonly type: "number"; readonly value: number; readonly raw: string; readonly start: number }
  | { readonly type: "list"; readonly value: ReadonlyArray<string>; readonly raw: string; readonly start: number }
  | { readonly type: "other"; readonly raw: string; readonly start: number }

const wordChar = /[\p{L}\p{N}_]/u
const operatorChar = /[<>=~!]/
const whitespace = /\s/
// The numeric literals sqlparse (MLflow's tokenizer) accepts: optional minus, decimals, exponents.
const numberLiteral = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/y

export class Scanner {
  position = 0

  constructor(readonly text: string) {}

  get atEnd(): boolean {
    return this.position >= this.text.length
  }

  /** The current character, or `""` at the end. */
  peek(): string {
    return this.text.charAt(this.position)
  }

  fail(reason: string, position: number = this.position): never {
    throw new ParseFailure(position, reason)
  }

  skipWhitespace(): void {
    while (!this.atEnd && whitespace.test(this.peek())) this.position++
  }

  isWordStart(): boolean {
    return wordChar.test(this.peek())
  }

  /** Reads `[\p{L}\p{N}_]+` (possibly empty). */
  word(): string {
    const start = this.position
    while (!this.atEnd && wordChar.test(this.peek())) this.position++
    return this.text.slice(start, this.position)
  }

  /** Reads a run of comparison characters, so `<<<` is one (invalid) operator as in sqlparse. */
  operator(): string {
    const start = this.position
    while (!this.atEnd && operatorChar.test(this.peek())) this.position++
    return this.text.slice(start, this.position)
  }

  isOperatorStart(): boolean {
    return operatorChar.test(this.peek())
  }

  /**
   * Reads a quoted text; the quote is doubled to stand for itself (`'it''s'`).
   * MLflow keeps the raw text between the quotes instead, which leaves no way
   * to search for a value holding both quote characters.
   */
  quoted(quote: "'" | '"'): string {
    const start = this.position
    this.position++
    let value = ""
    for (;;) {
      const close = this.text.indexOf(quote, this.position)
      if (close < 0) return this.fail(`unclosed ${quote === "'" ? "single" : "double"} quote`, start)
      value += this.text.slice(this.position, close)
      this.position = close + 1
      if (this.peek() !== quote) return value
      value += quote
      this.position++
    }
  }

  /** Reads a backticked text; backticks cannot be escaped, as in MLflow. */
  backticked(): string {
    const start = this.position
    const close = this.text.indexOf("`", start + 1)
    if (close < 0) return this.fail("unclosed backtick", start)
    this.position = close + 1
    return this.text.slice(start + 1, close)
  }

  /** A plain word, a backticked or a double-quoted segment; `undefined` when none starts here. */
  segment(): Segment | undefined {
    const start = this.position
    const c = this.peek()
    if (c === "`") return { text: this.backticked(), quote: "`", start, end: this.position }
    if (c === '"') return { text: this.quoted('"'), quote: '"', start, end: this.position }
    if (this.isWordStart()) return { text: this.word(), quote: undefined, start, end: this.position }
    return undefined
  }

  /** A plain key after `entity.`: words joined by dots (`tags.mlflow.runName`). */
  plainKey(): string {
    const start = this.position
    this.word()
    while (this.peek() === "." && wordChar.test(this.text.charAt(this.position + 1))) {
      this.position++
      this.word()
    }
    return this.text.slice(start, this.position)
  }

  /** A value: quoted string, number, parenthesised list of quoted strings, or an unquoted token. */
  value(): Value {
    const start = this.position
    const c = this.peek()
    if (c === "'" || c === '"') {
      const value = this.quoted(c)
      return { type: "string", value, raw: this.text.slice(start, this.position), start }
    }
    if (c === "(") return this.list()
    numberLiteral.lastIndex = start
    const match = numberLiteral.exec(this.text)
    if (match !== null) {
      this.position = start + match[0].length
      if (!this.isWordStart() && this.peek() !== ".") {
        return { type: "number", value: Number(match[0]), raw: match[0], start }
      }
    }
    this.position = start
    while (!this.atEnd && !whitespace.test(this.peek())) this.position++
    return { type: "other", raw: this.text.slice(start, this.position), start }
  }

  private list(): Value {
    const start = this.position
    this.position++
    const values: Array<string> = []
    this.skipWhitespace()
    if (this.peek() === ")") this.fail("expected a non-empty list of quoted strings", start)
    for (;;) {
      this.skipWhitespace()
      const c = this.peek()
      if (c === "'" || c === '"') values.push(this.quoted(c))
      else if (this.atEnd) this.fail("unclosed list: expected ')'")
      else this.fail("expected a quoted string in the list")
      this.skipWhitespace()
      if (this.peek() === ")") break
      if (this.atEnd) this.fail("unclosed list: expected ')'")
      if (this.peek() !== ",") this.fail("expected ',' or ')' in the list")
      this.position++
    }
    this.position++
    return { type: "list", value: values, raw: this.text.slice(start, this.position), start }
  }
}
