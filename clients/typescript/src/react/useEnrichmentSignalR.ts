import { useCallback, useEffect, useMemo } from 'react';
import { EnrichmentHubClient, type HubProtocolName } from '../signalr.js';
import type { EnrichmentHookOptions, EnrichmentHookResult } from './types.js';
import { hookResult, useLatest, useProgressTracker, useSnapshot } from './useTracker.js';

/** Options of {@link useEnrichmentSignalR}. */
export interface EnrichmentSignalROptions extends EnrichmentHookOptions {
  /** Hub protocol: `json` (default) or `messagepack`. */
  protocol?: HubProtocolName;
}

/** Builds a hub client from hook options; getToken always calls the latest one. */
export function useHubClient(options: EnrichmentSignalROptions, latest: { readonly current: EnrichmentSignalROptions }): EnrichmentHubClient {
  const { baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, protocol, logSink, fetch: fetchImpl } = options;
  return useMemo(
    () =>
      new EnrichmentHubClient({
        getToken: () => latest.current.getToken(),
        ...(baseUrl !== undefined ? { baseUrl } : {}),
        ...(debug !== undefined ? { debug } : {}),
        ...(backoff !== undefined ? { backoff } : {}),
        ...(maxFailedAttempts !== undefined ? { maxFailedAttempts } : {}),
        ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
        ...(protocol !== undefined ? { protocol } : {}),
        ...(logSink !== undefined ? { logSink } : {}),
        ...(fetchImpl !== undefined ? { fetch: fetchImpl } : {}),
      }),
    [latest, baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, protocol, logSink, fetchImpl],
  );
}

/**
 * {@link useEnrichmentSSE}'s twin over the SignalR hub: the identical return shape. Reconnects resubscribe from the
 * last event id; see {@link EnrichmentHubClient}.
 */
export function useEnrichmentSignalR(bomId: string | null | undefined, options: EnrichmentSignalROptions): EnrichmentHookResult {
  const latest = useLatest(options);
  const tracker = useProgressTracker(bomId, latest);
  const client = useHubClient(options, latest);
  const autoConnect = options.autoConnect ?? true;

  const connect = useCallback(() => {
    if (!tracker) return;
    client.watch(tracker.bomId, undefined, tracker);
    void client.start();
  }, [client, tracker]);
  const disconnect = useCallback(() => {
    void client.stop();
  }, [client]);
  const retry = useCallback(() => {
    if (tracker) client.watch(tracker.bomId, undefined, tracker);
    void client.retry();
  }, [client, tracker]);

  useEffect(() => {
    const unsubscribe = client.quality.subscribe((quality) => latest.current.onQuality?.(quality));
    if (autoConnect) connect();
    return () => {
      unsubscribe();
      if (tracker) void client.unwatch(tracker.bomId);
      void client.stop();
    };
  }, [client, tracker, autoConnect, connect, latest]);

  const snapshot = useSnapshot(tracker);
  return hookResult(snapshot, { connect, disconnect, retry });
}
