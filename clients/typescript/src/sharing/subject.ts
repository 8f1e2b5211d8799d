/** The payload of a JWT, read without verifying it; null when the token is not a JWT. */
function tokenPayload(token: string): Record<string, unknown> | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const json: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))));
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The `sub` claim of a JWT, read without verifying it (the server verifies; this only picks the tabs that may share a
 * connection: the same user's). Null when the token is not a JWT or has no `sub`.
 */
export function tokenSubject(token: string): string | null {
  const sub = tokenPayload(token)?.sub;
  return typeof sub === 'string' && sub !== '' ? sub : null;
}

/**
 * Who a connection belongs to, for sharing: the subject, and the tenant (`tenant_id`) when the token names one, so a
 * user signed in to two tenants in two tabs gets two connections (each tab's BOMs are visible to its tenant only).
 * `anonymous` for a token that is not a JWT.
 */
export function sharingIdentity(token: string): string {
  const payload = tokenPayload(token);
  const sub = typeof payload?.sub === 'string' && payload.sub !== '' ? payload.sub : 'anonymous';
  const tenant = payload?.tenant_id;
  return typeof tenant === 'string' && tenant !== '' ? `${sub}@${tenant}` : sub;
}
