import { loginHref, methodLabels, type SsoMethod } from "../auth.js"

/** The sign-in page of a server with single sign-on: one link per method, coming back to the current page. */
export const LoginPage = ({ methods }: { readonly methods: ReadonlyArray<SsoMethod> }) => {
  const next = `${location.pathname}${location.search}`
  return (
    <section class="login">
      <h1>Sign in</h1>
      {methods.length === 0 ? (
        <p class="error" role="alert">
          This server asks for a sign-in but offers no sign-in method. Ask its administrator to configure OIDC or SAML.
        </p>
      ) : (
        <>
          <p class="muted">Sign in with your organisation's account to see its experiments, models and datasets.</p>
          <ul class="login-methods">
            {methods.map((method) => (
              <li key={method}>
                <a class="button" href={loginHref(method, next)}>
                  {methodLabels[method]}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
