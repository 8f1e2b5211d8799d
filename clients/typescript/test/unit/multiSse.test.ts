import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCursor, MultiBomSseStream } from '../../src/multiSse.js';
import type { EventSourceConstructor } from '../../src/sse.js';
import { envelope, FakeEventSource } from '../support/fakeEventSource.js';
import { waitFor } from '../support/wait.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
let tokens = 0;
const options = {
  baseUrl: 'http://hub',
  getToken: async () => `tok-${++tokens}`,
  debug: false,
  changeDelayMs: 0,
  eventSource: FakeEventSource as unknown as EventSourceConstructor,
  backoff: { initialDelayMs: 1, maxDelayMs: 1, factor: 1, jitter: 0 },
};
const on = (bomId: string, type: string, id: string, processed: number) => ({ ...envelope(type, id, processed), bom_id: bomId });
const query = (source: FakeEventSource) => new URL(source.url).searchParams;

describe('MultiBomSseStream', () => {
  let stream: MultiBomSseStream;
  beforeEach(() => {
    FakeEventSource.reset();
    stream = new MultiBomSseStream(options);
  });
  afterEach(() => stream.stop());

  it('builds the cursor from log ids only, in watch order', () => {
    expect(buildCursor([['a', '1-0'], ['b', null], ['c', 'uuid-legacy'], ['d', '17-3']])).toBe('m1,a=1-0,d=17-3');
    expect(buildCursor([])).toBe('m1');
  });

  it('opens one stream for every watched BOM, without a cursor when nothing was received', async () => {
    stream.watch('a');
    stream.watch('b');
    stream.start();
    await waitFor(() => FakeEventSource.instances.length === 1, 'the stream');
    expect(new URL(FakeEventSource.last.url).pathname).toBe('/api/enrichment/stream');
    expect(query(FakeEventSource.last).getAll('bom_id')).toEqual(['a', 'b']);
    expect(query(FakeEventSource.last).has('last_event_id')).toBe(false);
    await tick();
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('reopens with every BOM\'s last log id as the cursor when a BOM is added, so no BOM loses an event', async () => {
    const a = stream.watch('a');
    const b = stream.watch('b');
    stream.start();
    await waitFor(() => FakeEventSource.instances.length === 1, 'the stream');
    const first = FakeEventSource.last;
    first.open();
    first.emit('connected', { type: 'connected', message: 'Stream connected', boms: [{ bom_id: 'a', recovered: true, ended: false }, { bom_id: 'b', recovered: true, ended: false }] });
    first.emit('enrichment.started', on('a', 'enrichment.started', '10-0', 0), 'm1,a=10-0');
    first.emit('progress', on('b', 'progress', '12-1', 3), 'm1,a=10-0,b=12-1');
    stream.watch('c');
    await waitFor(() => FakeEventSource.instances.length === 2, 'the reopened stream');
    expect(first.closed).toBe(true);
    expect(query(FakeEventSource.last).getAll('bom_id')).toEqual(['a', 'b', 'c']);
    expect(query(FakeEventSource.last).get('last_event_id')).toBe('m1,a=10-0,b=12-1');
    // The overlap a resume may bring is applied once.
    FakeEventSource.last.emit('progress', on('b', 'progress', '12-1', 3));
    FakeEventSource.last.emit('progress', on('b', 'progress', '13-0', 4));
    expect(b.current.lastEventId).toBe('13-0');
    expect(b.current.progress?.processed_items).toBe(4);
    expect(a.current.isProcessing).toBe(true);
  });

  it('ends one BOM on its stream_end, keeps the stream for the others, and closes it after the last one', async () => {
    const a = stream.watch('a');
    const b = stream.watch('b');
    stream.start();
    await waitFor(() => FakeEventSource.instances.length === 1, 'the stream');
    const source = FakeEventSource.last;
    source.open();
    source.emit('enrichment.completed', on('a', 'enrichment.completed', '20-0', 10));
    source.emit('stream_end', { type: 'stream_end', bom_id: 'a', reason: 'completed' });
    expect(a.current.connectionStatus).toBe('closed');
    expect(b.current.connectionStatus).toBe('connected');
    expect(source.closed).toBe(false);
    source.emit('enrichment.failed', { ...on('b', 'enrichment.failed', '21-0', 4), error: 'supplier down' });
    source.emit('stream_end', { type: 'stream_end', bom_id: 'b', reason: 'failed' });
    expect(b.current).toMatchObject({ connectionStatus: 'closed', isFailed: true });
    expect(source.closed).toBe(true);
    await tick();
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('leaves a BOM the server reports ended at connect out of the next request', async () => {
    const a = stream.watch('a');
    stream.watch('b');
    stream.start();
    await waitFor(() => FakeEventSource.instances.length === 1, 'the stream');
    FakeEventSource.last.open();
    FakeEventSource.last.emit('connected', { type: 'connected', message: 'Stream connected', boms: [{ bom_id: 'a', recovered: true, ended: true }, { bom_id: 'b', recovered: false, ended: false }] });
    expect(a.current.connectionStatus).toBe('closed');
    stream.watch('c');
    await waitFor(() => FakeEventSource.instances.length === 2, 'the reopened stream');
    expect(query(FakeEventSource.last).getAll('bom_id')).toEqual(['b', 'c']);
  });

  it('reopens at once with a fresh token after a stream-wide token_expired, resuming every BOM', async () => {
    stream.watch('a');
    stream.watch('b');
    stream.start();
    await waitFor(() => FakeEventSource.instances.length === 1, 'the stream');
    const first = FakeEventSource.last;
    first.open();
    first.emit('progress', on('a', 'progress', '30-0', 1));
    first.emit('progress', on('b', 'progress', '31-0', 2));
    const firstToken = query(first).get('token');
    first.emit('stream_end', { type: 'stream_end', bom_id: 'a', reason: 'token_expired' });
    first.emit('stream_end', { type: 'stream_end', bom_id: 'b', reason: 'token_expired' });
    await waitFor(() => FakeEventSource.instances.length === 2, 'the reopened stream');
    expect(first.closed).toBe(true);
    expect(query(FakeEventSource.last).get('token')).not.toBe(firstToken);
    expect(query(FakeEventSource.last).get('last_event_id')).toBe('m1,a=30-0,b=31-0');
    await tick();
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it('does not reconnect when every BOM was already at its terminal event (204)', async () => {
    const a = stream.watch('a');
    stream.start();
    await waitFor(() => FakeEventSource.instances.length === 1, 'the stream');
    FakeEventSource.last.open();
    FakeEventSource.last.emit('enrichment.completed', on('a', 'enrichment.completed', '40-0', 10));
    FakeEventSource.last.fail(); // the server closed before stream_end reached us; EventSource retries with the cursor
    FakeEventSource.last.fail(true); // ... and gets 204
    expect(a.current.connectionStatus).toBe('closed');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(FakeEventSource.instances).toHaveLength(1);
  });
});
