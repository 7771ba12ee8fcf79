/** Light and dark themes: the stored choice, else the system's preference. */
export type Theme = "light" | "dark"

const key = "effect-mlops.theme"

export const storedTheme = (): Theme => {
  const stored = localStorage.getItem(key)
  if (stored === "light" || stored === "dark") return stored
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"
}

export const applyTheme = (theme: Theme) => {
  document.documentElement.dataset.theme = theme
}

export const saveTheme = (theme: Theme) => {
  localStorage.setItem(key, theme)
  applyTheme(theme)
  window.dispatchEvent(new Event("mlops:theme"))
}
