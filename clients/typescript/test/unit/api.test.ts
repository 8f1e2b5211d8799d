import { describe, expect, it, vi } from 'vitest';
import { createEnrichmentApi, EnrichmentApiError, OfflineQueue, type OnlineSource } from '../../src/api.js';

class FakeNetwork implements OnlineSource {
  onLine = false;
  private listeners: Array<() => void> = [];
  addEventListener(_type: 'online', listener: () => void) {
    this.listeners.push(listener);
  }
  removeEventListener(_type: 'online', listener: () => void) {
    this.listeners = this.listeners.filter((l) => l !== listener);
  }
  goOnline() {
    this.onLine = true;
    for (const listener of [...this.listeners]) listener();
  }
}

describe('offline support', () => {
  it('queues a Re-Enrich while offline and sends it when back online', async () => {
    const network = new FakeNetwork();
    const queue = new OfflineQueue(network);
    const send = vi.fn(async () => ({ job_id: 'j1', bom_id: 'b' }));
    const result = queue.run(send);
    expect(queue.offline).toBe(true);
    expect(queue.size).toBe(1);
    await Promise.resolve();
    expect(send).not.toHaveBeenCalled();
    network.goOnline();
    await expect(result).resolves.toEqual({ job_id: 'j1', bom_id: 'b' });
    expect(send).toHaveBeenCalledOnce();
    expect(queue.size).toBe(0);
  });

  it('sends at once while online', async () => {
    const network = new FakeNetwork();
    network.onLine = true;
    const send = vi.fn(async () => 1);
    await expect(new OfflineQueue(network).run(send)).resolves.toBe(1);
  });
});

describe('REST client', () => {
  it('posts the items with the bearer token and surfaces problem codes', async () => {
    const fetchMock = vi.fn(async () =>
      new Response(JSON.stringify({ code: 'job_running', job_id: 'j0', detail: 'running' }), { status: 409, headers: { 'content-type': 'application/problem+json' } }),
    );
    const api = createEnrichmentApi('http://hub', () => 'tok', fetchMock as unknown as typeof fetch);
    const error = await api.start('b', [{ mpn: 'LM358DR' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnrichmentApiError);
    expect((error as EnrichmentApiError).code).toBe('job_running');
    expect(fetchMock).toHaveBeenCalledWith('http://hub/api/enrichment/b/start', {
      method: 'POST',
      headers: { Authorization: 'Bearer tok', 'Content-Type': 'application/json' },
      body: JSON.stringify({ items: [{ mpn: 'LM358DR' }] }),
    });
  });
});
