import { useEffect, useState } from "preact/hooks"
import type uPlot from "uplot"

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim()

/** A uPlot axis drawn in the current theme's muted text and border colours. */
export const themedAxis = (label: string): uPlot.Axis => {
  const grid = cssVar("--border")
  return { label, stroke: cssVar("--fg-muted"), grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } }
}

/** The current theme; a canvas chart lists it among its deps to redraw in the new colours when it changes. */
export const useTheme = (): string | undefined => {
  const [theme, setTheme] = useState(document.documentElement.dataset.theme)
  useEffect(() => {
    const onTheme = () => setTheme(document.documentElement.dataset.theme)
    globalThis.addEventListener("mlops:theme", onTheme)
    return () => globalThis.removeEventListener("mlops:theme", onTheme)
  }, [])
  return theme
}
