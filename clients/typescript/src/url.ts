import type { Logger } from './logger.js';

/** Reads `VITE_CNS_API_URL` when the code is bundled by Vite (the guide's configuration), else undefined. */
export function envBaseUrl(): string | undefined {
  // Written literally so that Vite (and Vitest) replace it; undefined when the code runs unbundled.
  const value = (import.meta.env as Record<string, string | undefined> | undefined)?.VITE_CNS_API_URL;
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The server's base URL: `explicit`, else `VITE_CNS_API_URL`, else the page's origin. A base that ends in `/api` is
 * the guide's "double /api" pitfall (every path below already starts with `/api`): it is corrected with a warning.
 */
export function resolveBaseUrl(explicit?: string, logger?: Pick<Logger, 'warn'>): string {
  let base = explicit ?? envBaseUrl() ?? (typeof location !== 'undefined' ? location.origin : '');
  base = base.replace(/\/+$/, '');
  if (/\/api$/i.test(base)) {
    const fixed = base.slice(0, -4);
    (logger ?? console).warn(
      `[SSE] The base URL "${base}" ends in /api; the client appends /api/enrichment/... itself. Using "${fixed}". ` +
        'Remove /api from VITE_CNS_API_URL.',
    );
    base = fixed;
  }
  return base;
}

/** `GET /api/enrichment/stream/{bom_id}?token=` with an optional `last_event_id` (for a fresh EventSource). */
export function streamUrl(baseUrl: string, bomId: string, token: string, lastEventId?: string | null): string {
  let url = `${baseUrl}/api/enrichment/stream/${encodeURIComponent(bomId)}?token=${encodeURIComponent(token)}`;
  if (lastEventId) {
    url += `&last_event_id=${encodeURIComponent(lastEventId)}`;
  }
  return url;
}

/** `GET /api/enrichment/status/{bom_id}`. */
export function statusUrl(baseUrl: string, bomId: string): string {
  return `${baseUrl}/api/enrichment/status/${encodeURIComponent(bomId)}`;
}

/** `POST /api/enrichment/{bom_id}/start`. */
export function startUrl(baseUrl: string, bomId: string): string {
  return `${baseUrl}/api/enrichment/${encodeURIComponent(bomId)}/start`;
}

/** `POST /api/enrichment/{bom_id}/cancel`. */
export function cancelUrl(baseUrl: string, bomId: string): string {
  return `${baseUrl}/api/enrichment/${encodeURIComponent(bomId)}/cancel`;
}

/** The SignalR hub. */
export function hubUrl(baseUrl: string): string {
  return `${baseUrl}/hubs/enrichment`;
}

/**
 * The multi-BOM stream `GET /api/enrichment/stream?bom_id=a&bom_id=b&token=` with an optional resume cursor
 * (`m1,{bom_id}={log_id},...`, docs/protocol.md).
 */
export function multiStreamUrl(baseUrl: string, bomIds: readonly string[], token: string, cursor?: string | null): string {
  const query = bomIds.map((bomId) => `bom_id=${encodeURIComponent(bomId)}`);
  query.push(`token=${encodeURIComponent(token)}`);
  if (cursor) query.push(`last_event_id=${encodeURIComponent(cursor)}`);
  return `${baseUrl}/api/enrichment/stream?${query.join('&')}`;
}
