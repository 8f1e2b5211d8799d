import type { TokenProvider } from '../src/api.js';

interface DevTokenAnswer {
  token: string;
  expires_at: string;
}

/**
 * Gets a local token from the Development-only `GET /api/dev/token` and renews it a minute before it expires (the
 * hooks call this on every connect and after `token_expired`). A real portal passes its auth context's token instead.
 */
export function devTokenProvider(baseUrl: string): TokenProvider {
  let cached: { token: string; expiresAt: number } | null = null;
  return async () => {
    if (cached && cached.expiresAt - Date.now() > 60_000) return cached.token;
    const response = await fetch(`${baseUrl}/api/dev/token`);
    if (!response.ok) {
      throw new Error(`No development token (HTTP ${response.status}): is the server running in Development?`);
    }
    const answer = (await response.json()) as DevTokenAnswer;
    cached = { token: answer.token, expiresAt: Date.parse(answer.expires_at) };
    return answer.token;
  };
}
