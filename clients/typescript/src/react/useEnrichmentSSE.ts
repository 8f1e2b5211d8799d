import { useCallback, useEffect, useMemo } from 'react';
import { MultiBomSseStream } from '../multiSse.js';
import { SharedBomStream, tabSharingAvailable } from '../sharing/sharedStream.js';
import { EnrichmentSseStream, type EventSourceConstructor } from '../sse.js';
import { resolveBaseUrl } from '../url.js';
import { defined } from './defined.js';
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
 * With `shareConnection` (the default, where BroadcastChannel exists) the BOM is watched over the one multi-BOM stream
 * ({@link MultiBomSseStream}) that one tab holds for all tabs of the user ({@link SharedBomStream}).
 */
export function useEnrichmentSSE(bomId: string | null | undefined, options: EnrichmentSSEOptions): EnrichmentHookResult {
  const latest = useLatest(options);
  const tracker = useProgressTracker(bomId, latest);
  const { baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, eventSource, logSink, fetch: fetchImpl } = options;
  const share = (options.shareConnection ?? true) && tabSharingAvailable();
  const stream = useMemo(() => {
    if (!tracker) return null;
    const common = {
      getToken: () => latest.current.getToken(),
      ...defined({ baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, eventSource, logSink, fetch: fetchImpl }),
    };
    if (!share) return new EnrichmentSseStream(tracker.bomId, { ...common, tracker });
    // One multi-BOM stream per browser: the leading tab's, for every tab's BOMs.
    return new SharedBomStream(tracker.bomId, tracker, {
      kind: 'sse',
      baseUrl: resolveBaseUrl(baseUrl),
      getToken: common.getToken,
      createCore: () => new MultiBomSseStream(common),
      ...defined({ debug, logSink }),
    });
  }, [tracker, latest, share, baseUrl, debug, backoff, maxFailedAttempts, pollIntervalMs, eventSource, logSink, fetchImpl]);
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
