import { useCallback, useEffect, useMemo } from 'react';
import { EnrichmentSseStream, type EventSourceConstructor } from '../sse.js';
import type { EnrichmentHookOptions, EnrichmentHookResult } from './types.js';
import { hookResult, useLatest, useProgressTracker, useSnapshot } from './useTracker.js';

/** Options of {@link useEnrichmentSSE}. */
export interface EnrichmentSSEOptions extends EnrichmentHookOptions {
  /** The EventSource implementation (default: the browser's). */
  eventSource?: EventSourceConstructor;
}

/**
 * The guide's hook: one BOM's enrichment progress over Server-Sent Events. The stream is closed on unmount, on
 * `stream_end`, and by `disconnect()`; see {@link EnrichmentSseStream} for reconnection, token refresh and polling.
 */
export function useEnrichmentSSE(bomId: string | null | undefined, options: EnrichmentSSEOptions): EnrichmentHookResult {
  const latest = useLatest(options);
  const tracker = useProgressTracker(bomId, latest);
  const { baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, eventSource, logSink, fetch: fetchImpl } = options;
  const stream = useMemo(
    () =>
      tracker
        ? new EnrichmentSseStream(tracker.bomId, {
            tracker,
            getToken: () => latest.current.getToken(),
            ...(baseUrl !== undefined ? { baseUrl } : {}),
            ...(debug !== undefined ? { debug } : {}),
            ...(backoff !== undefined ? { backoff } : {}),
            ...(maxFailedAttempts !== undefined ? { maxFailedAttempts } : {}),
            ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
            ...(eventSource !== undefined ? { eventSource } : {}),
            ...(logSink !== undefined ? { logSink } : {}),
            ...(fetchImpl !== undefined ? { fetch: fetchImpl } : {}),
          })
        : null,
    [tracker, latest, baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, eventSource, logSink, fetchImpl],
  );
  const autoConnect = options.autoConnect ?? true;

  useEffect(() => {
    if (!stream) return undefined;
    const unsubscribe = stream.quality.subscribe((quality) => latest.current.onQuality?.(quality));
    if (autoConnect) stream.connect();
    return () => {
      unsubscribe();
      stream.disconnect();
    };
  }, [stream, autoConnect, latest]);

  const snapshot = useSnapshot(tracker);
  const connect = useCallback(() => stream?.connect(), [stream]);
  const disconnect = useCallback(() => stream?.disconnect(), [stream]);
  const retry = useCallback(() => stream?.retry(), [stream]);
  return hookResult(snapshot, { connect, disconnect, retry });
}
