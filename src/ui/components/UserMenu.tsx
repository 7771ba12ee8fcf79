import { useState } from "preact/hooks"
import type { Me } from "../auth.js"

interface UserMenuProps {
  readonly me: Me
  readonly onSwitchTenant: (tenant: string) => Promise<void>
  readonly onSignOut: () => Promise<void>
}

/** The header's signed-in person: who, the tenant (a switcher when there are several), and Sign out. */
export const UserMenu = ({ me, onSwitchTenant, onSignOut }: UserMenuProps) => {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = (action: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    action().then(
      () => setBusy(false),
      (failure: unknown) => {
        setBusy(false)
        setError(failure instanceof Error ? failure.message : String(failure))
      }
    )
  }
  return (
    <div class="user-menu">
      {me.tenants.length > 1 ? (
        <label>
          <span class="muted">Tenant </span>
          <select
            value={me.tenant}
            disabled={busy}
            onChange={(event) => {
              const tenant = event.currentTarget.value
              if (tenant !== me.tenant) run(() => onSwitchTenant(tenant))
            }}
          >
            {me.tenants.map((tenant) => (
              <option key={tenant} value={tenant}>
                {tenant}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <span class="muted">
          Tenant <span class="tenant">{me.tenant}</span>
        </span>
      )}
      <span class="whoami" title={me.email ?? me.username}>
        {me.displayName ?? me.username}
      </span>
      <button type="button" class="ghost" disabled={busy} onClick={() => run(onSignOut)}>
        Sign out
      </button>
      {error === null ? null : (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </div>
  )
}
