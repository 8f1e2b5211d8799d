import { EventSource } from 'eventsource';
import { describe, expect, inject, it } from 'vitest';
import { createEnrichmentApi } from '../../src/api.js';
import { MultiBomSseStream } from '../../src/multiSse.js';
import type { EventSourceConstructor } from '../../src/sse.js';
import type { EnrichmentProgressTracker, ReceivedEvent } from '../../src/state.js';
import { replayIds } from '../support/replay.js';
import { mintToken } from '../support/tokens.js';
import { lineItems, uniqueBomId, waitFor } from '../support/wait.js';

const baseUrl = inject('baseUrl');
const NodeEventSource = EventSource as unknown as EventSourceConstructor;

/** A URL-recording EventSource: the requests the stream made. */
function recording(urls: string[]): EventSourceConstructor {
  return class extends (EventSource as unknown as new (url: string) => object) {
    constructor(url: string) {
      super(url);
      urls.push(url);
    }
  } as unknown as EventSourceConstructor;
}

function watchAll(stream: MultiBomSseStream, boms: readonly string[]): Array<{ tracker: EnrichmentProgressTracker; events: ReceivedEvent[] }> {
  return boms.map((bomId) => {
    const events: ReceivedEvent[] = [];
    return { tracker: stream.watch(bomId, { onEvent: (event) => events.push(event) }), events };
  });
}

/** The bus ids a BOM's tracker applied after its first, against the server's replay of the log: nothing lost, nothing twice. */
async function expectLossless(tenant: string, bomId: string, events: ReceivedEvent[]): Promise<void> {
  const ids = events.filter((e) => e.id !== null && e.event !== 'connected').map((e) => e.id!);
  const applied = [...new Set(ids)];
  expect(applied.length).toBeGreaterThan(1);
  expect(applied.slice(1)).toEqual(await replayIds(baseUrl, bomId, tenant, applied[0]!));
}

