import { useCallback, useEffect, useMemo } from 'react';
import { SharedBomStream, tabSharingAvailable } from '../sharing/sharedStream.js';
import { EnrichmentHubClient, type HubClientOptions, type HubProtocolName } from '../signalr.js';
import { resolveBaseUrl } from '../url.js';
import { defined } from './defined.js';
import type { EnrichmentHookOptions, EnrichmentHookResult } from './types.js';
import { hookResult, useLatest, useProgressTracker, useSnapshot } from './useTracker.js';

/** Options of {@link useEnrichmentSignalR}. */
export interface EnrichmentSignalROptions extends EnrichmentHookOptions {
  /** Hub protocol: `json` (default) or `messagepack`. */
  protocol?: HubProtocolName;
}

/** Hub client options from hook options; getToken always calls the latest one (also used by useEnrichmentWatch). */
export function hubOptions(
  options: Pick<EnrichmentSignalROptions, 'baseUrl' | 'debug' | 'backoff' | 'maxFailedAttempts' | 'pollIntervalMs' | 'protocol' | 'logSink' | 'fetch'>,
  latest: { readonly current: Pick<EnrichmentSignalROptions, 'getToken'> },
): HubClientOptions {
  const { baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, protocol, logSink, fetch: fetchImpl } = options;
  return {
    getToken: () => latest.current.getToken(),
    ...defined({ baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, protocol, logSink, fetch: fetchImpl }),
  };
}

/** Builds a hub client from hook options; getToken always calls the latest one. */
export function useHubClient(options: EnrichmentSignalROptions, latest: { readonly current: EnrichmentSignalROptions }): EnrichmentHubClient {
  const { baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, protocol, logSink, fetch: fetchImpl } = options;
  return useMemo(
    () =>
      new EnrichmentHubClient(
        hubOptions({ baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, protocol, logSink, fetch: fetchImpl }, latest),
      ),
    [latest, baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, protocol, logSink, fetchImpl], // getToken: read through `latest`
  );
}

/**
 * {@link useEnrichmentSSE}'s twin over the SignalR hub: the identical return shape. Reconnects resubscribe from the
 * last event id; see {@link EnrichmentHubClient}. With `shareConnection` (the default) one tab holds the hub
 * connection for every tab of the user and relays the events.
 */
export function useEnrichmentSignalR(bomId: string | null | undefined, options: EnrichmentSignalROptions): EnrichmentHookResult {
  const latest = useLatest(options);
  const tracker = useProgressTracker(bomId, latest);
  const client = useHubClient(options, latest);
  const autoConnect = options.autoConnect ?? true;
  const share = (options.shareConnection ?? true) && tabSharingAvailable();
  const { baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, protocol, logSink, fetch: fetchImpl } = options;
  const shared = useMemo(
    () =>
      share && tracker
        ? new SharedBomStream(tracker.bomId, tracker, {
            kind: `signalr-${protocol ?? 'json'}`,
            baseUrl: resolveBaseUrl(baseUrl),
            getToken: () => latest.current.getToken(),
            createCore: () => new EnrichmentHubClient(hubOptions(latest.current, latest)),
            ...defined({ debug, logSink }),
          })
        : null,
    // The core reads the latest options when this tab takes over.
    [share, tracker, latest, baseUrl, protocol, debug, logSink, backoff, maxFailedAttempts, pollIntervalMs, fetchImpl],
  );

  const connect = useCallback(() => {
    if (!tracker) return;
    if (shared) {
      shared.connect();
      return;
    }
    client.watch(tracker.bomId, undefined, tracker);
    void client.start();
  }, [client, shared, tracker]);
  const disconnect = useCallback(() => {
    if (shared) shared.disconnect();
    else void client.stop();
  }, [client, shared]);
  const retry = useCallback(() => {
    if (shared) {
      shared.retry();
      return;
    }
    if (tracker) client.watch(tracker.bomId, undefined, tracker);
    void client.retry();
  }, [client, shared, tracker]);

  useEffect(() => {
    const unsubscribe = (shared ?? client).quality.subscribe((quality) => latest.current.onQuality?.(quality));
    if (autoConnect) connect();
    return () => {
      unsubscribe();
      if (shared) {
        shared.disconnect();
        return;
      }
      if (tracker) void client.unwatch(tracker.bomId);
      void client.stop();
    };
  }, [client, shared, tracker, autoConnect, connect, latest]);

  const snapshot = useSnapshot(tracker);
  return hookResult(snapshot, { connect, disconnect, retry });
}
