import { useState } from "preact/hooks"
import { ComparePage } from "./pages/Compare.js"
import { DatasetPage, DatasetsPage } from "./pages/Datasets.js"
import { ExperimentsPage } from "./pages/Experiments.js"
import { ModelPage, ModelsPage } from "./pages/Models.js"
import { RunPage } from "./pages/Run.js"
import { RunsPage } from "./pages/Runs.js"
import { Link, parseRoute, type Route, useLocation } from "./router.js"
import { saveTheme, storedTheme, type Theme } from "./theme.js"

const Page = ({ route }: { readonly route: Route }) => {
  switch (route.page) {
    case "experiments":
      return <ExperimentsPage />
    case "runs":
      return <RunsPage experimentId={route.experimentId} />
    case "run":
      return <RunPage runId={route.runId} />
    case "compare":
      return <ComparePage />
    case "models":
      return <ModelsPage />
    case "model":
      return <ModelPage name={route.name} />
    case "datasets":
      return <DatasetsPage />
    case "dataset":
      return <DatasetPage name={route.name} />
    case "notFound":
      return (
        <section>
          <h1>Page not found</h1>
          <p>
            <Link href="/">Back to the experiments</Link>
          </p>
        </section>
      )
  }
}

const sections = [
  {
    href: "/",
    label: "Experiments",
    pages: ["experiments", "runs", "run", "compare"]
  },
  { href: "/models", label: "Models", pages: ["models", "model"] },
  { href: "/datasets", label: "Datasets", pages: ["datasets", "dataset"] }
] as const

export const App = () => {
  const url = useLocation()
  const route = parseRoute(url.pathname)
  const [theme, setTheme] = useState<Theme>(storedTheme())
  const toggle = () => {
    const next = theme === "dark" ? "light" : "dark"
    saveTheme(next)
    setTheme(next)
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/" class="brand">
          effect-mlops
        </Link>
        <nav aria-label="Sections">
          {sections.map((section) => (
            <Link
              key={section.href}
              href={section.href}
              aria-current={(section.pages as ReadonlyArray<string>).includes(route.page) ? "page" : undefined}
            >
              {section.label}
            </Link>
          ))}
        </nav>
        <button
          type="button"
          class="ghost"
          onClick={toggle}
          aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
        >
          {theme === "dark" ? "Light theme" : "Dark theme"}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  )
}
