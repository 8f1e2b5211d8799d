import type { EnrichmentEnvelope, EnrichmentProgressState } from './contracts.js';
import { Listeners } from './listeners.js';

/** Where a client's connection stands (the guide's `connectionStatus`). */
export type ConnectionStatus =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'polling'
  | 'closed'
  | 'disconnected'
  | 'error';

/** Connection-quality figures, for the page and for analytics. */
export interface ConnectionQuality {
  /** Connections opened again after the first one (native EventSource retries, hub reconnects, our own). */
  reconnects: number;
  /** Total time spent connected, ms (the current connection included). */
  connectedMs: number;
  /** When the current connection opened (epoch ms), or null while not connected. */
  connectedSince: number | null;
  /** When these figures were taken (epoch ms): `connectedMs` and `msSinceLastEvent` are as of then (see `connectedMsAt`). */
  takenAt: number;
  /** When the last event arrived (epoch ms), or null. */
  lastEventAt: number | null;
  /** Time since the last event, ms, at the moment of the snapshot; null before the first event. */
  msSinceLastEvent: number | null;
  /** Events received (keepalives included). */
  eventsReceived: number;
  /** True once the client fell back to polling the status endpoint. */
  pollingFallback: boolean;
}

/** Everything the hooks expose about one BOM. */
export interface EnrichmentSnapshot {
  progress: EnrichmentProgressState | null;
  progressPercent: number;
  isComplete: boolean;
  isFailed: boolean;
  isProcessing: boolean;
  error: string | null;
  connectionStatus: ConnectionStatus;
  /** The id of the last bus event applied: where a reconnect resumes from. */
  lastEventId: string | null;
}

/** A raw event as received, for `onEvent` listeners (analytics, debugging, tests). */
export interface ReceivedEvent {
  event: string;
  id: string | null;
  data: unknown;
}

/** Callbacks of the guide's hook options. */
export interface EnrichmentCallbacks {
  onProgress?: (state: EnrichmentProgressState) => void;
  onComplete?: (event: EnrichmentEnvelope) => void;
  onError?: (error: string) => void;
  onEvent?: (event: ReceivedEvent) => void;
}

/** The snapshot of a BOM nothing is known of yet. */
export const initialSnapshot: EnrichmentSnapshot = {
  progress: null,
  progressPercent: 0,
  isComplete: false,
  isFailed: false,
  isProcessing: false,
  error: null,
  connectionStatus: 'idle',
  lastEventId: null,
};

const logIdPattern = /^(\d+)-(\d+)$/;

/**
 * Compares two bus log ids (`{ms}-{seq}`); null when either is not a log id (a legacy worker's UUID), since only log
 * ids are ordered.
 */
export function compareLogIds(a: string, b: string): number | null {
  const ma = logIdPattern.exec(a);
  const mb = logIdPattern.exec(b);
  if (!ma || !mb) return null;
  const [msA, seqA] = [BigInt(ma[1]!), BigInt(ma[2]!)];
  const [msB, seqB] = [BigInt(mb[1]!), BigInt(mb[2]!)];
  if (msA !== msB) return msA < msB ? -1 : 1;
  if (seqA !== seqB) return seqA < seqB ? -1 : 1;
  return 0;
}

function percentOf(state: EnrichmentProgressState | null | undefined): number {
  if (!state) return 0;
  const value = Number.isFinite(state.percent_complete)
    ? state.percent_complete
    : state.total_items > 0
      ? (100 * state.processed_items) / state.total_items
      : 0;
  return Math.max(0, Math.min(100, Math.round(value)));
}

/**
 * The state machine behind every transport: maps the event sequence (or polled states) of one BOM to the hook's
 * fields. Events at or before the last applied log id are ignored, so a resume that overlaps never counts twice.
 */
export class EnrichmentProgressTracker {
  private snapshot: EnrichmentSnapshot = initialSnapshot;
  private readonly listeners = new Listeners<EnrichmentSnapshot>();

  constructor(
    readonly bomId: string,
    private callbacks: EnrichmentCallbacks = {},
  ) {}

  /** Replaces the callbacks (the hooks keep the latest ones without reconnecting). */
  setCallbacks(callbacks: EnrichmentCallbacks): void {
    this.callbacks = callbacks;
  }

  /** The current snapshot (a new object after every change). */
  get current(): EnrichmentSnapshot {
    return this.snapshot;
  }

  /** Listens to changes; returns the unsubscribe function. */
  subscribe(listener: (snapshot: EnrichmentSnapshot) => void): () => void {
    return this.listeners.add(listener);
  }

