import { createHmac } from 'node:crypto';

/** The signing key the test server is started with (Auth__SigningKey). */
export const testSigningKey = 'notificationhub-typescript-tests-signing-key-0123456789';

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An HS256 user token as the server expects it (iss/aud notificationhub, tenant claim tenant_id). */
export function mintToken(tenantId: string, options: { sub?: string; lifetimeSeconds?: number; key?: string } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({
      sub: options.sub ?? 'ts-tests',
      tenant_id: tenantId,
      iss: 'notificationhub',
      aud: 'notificationhub',
      iat: now,
      nbf: now - 1,
      exp: now + (options.lifetimeSeconds ?? 600),
    }),
  );
  const signature = createHmac('sha256', options.key ?? testSigningKey).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
