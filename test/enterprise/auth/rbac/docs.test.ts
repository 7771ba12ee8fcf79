import * as fs from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { renderActionTables } from "../../../../src/enterprise/auth/rbac/actions.js"

/*
 * docs/rbac.md lists every action with the role it needs, generated from
 * the table the decorators enforce. Run with RBAC_DOCS_WRITE=1 to rewrite
 * the section after changing the table.
 */

const file = new URL("../../../../docs/rbac.md", import.meta.url)
const start = "<!-- actions:start -->"
const end = "<!-- actions:end -->"

describe("docs/rbac.md", () => {
  it("lists every action with its role, exactly as the RBAC table says", () => {
    const text = fs.readFileSync(file, "utf8")
    const before = text.slice(0, text.indexOf(start) + start.length)
    const after = text.slice(text.indexOf(end))
    const expected = `${before}\n${renderActionTables()}\n${after}`
    if (process.env.RBAC_DOCS_WRITE === "1" && text !== expected) fs.writeFileSync(file, expected)
    assert.strictEqual(text.indexOf(start) >= 0 && text.indexOf(end) > text.indexOf(start), true)
    assert.strictEqual(
      fs.readFileSync(file, "utf8"),
      expected,
      "docs/rbac.md is out of date: run RBAC_DOCS_WRITE=1 npx vitest run test/enterprise/auth/rbac/docs.test.ts"
    )
  })
})
