import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useEnrichmentSSE } from '../../src/react/useEnrichmentSSE.js';
import { useEnrichmentSignalR } from '../../src/react/useEnrichmentSignalR.js';
import type { EventSourceConstructor } from '../../src/sse.js';
import { envelope, FakeEventSource } from '../support/fakeEventSource.js';

const guideFields = ['progress', 'progressPercent', 'isComplete', 'isFailed', 'error', 'isProcessing', 'connectionStatus', 'connect', 'disconnect', 'retry'];
const flush = () => act(async () => {
  await new Promise((resolve) => setTimeout(resolve, 0));
});
const base = {
  baseUrl: 'http://hub',
  getToken: async () => 'tok',
  debug: false,
  eventSource: FakeEventSource as unknown as EventSourceConstructor,
  shareConnection: false, // these test the hooks over their own stream; test/unit/sharing*.test.ts the shared one
};

describe('useEnrichmentSSE', () => {
  beforeEach(() => FakeEventSource.reset());
  afterEach(() => vi.restoreAllMocks());

  it('returns exactly the guide fields, and the SignalR hook the identical shape', () => {
    const sse = renderHook(() => useEnrichmentSSE('bom-1', { ...base, autoConnect: false }));
    expect(Object.keys(sse.result.current).sort()).toEqual([...guideFields].sort());
    const hub = renderHook(() => useEnrichmentSignalR('bom-1', { ...base, autoConnect: false }));
    expect(Object.keys(hub.result.current).sort()).toEqual([...guideFields].sort());
    expect(hub.result.current.connectionStatus).toBe('idle');
    sse.unmount();
    hub.unmount();
  });

  it('connects only when asked with autoConnect false, maps events to state, calls the guide callbacks', async () => {
    const onProgress = vi.fn();
    const onComplete = vi.fn();
    const { result, unmount } = renderHook(() => useEnrichmentSSE('bom-1', { ...base, autoConnect: false, onProgress, onComplete }));
    await flush();
    expect(FakeEventSource.instances).toHaveLength(0);
    act(() => result.current.connect());
    await flush();
    const source = FakeEventSource.last;
    act(() => {
      source.open();
      source.emit('enrichment.started', envelope('enrichment.started', '1-0', 0), '1-0');
      source.emit('progress', envelope('progress', '1-1', 4), '1-1');
    });
    expect(result.current).toMatchObject({ connectionStatus: 'connected', isProcessing: true, progressPercent: 40 });
    expect(result.current.progress?.enriched_items).toBe(4);
    act(() => {
      source.emit('enrichment.completed', envelope('enrichment.completed', '2-0', 10), '2-0');
      source.emit('stream_end', { type: 'stream_end', bom_id: 'bom-1', reason: 'completed' });
    });
    expect(result.current).toMatchObject({ isComplete: true, isProcessing: false, progressPercent: 100, connectionStatus: 'closed' });
    expect(onProgress).toHaveBeenCalledTimes(3);
    expect(onComplete).toHaveBeenCalledWith(expect.objectContaining({ event_type: 'enrichment.completed' }));
    unmount();
  });

  it('auto-connects on mount and closes the stream on unmount', async () => {
    const { unmount } = renderHook(() => useEnrichmentSSE('bom-1', base));
    await flush();
    const source = FakeEventSource.last;
    expect(source.closed).toBe(false);
    unmount();
    expect(source.closed).toBe(true);
  });

  it('reports a failed run through error and onError', async () => {
    const onError = vi.fn();
    const { result, unmount } = renderHook(() => useEnrichmentSSE('bom-1', { ...base, onError }));
    await flush();
    act(() => FakeEventSource.last.emit('enrichment.failed', envelope('enrichment.failed', '3-0', 2, 10, { error: 'cancelled' }), '3-0'));
    expect(result.current).toMatchObject({ isFailed: true, error: 'cancelled' });
    expect(onError).toHaveBeenCalledWith('cancelled');
    unmount();
  });
});
