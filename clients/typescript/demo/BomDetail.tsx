import { useCallback, useEffect, useMemo, useState } from 'react';
import { createEnrichmentApi, EnrichmentApiError, OfflineQueue, type TokenProvider } from '../src/api.js';
import type { EnrichmentProgressState, LineItem } from '../src/contracts.js';
import { requestNotificationPermission } from '../src/notifications.js';
import type { EnrichmentHookOptions, EnrichmentHookResult } from '../src/react/types.js';
import { useEnrichmentSignalR } from '../src/react/useEnrichmentSignalR.js';
import { useEnrichmentSSE } from '../src/react/useEnrichmentSSE.js';
import type { ConnectionQuality, ReceivedEvent } from '../src/state.js';
import type { Transport } from './App.js';
import { BomView, type Notice } from './BomView.js';

declare global {
  interface Window {
    /** What the page received, for the end-to-end tests. */
    __nhDemo?: { events: ReceivedEvent[]; percents: number[]; statuses: string[]; connect?: () => void };
  }
}

interface Props {
  transport: Transport;
  share: boolean;
  bomId: string;
  baseUrl: string;
  getToken: TokenProvider;
  items: LineItem[];
}

function useSse(bomId: string, options: EnrichmentHookOptions) {
  return useEnrichmentSSE(bomId, options);
}

function useSignalR(bomId: string, options: EnrichmentHookOptions) {
  return useEnrichmentSignalR(bomId, options);
}

/** The page's state and actions; the hook is chosen once per mount (the parent keys this component by transport). */
export function BomDetail({ transport, share, bomId, baseUrl, getToken, items }: Props) {
  const api = useMemo(() => createEnrichmentApi(baseUrl, getToken), [baseUrl, getToken]);
  const queue = useMemo(() => new OfflineQueue(), []);
  const [bomStatus, setBomStatus] = useState<EnrichmentProgressState | null>(null);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [quality, setQuality] = useState<ConnectionQuality | null>(null);
  const [itemStatus, setItemStatus] = useState<Record<string, string>>({});
  const [queued, setQueued] = useState(false);

  const notify = useCallback((notice: Omit<Notice, 'id'>) => {
    setNotices((list) => [...list.slice(-3), { ...notice, id: Date.now() + Math.random() }]);
  }, []);

  // "Refetch the BOM": the server owns the enrichment state, the page owns the line items.
  const refetchBom = useCallback(async () => {
    try {
      setBomStatus((await api.status(bomId)).state);
    } catch (error) {
      if (error instanceof EnrichmentApiError && error.code === 'bom_not_found') setBomStatus(null);
      else notify({ kind: 'error', text: `Could not load the BOM's status: ${String(error)}` });
    }
  }, [api, bomId, notify]);

  const options: EnrichmentHookOptions = {
    baseUrl,
    getToken,
    autoConnect: false, // the guide's best practice: connect when enrichment starts
    notifyWhenHidden: true,
    shareConnection: share,
    onProgress: (state) => {
      window.__nhDemo?.percents.push(state.percent_complete);
      const current = state.current_item;
      if (current) setItemStatus((map) => ({ ...map, [current.mpn]: current.status }));
    },
    onComplete: (event) => {
      notify({ kind: 'success', text: `Enrichment completed: ${event.state?.enriched_items ?? '?'} enriched, ${event.state?.error_items ?? 0} with errors.` });
      void refetchBom();
    },
    onError: (error) => {
      notify({ kind: 'error', text: error === 'cancelled' ? 'Enrichment cancelled.' : `Enrichment error: ${error}` });
      void refetchBom();
    },
    onEvent: (event) => window.__nhDemo?.events.push(event),
    onQuality: setQuality,
  };
  const sse = transport === 'sse';
  const enrichment: EnrichmentHookResult = (sse ? useSse : useSignalR)(bomId, options);
  const { connect, connectionStatus } = enrichment;

  useEffect(() => {
    window.__nhDemo ??= { events: [], percents: [], statuses: [] };
    window.__nhDemo.connect = connect; // the tests follow a run started elsewhere
  }, [connect]);
  useEffect(() => {
    window.__nhDemo?.statuses.push(connectionStatus);
  }, [connectionStatus]);

  // A run already going when the page opens (a reload mid-run): follow it.
  useEffect(() => {
    let live = true;
    void api
      .status(bomId)
      .then(({ state }) => {
        if (!live) return;
        setBomStatus(state);
        if (state.status === 'enriching') connect();
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [api, bomId, connect]);

  const startEnrichment = useCallback(async () => {
    void requestNotificationPermission().catch(() => false);
    setItemStatus({});
    if (queue.offline) {
      setQueued(true);
      notify({ kind: 'info', text: 'You are offline: the Re-Enrich is queued and sent when you are back online.' });
    }
    try {
      await queue.run(() => api.start(bomId, items));
      connect();
    } catch (error) {
      if (error instanceof EnrichmentApiError && error.code === 'job_running') {
        connect(); // already running: follow it
      } else {
        notify({ kind: 'error', text: `Could not start enrichment: ${error instanceof Error ? error.message : String(error)}` });
      }
    } finally {
      setQueued(false);
    }
  }, [api, bomId, connect, items, notify, queue]);

  const cancel = useCallback(async () => {
    try {
      await api.cancel(bomId);
    } catch (error) {
      notify({ kind: 'error', text: `Could not cancel: ${error instanceof Error ? error.message : String(error)}` });
    }
  }, [api, bomId, notify]);

  return (
    <BomView
      transport={transport}
      items={items}
      enrichment={enrichment}
      bomStatus={bomStatus}
      quality={quality}
      itemStatus={itemStatus}
      notices={notices}
      queued={queued}
      onDismiss={(id) => setNotices((list) => list.filter((n) => n.id !== id))}
      onStart={startEnrichment}
      onCancel={cancel}
    />
  );
}
