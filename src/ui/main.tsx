import { render } from "preact"
import "uplot/dist/uPlot.min.css"
import "./styles.css"
import { App } from "./App.js"
import { applyTheme, storedTheme } from "./theme.js"

applyTheme(storedTheme())
render(<App />, document.getElementById("app") as HTMLElement)
