/** Request headers naming who acts and in which tenant, trusted only by a server without authentication. */
export const IdentityHeaders = { principal: "x-mlops-principal", tenant: "x-mlops-tenant" } as const
