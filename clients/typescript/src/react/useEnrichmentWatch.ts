import { useCallback, useEffect, useMemo, useReducer, useRef } from 'react';
import type { EnrichmentEnvelope, EnrichmentProgressState } from '../contracts.js';
import { SharedBomStream, tabSharingAvailable } from '../sharing/sharedStream.js';
import { EnrichmentHubClient } from '../signalr.js';
import { EnrichmentProgressTracker, type ConnectionStatus, type EnrichmentSnapshot } from '../state.js';
import { resolveBaseUrl } from '../url.js';
import { defined } from './defined.js';
import type { EnrichmentSignalROptions } from './useEnrichmentSignalR.js';
import { hubOptions, useHubClient } from './useEnrichmentSignalR.js';
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
 * removed ones unsubscribed, all resumed from their last event ids after a reconnect. With `shareConnection` (the
 * default) the connection is the one this tab shares with the user's other tabs.
 */
export function useEnrichmentWatch(bomIds: readonly string[], options: EnrichmentWatchOptions): EnrichmentWatchResult {
  const latest = useLatest(options);
  const client = useHubClient(options as EnrichmentSignalROptions, latest as { readonly current: EnrichmentSignalROptions });
  const share = (options.shareConnection ?? true) && tabSharingAvailable();
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const key = [...new Set(bomIds)].sort().join('\n');
  const ids = useMemo(() => (key === '' ? [] : key.split('\n')), [key]);
  const autoConnect = options.autoConnect ?? true;
  const { baseUrl, protocol, debug, logSink } = options;
  /** Shared mode: the trackers (kept across changes of `bomIds`) and the streams of the BOMs watched now. */
  const trackers = useRef(new Map<string, EnrichmentProgressTracker>()).current;
  const streams = useRef(new Map<string, SharedBomStream>()).current;

  const trackerOf = useCallback(
    (bomId: string) => {
      const existing = share ? trackers.get(bomId) : client.tracker(bomId);
      if (existing) return existing;
      const tracker = new EnrichmentProgressTracker(bomId, {
        onProgress: (state) => latest.current.onProgress?.(state, bomId),
        onComplete: (event) => latest.current.onComplete?.(event, bomId),
        onError: (error) => latest.current.onError?.(error, bomId),
        onEvent: (event) => latest.current.onEvent?.(event),
      });
      if (share) trackers.set(bomId, tracker);
      return tracker;
    },
    [client, share, trackers, latest],
  );

  useEffect(() => client.onStatus(() => rerender()), [client]);

  useEffect(() => {
    const unsubscribes: Array<() => void> = [];
    for (const bomId of ids) {
      const tracker = trackerOf(bomId);
      unsubscribes.push(tracker.subscribe(() => rerender()));
      if (!share) {
        client.watch(bomId, undefined, tracker);
        continue;
      }
      const stream = new SharedBomStream(bomId, tracker, {
        kind: `signalr-${protocol ?? 'json'}`,
        baseUrl: resolveBaseUrl(baseUrl),
        getToken: () => latest.current.getToken(),
        createCore: () => new EnrichmentHubClient(hubOptions(latest.current, latest)),
        ...defined({ debug, logSink }),
      });
      streams.set(bomId, stream);
      unsubscribes.push(stream.onConnectionStatus(() => rerender()));
      if (streams.size === 1) unsubscribes.push(stream.quality.subscribe((quality) => latest.current.onQuality?.(quality)));
      if (autoConnect) stream.connect();
    }
    rerender();
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
      for (const bomId of ids) {
        if (share) {
          streams.get(bomId)?.disconnect();
          streams.delete(bomId);
        } else {
          void client.unwatch(bomId);
        }
      }
    };
  }, [client, share, ids, trackerOf, streams, autoConnect, latest, baseUrl, protocol, debug, logSink]);

  useEffect(() => {
    if (share) return undefined;
    const unsubscribe = client.quality.subscribe((quality) => latest.current.onQuality?.(quality));
    if (autoConnect) void client.start();
    return () => {
      unsubscribe();
      void client.stop();
    };
  }, [client, share, autoConnect, latest]);

  const boms: Record<string, BomProgress> = {};
  for (const bomId of ids) {
    const snapshot = (share ? trackers.get(bomId) : client.tracker(bomId))?.current;
    if (snapshot) {
      const { lastEventId: _ignored, ...fields } = snapshot;
      boms[bomId] = fields;
    }
  }
  const connect = useCallback(() => {
    if (share) {
      for (const stream of streams.values()) stream.connect();
      return;
    }
    for (const bomId of ids) {
      const tracker = client.tracker(bomId);
      if (tracker) client.watch(bomId, undefined, tracker);
    }
    void client.start();
  }, [client, share, streams, ids]);
  const disconnect = useCallback(() => {
    if (share) for (const stream of streams.values()) stream.disconnect();
    else void client.stop();
  }, [client, share, streams]);
  const retry = useCallback(() => {
    if (share) streams.values().next().value?.retry();
    else void client.retry();
  }, [client, share, streams]);
  const connectionStatus = share ? ([...streams.values()].find((s) => s.shared)?.connectionStatus ?? 'idle') : client.connectionStatus;
  return { boms, connectionStatus, connect, disconnect, retry };
}
