import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { notifyIfHidden } from '../notifications.js';
import { EnrichmentProgressTracker, initialSnapshot, type EnrichmentCallbacks, type EnrichmentSnapshot } from '../state.js';
import type { EnrichmentHookOptions, EnrichmentHookResult } from './types.js';

/** The latest options, readable from long-lived callbacks without reconnecting when they change. */
export function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useEffect(() => {
    ref.current = value;
  });
  return ref;
}

/** Callbacks that always call the latest options' ones (and show the hidden-tab notification). */
export function latestCallbacks(options: { readonly current: EnrichmentHookOptions }, bomId: string): EnrichmentCallbacks {
  return {
    onProgress: (state) => options.current.onProgress?.(state),
    onComplete: (event) => {
      if (options.current.notifyWhenHidden) {
        const state = event.state;
        notifyIfHidden('Enrichment completed', state ? `${bomId}: ${state.enriched_items} / ${state.total_items} enriched` : bomId);
      }
      options.current.onComplete?.(event);
    },
    onError: (error) => options.current.onError?.(error),
    onEvent: (event) => options.current.onEvent?.(event),
  };
}

/** A tracker for `bomId` (null without one) with the latest callbacks. */
export function useProgressTracker(bomId: string | null | undefined, options: { readonly current: EnrichmentHookOptions }): EnrichmentProgressTracker | null {
  return useMemo(() => (bomId ? new EnrichmentProgressTracker(bomId, latestCallbacks(options, bomId)) : null), [bomId, options]);
}

const noSubscription = () => () => {};
const initial = () => initialSnapshot;

/** The tracker's snapshot, re-rendering on change. */
export function useSnapshot(tracker: EnrichmentProgressTracker | null): EnrichmentSnapshot {
  return useSyncExternalStore(
    tracker ? (listener) => tracker.subscribe(listener) : noSubscription,
    tracker ? () => tracker.current : initial,
    tracker ? () => tracker.current : initial,
  );
}

/** The guide's return shape, the same for every transport: the snapshot's fields and the three controls. */
export function hookResult(
  snapshot: EnrichmentSnapshot,
  controls: Pick<EnrichmentHookResult, 'connect' | 'disconnect' | 'retry'>,
): EnrichmentHookResult {
  return {
    progress: snapshot.progress,
    progressPercent: snapshot.progressPercent,
    isComplete: snapshot.isComplete,
    isFailed: snapshot.isFailed,
    error: snapshot.error,
    isProcessing: snapshot.isProcessing,
    connectionStatus: snapshot.connectionStatus,
    connect: controls.connect,
    disconnect: controls.disconnect,
    retry: controls.retry,
  };
}
