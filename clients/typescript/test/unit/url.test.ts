import { afterEach, describe, expect, it, vi } from 'vitest';
import { hubUrl, resolveBaseUrl, startUrl, statusUrl, streamUrl } from '../../src/url.js';

describe('URL building', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('uses the explicit base URL, without a trailing slash', () => {
    expect(resolveBaseUrl('http://localhost:27200/')).toBe('http://localhost:27200');
  });

  it('falls back to VITE_CNS_API_URL, then to the page origin', () => {
    vi.stubEnv('VITE_CNS_API_URL', 'http://cns.example:27200');
    expect(resolveBaseUrl()).toBe('http://cns.example:27200');
    vi.stubEnv('VITE_CNS_API_URL', '');
    expect(resolveBaseUrl()).toBe(location.origin);
  });

  it('corrects the double /api pitfall with a console warning', () => {
    const warn = vi.fn();
    expect(resolveBaseUrl('http://localhost:27200/api', { warn })).toBe('http://localhost:27200');
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]![0]).toMatch(/^\[SSE\] .*ends in \/api/);
    expect(resolveBaseUrl('http://localhost:27200/apis', { warn })).toBe('http://localhost:27200/apis');
    expect(warn).toHaveBeenCalledOnce();
  });

  it('builds the stream URL with the token and, to resume, the last event id', () => {
    expect(streamUrl('http://h', 'bom:1', 'a.b.c')).toBe('http://h/api/enrichment/stream/bom%3A1?token=a.b.c');
    expect(streamUrl('http://h', 'bom-1', 't', '1764064800000-0')).toBe('http://h/api/enrichment/stream/bom-1?token=t&last_event_id=1764064800000-0');
  });

  it('builds the REST and hub URLs', () => {
    expect(statusUrl('http://h', 'b')).toBe('http://h/api/enrichment/status/b');
    expect(startUrl('http://h', 'b')).toBe('http://h/api/enrichment/b/start');
    expect(hubUrl('http://h')).toBe('http://h/hubs/enrichment');
  });
});
