import { useEffect, useState } from 'react';
import type { EnrichmentProgressState, LineItem } from '../src/contracts.js';
import { connectedMsAt } from '../src/quality.js';
import type { EnrichmentHookResult } from '../src/react/types.js';
import type { ConnectionQuality } from '../src/state.js';
import type { Transport } from './App.js';

export interface Notice {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
}

interface Props {
  transport: Transport;
  items: LineItem[];
  enrichment: EnrichmentHookResult;
  bomStatus: EnrichmentProgressState | null;
  quality: ConnectionQuality | null;
  itemStatus: Record<string, string>;
  notices: Notice[];
  queued: boolean;
  onDismiss: (id: number) => void;
  onStart: () => void;
  onCancel: () => void;
}

/** The guide's Sparkles icon, inline (emoji fonts are not everywhere). */
function SparklesIcon() {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill="currentColor">
      <path d="M10 2l1.8 5.2L17 9l-5.2 1.8L10 16l-1.8-5.2L3 9l5.2-1.8L10 2zm8 10l.9 2.1L21 15l-2.1.9L18 18l-.9-2.1L15 15l2.1-.9L18 12zM6 16l.7 1.3L8 18l-1.3.7L6 20l-.7-1.3L4 18l1.3-.7L6 16z" />
    </svg>
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Re-renders every second while mounted (for "time since last event"). */
function useTick(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** The page, modelled on the guide's BomDetail: line items, Re-Enrich with a confirm dialog, progress banner. */
export function BomView(props: Props) {
  const { enrichment, items, bomStatus, quality, itemStatus, notices, transport } = props;
  const { progress, progressPercent, isProcessing, isComplete, isFailed, error, connectionStatus, retry } = enrichment;
  const [confirming, setConfirming] = useState(false);
  const now = useTick();
  const label = transport === 'sse' ? 'SSE' : 'SignalR';

  return (
    <>
      <section className="toolbar">
        <span className={`status status-${connectionStatus}`} data-testid="connection-status">
          {label}: {connectionStatus}
        </span>
        {quality && (
          <span className="quality" data-testid="quality">
            reconnects {quality.reconnects} · connected {seconds(connectedMsAt(quality, connectionStatus === 'connected' ? now : quality.takenAt))}
            {quality.lastEventAt !== null && <> · last event {seconds(Math.max(0, now - quality.lastEventAt))} ago</>}
            {quality.pollingFallback && <> · polling</>}
          </span>
        )}
        {(connectionStatus === 'error' || connectionStatus === 'polling') && (
          <button type="button" onClick={retry}>Retry connection</button>
        )}
        <span className="spacer" />
        {isProcessing ? (
          <button type="button" className="secondary" onClick={props.onCancel}>Cancel enrichment</button>
        ) : (
          <button type="button" className="primary" disabled={props.queued} onClick={() => setConfirming(true)}>
            <SparklesIcon /> Re-Enrich
          </button>
        )}
      </section>

      {props.queued && <div className="card info" data-testid="queued">Offline: Re-Enrich queued until the network is back.</div>}

      {isProcessing && progress && (
        <section className="card banner" data-testid="progress-banner" aria-live="polite">
          <div className="spinner" aria-hidden="true" />
          <div className="banner-body">
            <div className="banner-title">
              Enriching… <strong data-testid="progress-percent">{progressPercent}%</strong>
              {progress.estimated_time_remaining !== undefined && (
                <span className="muted"> · about {Math.ceil(progress.estimated_time_remaining)} s left</span>
              )}
            </div>
            <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={progressPercent}>
              <div className="bar-fill" style={{ width: `${progressPercent}%` }} />
            </div>
            <div data-testid="progress-counts">
              {progress.enriched_items} / {progress.total_items} enriched
              {progress.error_items > 0 && <span className="muted"> · {progress.error_items} errors</span>}
              {progress.current_item && <span className="muted"> · {progress.current_item.mpn}</span>}
            </div>
          </div>
        </section>
      )}

      {isComplete && progress && (
        <section className="card success" data-testid="completed">
          ✓ Enrichment completed: <span data-testid="completed-counts">{progress.enriched_items} / {progress.total_items} enriched</span>
          {progress.error_items > 0 && <>, {progress.error_items} with errors</>} ({progressPercent}%).
        </section>
      )}
      {isFailed && (
        <section className="card error" data-testid="failed">
          Enrichment {error === 'cancelled' ? 'cancelled' : `failed: ${error ?? 'unknown error'}`}
          {progress && <> at {progress.processed_items} / {progress.total_items}</>}.
        </section>
      )}

      <div className="notices">
        {notices.map((notice) => (
          <div key={notice.id} className={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
            {notice.text}
            <button type="button" aria-label="Dismiss" onClick={() => props.onDismiss(notice.id)}>×</button>
          </div>
        ))}
      </div>

      <section className="card">
        <h2>Line items</h2>
        <p className="muted" data-testid="bom-status">
          {bomStatus
            ? `Last enrichment: ${bomStatus.status}, ${bomStatus.enriched_items} / ${bomStatus.total_items} enriched, ${bomStatus.error_items} errors` +
              (bomStatus.updated_at ? ` (${new Date(bomStatus.updated_at).toLocaleTimeString()})` : '')
            : 'Never enriched.'}
        </p>
        <table>
          <thead>
            <tr><th>#</th><th>MPN</th><th>Manufacturer</th><th>Qty</th><th>Enrichment</th></tr>
          </thead>
          <tbody>
            {items.map((item, index) => (
              <tr key={item.mpn}>
                <td>{index + 1}</td>
                <td className="mono">{item.mpn}</td>
                <td>{item.manufacturer}</td>
                <td>{item.quantity}</td>
                <td className={`item-${itemStatus[item.mpn] ?? 'none'}`}>{itemStatus[item.mpn] ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {confirming && (
        <div className="backdrop">
          <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
            <h3 id="confirm-title">Re-enrich this BOM?</h3>
            <p>All {items.length} line items are looked up again at the suppliers. Progress is shown live over {label}.</p>
            <div className="dialog-actions">
              <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
              <button
                type="button"
                className="primary"
                onClick={() => {
                  setConfirming(false);
                  props.onStart();
                }}
              >
                Start enrichment
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}
