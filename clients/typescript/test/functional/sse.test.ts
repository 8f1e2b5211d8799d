import { EventSource } from 'eventsource';
import { describe, expect, inject, it } from 'vitest';
import { createEnrichmentApi } from '../../src/api.js';
import { EnrichmentSseStream, type EventSourceConstructor } from '../../src/sse.js';
import type { ReceivedEvent } from '../../src/state.js';
import { replayIds } from '../support/replay.js';
import { mintToken } from '../support/tokens.js';
import { lineItems, uniqueBomId, waitFor } from '../support/wait.js';

const baseUrl = inject('baseUrl');
const quiet = { debug: false } as const;
const NodeEventSource = EventSource as unknown as EventSourceConstructor;

describe('SSE core against the real server (eventsource in Node)', () => {
  it('follows a Re-Enrich run to completion and closes on stream_end', async () => {
    const tenant = uniqueBomId('t');
    const bomId = uniqueBomId('sse');
    const token = mintToken(tenant);
    const api = createEnrichmentApi(baseUrl, () => token);
    const events: ReceivedEvent[] = [];
    const percents: number[] = [];
    await api.start(bomId, lineItems(30));
    const stream = new EnrichmentSseStream(bomId, {
      ...quiet,
      baseUrl,
      getToken: () => token,
      eventSource: NodeEventSource,
      onEvent: (event) => events.push(event),
      onProgress: (state) => percents.push(state.percent_complete),
    });
    stream.connect();
    try {
      await waitFor(() => stream.tracker.current.connectionStatus === 'closed', 'the stream to close after completion');
    } finally {
      stream.disconnect();
    }

    const snapshot = stream.tracker.current;
    expect(snapshot.isComplete).toBe(true);
    expect(snapshot.isProcessing).toBe(false);
    expect(snapshot.progressPercent).toBe(100);
    expect(snapshot.progress?.total_items).toBe(30);
    expect(snapshot.progress?.processed_items).toBe(30);
    expect(events[0]?.event).toBe('connected');
    expect(events.at(-1)).toMatchObject({ event: 'stream_end', data: { reason: 'completed' } });
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    const { state, lastEventId } = await api.status(bomId);
    expect(state).toMatchObject({ status: 'completed', processed_items: 30, enriched_items: snapshot.progress?.enriched_items });
    expect(lastEventId).toBe(snapshot.lastEventId);
  });

  it('gets a fresh token after token_expired and resumes from the last event id with nothing lost', async () => {
    const tenant = uniqueBomId('t');
    const bomId = uniqueBomId('sse-exp');
    const api = createEnrichmentApi(baseUrl, () => mintToken(tenant));
    const events: ReceivedEvent[] = [];
    let tokens = 0;
    // The first token expires mid-run (the run takes ~2.4 s); later ones live long.
    const getToken = () => mintToken(tenant, { lifetimeSeconds: tokens++ === 0 ? 1 : 600 });
    await api.start(bomId, lineItems(120));
    const stream = new EnrichmentSseStream(bomId, { ...quiet, baseUrl, getToken, eventSource: NodeEventSource, onEvent: (e) => events.push(e) });
    stream.connect();
    try {
      await waitFor(() => stream.tracker.current.connectionStatus === 'closed', 'the run to complete across the token expiry', 20_000);
    } finally {
      stream.disconnect();
    }

    expect(events.some((e) => e.event === 'stream_end' && (e.data as { reason: string }).reason === 'token_expired')).toBe(true);
    expect(tokens).toBeGreaterThanOrEqual(2);
    expect(stream.tracker.current).toMatchObject({ isComplete: true, progressPercent: 100 });
    const seen = events.filter((e) => e.id !== null).map((e) => e.id!);
    const unique = [...new Set(seen)];
    const reference = await replayIds(baseUrl, bomId, tenant, unique[0]!);
    expect(unique.slice(1)).toEqual(reference);
  });

  it('falls back to polling the status endpoint when the stream cannot connect', async () => {
    const tenant = uniqueBomId('t');
    const bomId = uniqueBomId('sse-poll');
    const token = mintToken(tenant);
    const api = createEnrichmentApi(baseUrl, () => token);
    await api.start(bomId, lineItems(20));
    // An EventSource whose every connection is refused (a proxy that blocks text/event-stream, say).
    class RefusedEventSource extends EventSource {
      constructor(url: string) {
        super(url.replace('/api/enrichment/stream/', '/api/enrichment/no-such-stream/'));
      }
    }
    const stream = new EnrichmentSseStream(bomId, {
      ...quiet,
      baseUrl,
      getToken: () => token,
      eventSource: RefusedEventSource as unknown as EventSourceConstructor,
      maxFailedAttempts: 2,
      backoff: { initialDelayMs: 10, maxDelayMs: 20, factor: 2, jitter: 0 },
      pollIntervalMs: 50,
    });
    const statuses: string[] = [];
    stream.tracker.subscribe((s) => statuses.push(s.connectionStatus));
    stream.connect();
    try {
      await waitFor(() => stream.tracker.current.isComplete, 'polling to see the run complete');
    } finally {
      stream.disconnect();
    }
    expect(statuses).toContain('polling');
    expect(stream.quality.snapshot().pollingFallback).toBe(true);
    expect(stream.tracker.current.progress).toMatchObject({ status: 'completed', processed_items: 20 });
  });

  it('corrects a base URL that ends in /api (the double /api pitfall) with a warning', async () => {
    const tenant = uniqueBomId('t');
    const bomId = uniqueBomId('sse-api');
    const token = mintToken(tenant);
    await createEnrichmentApi(baseUrl, () => token).start(bomId, lineItems(5));
    const warnings: string[] = [];
    const stream = new EnrichmentSseStream(bomId, {
      debug: false,
      logSink: { debug: () => {}, warn: (m: string) => warnings.push(m), error: () => {} },
      baseUrl: `${baseUrl}/api/`,
      getToken: () => token,
      eventSource: NodeEventSource,
    });
    stream.connect();
    try {
      await waitFor(() => stream.tracker.current.isComplete, 'the run to complete');
    } finally {
      stream.disconnect();
    }
    expect(warnings.some((w) => w.startsWith('[SSE]') && w.includes('/api'))).toBe(true);
  });
});