  /** True once the run reached a terminal event. */
  get isTerminal(): boolean {
    return this.snapshot.isComplete || this.snapshot.isFailed;
  }

  /** Sets the connection status. */
  setStatus(connectionStatus: ConnectionStatus): void {
    if (this.snapshot.connectionStatus !== connectionStatus) {
      this.update({ connectionStatus });
    }
  }

  /** Reports a connection-level error (not a failed run). */
  reportError(message: string): void {
    this.update({ error: message });
    this.callbacks.onError?.(message);
  }

  /**
   * Applies one received event. Returns false when it was a duplicate (at or before the last applied id) and so
   * ignored.
   */
  apply(event: string, id: string | null, data: unknown): boolean {
    this.callbacks.onEvent?.({ event, id, data });
    if (id && this.snapshot.lastEventId) {
      const order = compareLogIds(id, this.snapshot.lastEventId);
      if (order !== null && order <= 0) return false;
    }

    const envelope = data as EnrichmentEnvelope;
    switch (event) {
      case 'enrichment.started':
        this.update({
          progress: envelope.state ?? null,
          progressPercent: percentOf(envelope.state),
          isProcessing: true,
          isComplete: false,
          isFailed: false,
          error: null,
          lastEventId: id ?? this.snapshot.lastEventId,
        });
        if (envelope.state) this.callbacks.onProgress?.(envelope.state);
        return true;
      case 'progress':
      case 'enrichment.progress': {
        const state = envelope.state ?? this.snapshot.progress;
        const finished = state?.status === 'completed' || state?.status === 'failed' || state?.status === 'cancelled';
        this.update({
          progress: state ?? null,
          progressPercent: percentOf(state),
          isProcessing: !finished,
          lastEventId: id ?? this.snapshot.lastEventId,
        });
        if (state) this.callbacks.onProgress?.(state);
        return true;
      }
      case 'enrichment.completed':
        this.update({
          progress: envelope.state ?? this.snapshot.progress,
          progressPercent: envelope.state ? percentOf(envelope.state) : 100,
          isProcessing: false,
          isComplete: true,
          isFailed: false,
          error: null,
          lastEventId: id ?? this.snapshot.lastEventId,
        });
        if (envelope.state) this.callbacks.onProgress?.(envelope.state);
        this.callbacks.onComplete?.(envelope);
        return true;
      case 'enrichment.failed': {
        const error = envelope.error ?? 'Enrichment failed';
        this.update({
          progress: envelope.state ?? this.snapshot.progress,
          progressPercent: percentOf(envelope.state ?? this.snapshot.progress),
          isProcessing: false,
          isComplete: false,
          isFailed: true,
          error,
          lastEventId: id ?? this.snapshot.lastEventId,
        });
        this.callbacks.onError?.(error);
        return true;
      }
      default:
        // connected, keepalive and stream_end change no progress; transports act on them.
        return true;
    }
  }

  /**
   * Applies a state polled from the status endpoint (the fallback). `eventId` is its `Last-Event-ID` header: the
   * event the state reflects, so a later stream resumes from there.
   */
  applyPolled(state: EnrichmentProgressState, eventId: string | null): void {
    if (eventId && this.snapshot.lastEventId === eventId) return;
    const type =
      state.status === 'completed'
        ? 'enrichment.completed'
        : state.status === 'failed' || state.status === 'cancelled'
          ? 'enrichment.failed'
          : state.status === 'pending'
            ? null
            : 'progress';
    if (type === null) return;
    const envelope: EnrichmentEnvelope = {
      event_id: eventId ?? '',
      event_type: type,
      bom_id: this.bomId,
      tenant_id: '',
      created_at: state.updated_at ?? new Date().toISOString(),
      state,
      ...(type === 'enrichment.failed' ? { error: state.status === 'cancelled' ? 'cancelled' : 'Enrichment failed' } : {}),
    };
    this.apply(type, eventId, envelope);
  }

  /**
   * Resumes after `id` (a log id another tab or connection already applied): later events are applied, earlier ones
   * ignored. Moves only forward; a tracker with no events yet simply starts there.
   */
  resumeFrom(id: string | null): void {
    if (id === null) return;
    const current = this.snapshot.lastEventId;
    if (current !== null && (compareLogIds(id, current) ?? 1) <= 0) return;
    this.update({ lastEventId: id });
  }

  /** Forgets the run (a new Re-Enrich begins): the next events start from zero. */
  reset(): void {
    this.update({ ...initialSnapshot, connectionStatus: this.snapshot.connectionStatus, lastEventId: this.snapshot.lastEventId });
  }

  private update(patch: Partial<EnrichmentSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    this.listeners.emit(this.snapshot);
  }
}
