import { useEffect, useState } from "preact/hooks"
import { fetchMe, fetchProviders, type Me, onUnauthenticated, type SsoMethod, signOut, switchTenant } from "./auth.js"
import { UserMenu } from "./components/UserMenu.js"
import { ComparePage } from "./pages/Compare.js"
import { DatasetPage, DatasetsPage } from "./pages/Datasets.js"
import { ExperimentsPage } from "./pages/Experiments.js"
import { LoginPage } from "./pages/Login.js"
import { ModelPage, ModelsPage } from "./pages/Models.js"
import { RunPage } from "./pages/Run.js"
import { RunsPage } from "./pages/Runs.js"
import { Link, navigate, parseRoute, type Route, useLocation } from "./router.js"
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

/**
 * Whether the server signs people in. `none`: no sign-on (the Basic
 * server), the UI is open as it always was. Otherwise the sign-in methods,
 * and who is signed in, if anyone.
 */
type Auth =
  | { readonly state: "checking" }
  | { readonly state: "none" }
  | { readonly state: "signedOut"; readonly methods: ReadonlyArray<SsoMethod> }
  | { readonly state: "signedIn"; readonly methods: ReadonlyArray<SsoMethod>; readonly me: Me }

const checkAuth = async (): Promise<Auth> => {
  const methods = await fetchProviders().catch(() => null)
  if (methods === null) return { state: "none" }
  const me = await fetchMe()
  return me === null ? { state: "signedOut", methods } : { state: "signedIn", methods, me }
}

const useAuth = () => {
  const [auth, setAuth] = useState<Auth>({ state: "checking" })
  useEffect(() => {
    let live = true
    checkAuth().then(
      (checked) => live && setAuth(checked),
      // The server did not answer: show the pages, whose own calls will say what is wrong.
      () => live && setAuth({ state: "none" })
    )
    // A session that ended (expired, signed out elsewhere) makes API calls answer 401: back to the sign-in page.
    const stop = onUnauthenticated(() =>
      setAuth((current) =>
        current.state === "signedIn" || current.state === "signedOut"
          ? { state: "signedOut", methods: current.methods }
          : current
      )
    )
    return () => {
      live = false
      stop()
    }
  }, [])
  return [auth, setAuth] as const
}

export const App = () => {
  const url = useLocation()
  const route = parseRoute(url.pathname)
  const [theme, setTheme] = useState<Theme>(storedTheme())
  const [auth, setAuth] = useAuth()
  // Bumped by a tenant switch: the page is rebuilt, so everything it shows is fetched again.
  const [generation, setGeneration] = useState(0)
  const toggle = () => {
    const next = theme === "dark" ? "light" : "dark"
    saveTheme(next)
    setTheme(next)
  }
  const changeTenant = async (tenant: string) => {
    if (auth.state !== "signedIn") return
    const me = await switchTenant(tenant)
    setAuth({ state: "signedIn", methods: auth.methods, me })
    // What the URL names (an experiment, a run) belongs to the previous tenant.
    navigate("/")
    setGeneration((n) => n + 1)
  }
  const leave = async () => {
    if (auth.state !== "signedIn") return
    await signOut()
    setAuth({ state: "signedOut", methods: auth.methods })
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
          {auth.state === "signedOut"
            ? null
            : sections.map((section) => (
                <Link
                  key={section.href}
                  href={section.href}
                  aria-current={(section.pages as ReadonlyArray<string>).includes(route.page) ? "page" : undefined}
                >
                  {section.label}
                </Link>
              ))}
        </nav>
        {auth.state === "signedIn" ? <UserMenu me={auth.me} onSwitchTenant={changeTenant} onSignOut={leave} /> : null}
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
        {auth.state === "checking" ? null : auth.state === "signedOut" ? (
          <LoginPage methods={auth.methods} />
        ) : (
          <Page key={generation} route={route} />
        )}
      </main>
    </>
  )
}
