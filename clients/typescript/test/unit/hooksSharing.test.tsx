import { act, renderHook, waitFor as waitForHook } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEnrichmentSSE } from '../../src/react/useEnrichmentSSE.js';
import type { EventSourceConstructor } from '../../src/sse.js';
import { envelope, FakeEventSource } from '../support/fakeEventSource.js';
import { mintToken } from '../support/tokens.js';
import { uniqueBomId } from '../support/wait.js';

// jsdom has no Web Locks: the hooks elect over BroadcastChannel (the fallback), here within one tab.
describe('useEnrichmentSSE with sharing on (the default)', () => {
  beforeEach(() => FakeEventSource.reset());

  it('two hooks of one tab share one multi-BOM EventSource, and unmounting one reopens it without that BOM', async () => {
    const base = {
      baseUrl: `http://hub-${uniqueBomId('h')}`, // a connection of its own, whatever other tests left
      getToken: async () => mintToken('acme', { sub: 'hooks-sharing' }),
      debug: false,
      eventSource: FakeEventSource as unknown as EventSourceConstructor,
    };
    const one = renderHook(() => useEnrichmentSSE('bom-1', base));
    const two = renderHook(() => useEnrichmentSSE('bom-2', base));
    await waitForHook(() => expect(FakeEventSource.instances.length).toBeGreaterThan(0), { timeout: 5000 });
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 150)); // a batch of watches costs one request
    });
    expect(FakeEventSource.instances).toHaveLength(1);
    const source = FakeEventSource.last;
    expect(new URL(source.url).searchParams.getAll('bom_id')).toEqual(['bom-1', 'bom-2']);
    act(() => {
      source.open();
      source.emit('progress', { ...envelope('progress', '5-0', 3), bom_id: 'bom-1' });
      source.emit('progress', { ...envelope('progress', '6-0', 7), bom_id: 'bom-2' });
    });
    expect(one.result.current).toMatchObject({ connectionStatus: 'connected', progressPercent: 30 });
    expect(two.result.current).toMatchObject({ connectionStatus: 'connected', progressPercent: 70 });
    one.unmount();
    await waitForHook(() => expect(FakeEventSource.instances).toHaveLength(2), { timeout: 5000 });
    expect(source.closed).toBe(true);
    const reopened = new URL(FakeEventSource.last.url).searchParams;
    expect(reopened.getAll('bom_id')).toEqual(['bom-2']);
    expect(reopened.get('last_event_id')).toBe('m1,bom-2=6-0');
    two.unmount();
    await waitForHook(() => expect(FakeEventSource.last.closed).toBe(true), { timeout: 5000 });
  });

  it('tries again when the token cannot be had, then shares the stream', async () => {
    let calls = 0;
    const base = {
      baseUrl: `http://hub-${uniqueBomId('h')}`,
      getToken: async () => {
        if (calls++ === 0) throw new Error('auth server down');
        return mintToken('acme', { sub: 'hooks-sharing-retry' });
      },
      debug: false,
      logSink: { debug: () => {}, warn: () => {}, error: () => {} },
      eventSource: FakeEventSource as unknown as EventSourceConstructor,
    };
    const hook = renderHook(() => useEnrichmentSSE('bom-t', base));
    await waitForHook(() => expect(hook.result.current.error).toBe('Could not get a token'), { timeout: 5000 });
    await waitForHook(() => expect(FakeEventSource.instances).toHaveLength(1), { timeout: 5000 });
    expect(new URL(FakeEventSource.last.url).searchParams.getAll('bom_id')).toEqual(['bom-t']);
    hook.unmount();
  });
});
