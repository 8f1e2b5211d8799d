import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EnrichmentSseStream, type EventSourceConstructor } from '../../src/sse.js';
import { envelope, FakeEventSource } from '../support/fakeEventSource.js';

const quietSink = { debug: vi.fn(), warn: vi.fn(), error: vi.fn() };
const settle = () => vi.advanceTimersByTimeAsync(0);

function stream(options: Partial<ConstructorParameters<typeof EnrichmentSseStream>[1]> = {}) {
  return new EnrichmentSseStream('bom-1', {
    baseUrl: 'http://hub',
    getToken: vi.fn(async () => 'tok-1'),
    eventSource: FakeEventSource as unknown as EventSourceConstructor,
    logSink: quietSink,
    backoff: { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 },
    ...options,
  });
}

describe('EnrichmentSseStream', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeEventSource.reset();
  });
  afterEach(() => vi.useRealTimers());

  it('closes on stream_end after completion, so EventSource does not reconnect to a finished job', async () => {
    const s = stream();
    s.connect();
    await settle();
    const source = FakeEventSource.last;
    expect(source.url).toBe('http://hub/api/enrichment/stream/bom-1?token=tok-1');
    source.open();
    source.emit('connected', { type: 'connected', bom_id: 'bom-1', message: 'Stream connected', recovered: true });
    source.emit('progress', envelope('progress', '1-0', 5), '1-0');
    source.emit('enrichment.completed', envelope('enrichment.completed', '2-0', 10), '2-0');
    source.emit('stream_end', { type: 'stream_end', bom_id: 'bom-1', reason: 'completed' });
    expect(source.closed).toBe(true);
    expect(s.tracker.current).toMatchObject({ connectionStatus: 'closed', isComplete: true, progressPercent: 100 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('on token_expired gets a fresh token and resumes from the last event id', async () => {
    const getToken = vi.fn().mockResolvedValueOnce('old').mockResolvedValueOnce('fresh');
    const s = stream({ getToken });
    s.connect();
    await settle();
    FakeEventSource.last.open();
    FakeEventSource.last.emit('progress', envelope('progress', '10-3', 4), '10-3');
    FakeEventSource.last.emit('stream_end', { type: 'stream_end', bom_id: 'bom-1', reason: 'token_expired' });
    await settle();
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(FakeEventSource.instances[0]!.closed).toBe(true);
    expect(FakeEventSource.last.url).toBe('http://hub/api/enrichment/stream/bom-1?token=fresh&last_event_id=10-3');
  });

  it('lets EventSource retry a transient error, then backs off exponentially, then polls the status endpoint', async () => {
    const fetchMock = vi.fn(async () =>
      new Response(JSON.stringify(envelope('enrichment.completed', '9-0', 10).state), { status: 200, headers: { 'Last-Event-ID': '9-0' } }),
    );
    const s = stream({ maxFailedAttempts: 3, fetch: fetchMock as unknown as typeof fetch, pollIntervalMs: 500 });
    s.connect();
    await settle();
    FakeEventSource.last.open();
    FakeEventSource.last.fail(); // transient: the native retry is left to EventSource
    expect(FakeEventSource.last.closed).toBe(false);
    expect(s.tracker.current.connectionStatus).toBe('reconnecting');
    FakeEventSource.last.fail(); // second in a row: our backoff takes over
    expect(FakeEventSource.instances[0]!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(199);
    expect(FakeEventSource.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // 2nd failure: 100 * 2^1 ms
    expect(FakeEventSource.instances).toHaveLength(2);
    FakeEventSource.last.fail(true); // HTTP error: EventSource gives up, failure 3 = max
    await settle();
    expect(s.tracker.current.connectionStatus).toBe('closed'); // polled to the end at once
    expect(fetchMock).toHaveBeenCalledWith('http://hub/api/enrichment/status/bom-1', expect.objectContaining({ headers: { Authorization: 'Bearer tok-1' } }));
    expect(s.tracker.current).toMatchObject({ isComplete: true, lastEventId: '9-0' });
    expect(s.quality.snapshot().pollingFallback).toBe(true);
  });

  it('stops everything on disconnect and logs [SSE] lines only when debug is on', async () => {
    const debugSink = { debug: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const s = stream({ logSink: debugSink, debug: true });
    s.connect();
    await settle();
    s.disconnect();
    expect(FakeEventSource.last.closed).toBe(true);
    expect(s.tracker.current.connectionStatus).toBe('disconnected');
    expect(debugSink.debug.mock.calls.every(([line]) => String(line).startsWith('[SSE] '))).toBe(true);
    expect(debugSink.debug.mock.calls.some(([line]) => String(line).includes('Connecting to enrichment stream'))).toBe(true);

    const silentSink = { debug: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const quiet = stream({ logSink: silentSink, debug: false });
    quiet.connect();
    await settle();
    quiet.disconnect();
    expect(silentSink.debug).not.toHaveBeenCalled();
  });
});