describe('multi-BOM SSE core against the real server (eventsource in Node)', () => {
  it('follows three BOMs over one stream to completion and closes after the last stream_end', async () => {
    const tenant = uniqueBomId('t');
    const token = mintToken(tenant);
    const api = createEnrichmentApi(baseUrl, () => token);
    const boms = [uniqueBomId('m-a'), uniqueBomId('m-b'), uniqueBomId('m-c')];
    await Promise.all(boms.map((bomId, i) => api.start(bomId, lineItems(15 + 10 * i))));
    const urls: string[] = [];
    const stream = new MultiBomSseStream({ baseUrl, getToken: () => token, debug: false, eventSource: recording(urls) });
    const watched = watchAll(stream, boms);
    stream.start();
    try {
      await waitFor(() => watched.every((w) => w.tracker.current.connectionStatus === 'closed'), 'every BOM to end');
      for (const [index, { tracker, events }] of watched.entries()) {
        expect(tracker.current).toMatchObject({ isComplete: true, progressPercent: 100 });
        expect(tracker.current.progress?.processed_items).toBe(15 + 10 * index);
        expect(events.at(-1)).toMatchObject({ event: 'stream_end', data: { bom_id: boms[index], reason: 'completed' } });
        expect(tracker.current.lastEventId).toBe((await api.status(boms[index]!)).lastEventId);
      }
      expect(urls).toHaveLength(1);
    } finally {
      stream.stop();
    }
  });

  it('reopens with the cursor when a BOM is added mid-run, losing and repeating nothing on the running BOM', async () => {
    const tenant = uniqueBomId('t');
    const token = mintToken(tenant);
    const api = createEnrichmentApi(baseUrl, () => token);
    const [first, second] = [uniqueBomId('m-run'), uniqueBomId('m-add')];
    await api.start(first, lineItems(120));
    const urls: string[] = [];
    const stream = new MultiBomSseStream({ baseUrl, getToken: () => token, debug: false, eventSource: recording(urls) });
    const [running] = watchAll(stream, [first]);
    stream.start();
    try {
      await waitFor(() => (running!.tracker.current.progress?.processed_items ?? 0) >= 20, 'the first BOM to be mid-run');
      await api.start(second, lineItems(40));
      const [added] = watchAll(stream, [second]);
      await waitFor(() => [running, added].every((w) => w!.tracker.current.connectionStatus === 'closed'), 'both BOMs to end');
      expect(urls).toHaveLength(2);
      const cursor = new URL(urls[1]!).searchParams.get('last_event_id');
      expect(cursor).toMatch(new RegExp(`^m1,${first}=\\d+-\\d+$`));
      await expectLossless(tenant, first, running!.events);
      await expectLossless(tenant, second, added!.events);
      const ids = running!.events.filter((e) => e.id !== null && e.event !== 'connected').map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length); // the server resumed exactly after the cursor: no overlap at all
    } finally {
      stream.stop();
    }
  });

  it('gets a fresh token after token_expired and resumes every BOM from the cursor', async () => {
    const tenant = uniqueBomId('t');
    const api = createEnrichmentApi(baseUrl, () => mintToken(tenant));
    const boms = [uniqueBomId('m-exp1'), uniqueBomId('m-exp2')];
    await Promise.all(boms.map((bomId) => api.start(bomId, lineItems(120))));
    let tokens = 0;
    // The first token expires mid-run (each run takes ~2.4 s); later ones live long.
    const getToken = () => mintToken(tenant, { lifetimeSeconds: tokens++ === 0 ? 1 : 600 });
    const stream = new MultiBomSseStream({ baseUrl, getToken, debug: false, eventSource: NodeEventSource });
    const watched = watchAll(stream, boms);
    stream.start();
    try {
      await waitFor(() => watched.every((w) => w.tracker.current.connectionStatus === 'closed'), 'both BOMs to end');
      expect(tokens).toBeGreaterThanOrEqual(2);
      // One stream_end per BOM is written; the client reopens on the first.
      const expired = watched.filter(({ events }) => events.some((e) => e.event === 'stream_end' && (e.data as { reason: string }).reason === 'token_expired'));
      expect(expired.length).toBeGreaterThanOrEqual(1);
      for (const [index, { events }] of watched.entries()) await expectLossless(tenant, boms[index]!, events);
    } finally {
      stream.stop();
    }
  });

  it('follows the next run of a finished BOM when it is watched again (Re-Enrich)', async () => {
    const tenant = uniqueBomId('t');
    const token = mintToken(tenant);
    const api = createEnrichmentApi(baseUrl, () => token);
    const bomId = uniqueBomId('m-again');
    await api.start(bomId, lineItems(10));
    const stream = new MultiBomSseStream({ baseUrl, getToken: () => token, debug: false, eventSource: NodeEventSource });
    const [watched] = watchAll(stream, [bomId]);
    stream.start();
    try {
      await waitFor(() => watched!.tracker.current.connectionStatus === 'closed', 'the first run to end');
      const firstEnd = watched!.tracker.current.lastEventId;
      await api.start(bomId, lineItems(12));
      stream.watch(bomId);
      await waitFor(() => watched!.tracker.current.progress?.total_items === 12 && watched!.tracker.current.isComplete, 'the second run to complete');
      expect(watched!.tracker.current.lastEventId).not.toBe(firstEnd);
      expect(watched!.tracker.current.lastEventId).toBe((await api.status(bomId)).lastEventId);
    } finally {
      stream.stop();
    }
  });

  it('marks a BOM the tenant cannot see as not found and streams the others', async () => {
    const tenant = uniqueBomId('t');
    const token = mintToken(tenant);
    const api = createEnrichmentApi(baseUrl, () => token);
    const known = uniqueBomId('m-known');
    const foreign = uniqueBomId('m-foreign');
    await api.start(known, lineItems(20));
    await createEnrichmentApi(baseUrl, () => mintToken(uniqueBomId('other'))).start(foreign, lineItems(5));
    const stream = new MultiBomSseStream({ baseUrl, getToken: () => token, debug: false, eventSource: NodeEventSource, backoff: { initialDelayMs: 50, maxDelayMs: 50, factor: 1, jitter: 0 } });
    const [ok, bad] = watchAll(stream, [known, foreign]);
    stream.start();
    try {
      await waitFor(() => ok!.tracker.current.connectionStatus === 'closed', 'the known BOM to end');
      expect(ok!.tracker.current.isComplete).toBe(true);
      expect(bad!.tracker.current).toMatchObject({ connectionStatus: 'error', error: 'bom_not_found', progress: null });
    } finally {
      stream.stop();
    }
  });
});
