// @vitest-environment jsdom
import { renderHook, waitFor as waitForHook } from '@testing-library/react';
import { describe, expect, inject, it } from 'vitest';
import { createEnrichmentApi } from '../../src/api.js';
import { EventSource } from 'eventsource';
import { useEnrichmentSSE } from '../../src/react/useEnrichmentSSE.js';
import { useEnrichmentSignalR } from '../../src/react/useEnrichmentSignalR.js';
import { useEnrichmentWatch } from '../../src/react/useEnrichmentWatch.js';
import type { EventSourceConstructor } from '../../src/sse.js';
import { mintToken } from '../support/tokens.js';
import { lineItems, uniqueBomId } from '../support/wait.js';

const baseUrl = inject('baseUrl');

describe('useEnrichmentWatch against the real hub', () => {
  it('follows several BOMs over one SignalR connection', async () => {
    const tenant = uniqueBomId('t');
    const token = mintToken(tenant);
    const api = createEnrichmentApi(baseUrl, () => token);
    const boms = [uniqueBomId('watch-a'), uniqueBomId('watch-b'), uniqueBomId('watch-c')];
    for (const [index, bomId] of boms.entries()) await api.start(bomId, lineItems(10 + index));
    const completed: string[] = [];
    const { result, unmount } = renderHook(() =>
      useEnrichmentWatch(boms, { baseUrl, getToken: () => token, debug: false, onComplete: (_event, bomId) => completed.push(bomId) }),
    );
    try {
      await waitForHook(() => expect(boms.every((b) => result.current.boms[b]?.isComplete)).toBe(true), { timeout: 15_000, interval: 20 });
      boms.forEach((bomId, index) => {
        expect(result.current.boms[bomId]).toMatchObject({ progressPercent: 100, connectionStatus: 'closed' });
        expect(result.current.boms[bomId]?.progress?.total_items).toBe(10 + index);
      });
      expect(result.current.connectionStatus).toBe('connected');
      expect(completed.sort()).toEqual([...boms].sort());
    } finally {
      unmount();
    }
  });
});

describe('the single-BOM hooks against the real server, in StrictMode (effects run twice)', () => {
  it.each(['sse', 'signalr'] as const)('%s: auto-connects, follows the run, ends closed', async (transport) => {
    const tenant = uniqueBomId('t');
    const token = mintToken(tenant);
    const bomId = uniqueBomId(`hook-${transport}`);
    await createEnrichmentApi(baseUrl, () => token).start(bomId, lineItems(25));
    const warnings: string[] = [];
    const options = {
      baseUrl,
      getToken: () => token,
      debug: false,
      logSink: { debug: () => {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) },
      eventSource: EventSource as unknown as EventSourceConstructor,
    };
    const { result, unmount } = renderHook(
      () => (transport === 'sse' ? useEnrichmentSSE(bomId, options) : useEnrichmentSignalR(bomId, options)),
      { reactStrictMode: true },
    );
    try {
      await waitForHook(() => expect(result.current.connectionStatus).toBe('closed'), { timeout: 15_000, interval: 20 });
      expect(result.current).toMatchObject({ isComplete: true, isProcessing: false, progressPercent: 100, error: null });
      expect(result.current.progress).toMatchObject({ total_items: 25, processed_items: 25 });
      // The double mount neither fails a connection attempt nor leaves a retry behind.
      expect(warnings).toEqual([]);
    } finally {
      unmount();
    }
  });
});
