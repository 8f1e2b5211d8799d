import { describe, expect, inject, it } from 'vitest';

const baseUrl = inject('baseUrl');

describe('the server as the demo page sees it (Development)', () => {
  it('serves the built demo page at /', async () => {
    const response = await fetch(`${baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('<div id="root">');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${baseUrl}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('hands out a local token at /api/dev/token that the API accepts', async () => {
    const response = await fetch(`${baseUrl}/api/dev/token`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; tenant_id: string; expires_at: string };
    expect(body.tenant_id).toBe('demo');
    expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now());
    // Accepted: an unknown BOM is a 404 bom_not_found, not a 401.
    const status = await fetch(`${baseUrl}/api/enrichment/status/never-seen-bom`, { headers: { Authorization: `Bearer ${body.token}` } });
    expect(status.status).toBe(404);
    expect(((await status.json()) as { code: string }).code).toBe('bom_not_found');
  });

  it('refuses a malformed dev token request with problem+json', async () => {
    const response = await fetch(`${baseUrl}/api/dev/token?tenant=${encodeURIComponent('a b*')}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as { code: string }).code).toBe('invalid_dev_token_request');
  });
});
