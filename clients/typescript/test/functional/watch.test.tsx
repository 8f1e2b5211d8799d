// @vitest-environment jsdom
import { renderHook, waitFor as waitForHook } from '@testing-library/react';
import { describe, expect, inject, it } from 'vitest';
import { createEnrichmentApi } from '../../src/api.js';
import { useEnrichmentWatch } from '../../src/react/useEnrichmentWatch.js';
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
