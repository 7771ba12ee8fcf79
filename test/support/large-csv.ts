import { createHash } from "node:crypto"
import * as fs from "node:fs"

const categories = ["alpha", "beta", "gamma", "delta", "epsilon"]
const words = "the quick brown fox jumps over a lazy dog while streaming sketches keep memory bounded".split(" ")

/** One row of about 150 bytes: numbers, a category, a flag, a date and a quoted free-text comment. */
const row = (i: number): string => {
  let comment = ""
  for (let w = 0; w < 18; w++) comment += `${words[(i * 31 + w * 7) % words.length]} `
  const day = `2024-0${(i % 9) + 1}-1${i % 10}`
  return `${i},${((i * 7919) % 100_003) / 100},${categories[i % 5]},${i % 3 === 0},${day},"${comment}#${i % 1000}"\n`
}

/**
 * Writes a CSV of about `targetBytes` block by block (never whole in memory),
 * hashing it on the way. Used by the large-file test and the dataset benchmark.
 */
export const generateCsv = async (
  file: string,
  targetBytes: number
): Promise<{ readonly rows: number; readonly sha256: string; readonly size: number }> => {
  const out = fs.createWriteStream(file)
  const hash = createHash("sha256")
  const write = async (text: string) => {
    hash.update(text)
    if (!out.write(text)) await new Promise<void>((resolve) => out.once("drain", () => resolve()))
  }
  await write("id,amount,category,flag,day,comment\n")
  let bytes = 0
  let rows = 0
  while (bytes < targetBytes) {
    let block = ""
    for (let i = 0; i < 10_000; i++) block += row(rows++)
    bytes += block.length
    await write(block)
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
  return { rows, sha256: hash.digest("hex"), size: fs.statSync(file).size }
}
