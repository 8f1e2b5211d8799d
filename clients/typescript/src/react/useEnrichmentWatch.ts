import { useCallback, useEffect, useMemo, useReducer } from 'react';
import type { EnrichmentEnvelope, EnrichmentProgressState } from '../contracts.js';
import { EnrichmentProgressTracker, type ConnectionStatus, type EnrichmentSnapshot } from '../state.js';
import type { EnrichmentSignalROptions } from './useEnrichmentSignalR.js';
import { useHubClient } from './useEnrichmentSignalR.js';
import { useLatest } from './useTracker.js';

/** Options of {@link useEnrichmentWatch}: callbacks also receive the BOM id. */
export interface EnrichmentWatchOptions extends Omit<EnrichmentSignalROptions, 'onProgress' | 'onComplete' | 'onError'> {
  onProgress?: (state: EnrichmentProgressState, bomId: string) => void;
  onComplete?: (event: EnrichmentEnvelope, bomId: string) => void;
  onError?: (error: string, bomId: string) => void;
}

/** One watched BOM's fields (the guide's, without the connection functions). */
export type BomProgress = Omit<EnrichmentSnapshot, 'lastEventId'>;

/** What {@link useEnrichmentWatch} returns. */
export interface EnrichmentWatchResult {
  /** Per BOM id. */
  boms: Record<string, BomProgress>;
  /** The shared connection's status. */
  connectionStatus: ConnectionStatus;
  connect: () => void;
  disconnect: () => void;
  retry: () => void;
}

/**
 * Watches many BOMs over one SignalR connection (the hub's BOM-scoped groups): BOMs added to `bomIds` are subscribed,
 * removed ones unsubscribed, all resumed from their last event ids after a reconnect.
 */
export function useEnrichmentWatch(bomIds: readonly string[], options: EnrichmentWatchOptions): EnrichmentWatchResult {
  const latest = useLatest(options);
  const client = useHubClient(options as EnrichmentSignalROptions, latest as { readonly current: EnrichmentSignalROptions });
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const key = [...new Set(bomIds)].sort().join('\n');
  const ids = useMemo(() => (key === '' ? [] : key.split('\n')), [key]);
  const autoConnect = options.autoConnect ?? true;

  useEffect(() => client.onStatus(() => rerender()), [client]);

  useEffect(() => {
    const unsubscribes: Array<() => void> = [];
    for (const bomId of ids) {
      const tracker =
        client.tracker(bomId) ??
        new EnrichmentProgressTracker(bomId, {
          onProgress: (state) => latest.current.onProgress?.(state, bomId),
          onComplete: (event) => latest.current.onComplete?.(event, bomId),
          onError: (error) => latest.current.onError?.(error, bomId),
          onEvent: (event) => latest.current.onEvent?.(event),
        });
      client.watch(bomId, undefined, tracker);
      unsubscribes.push(tracker.subscribe(() => rerender()));
    }
    rerender();
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
      for (const bomId of ids) void client.unwatch(bomId);
    };
  }, [client, ids, latest]);

  useEffect(() => {
    const unsubscribe = client.quality.subscribe((quality) => latest.current.onQuality?.(quality));
    if (autoConnect) void client.start();
    return () => {
      unsubscribe();
      void client.stop();
    };
  }, [client, autoConnect, latest]);

  const boms: Record<string, BomProgress> = {};
  for (const bomId of ids) {
    const snapshot = client.tracker(bomId)?.current;
    if (snapshot) {
      const { lastEventId: _ignored, ...fields } = snapshot;
      boms[bomId] = fields;
    }
  }
  const connect = useCallback(() => {
    for (const bomId of ids) {
      const tracker = client.tracker(bomId);
      if (tracker) client.watch(bomId, undefined, tracker);
    }
    void client.start();
  }, [client, ids]);
  const disconnect = useCallback(() => void client.stop(), [client]);
  const retry = useCallback(() => void client.retry(), [client]);
  return { boms, connectionStatus: client.connectionStatus, connect, disconnect, retry };
}
