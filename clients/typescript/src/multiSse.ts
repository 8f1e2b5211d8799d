import { createEnrichmentApi, EnrichmentApiError, type EnrichmentApi } from './api.js';
import { backoffDelay, defaultBackoff } from './backoff.js';
import { EnrichmentEventNames, StreamEndReasons, type EnrichmentEnvelope, type MultiBomConnectedEvent, type StreamEndEvent } from './contracts.js';
import { createLogger, type Logger } from './logger.js';
import { clientDefaults, type ClientOptions } from './options.js';
import { StatusPoller } from './poller.js';
import { ConnectionQualityMeter } from './quality.js';
import { resolveEventSource, type EventSourceConstructor, type EventSourceLike } from './sse.js';
import { EnrichmentProgressTracker, type ConnectionStatus, type EnrichmentCallbacks } from './state.js';
import { multiStreamUrl, resolveBaseUrl } from './url.js';
import { Listeners } from './listeners.js';

const CLOSED = 2;
const logIdPattern = /^\d{1,20}-\d{1,20}$/;

/** The server's default `Sse:MaxBomsPerStream`. */
export const defaultMaxBomsPerStream = 20;

/**
 * The resume cursor of the multi-BOM stream: `m1` then `,{bom_id}={log_id}` per BOM that has a log id, in request
 * order. The server sends the same thing as each event's `id:`; the client builds it itself when the set of BOMs
 * changes (a new EventSource), so every BOM resumes exactly where it was.
 */
export function buildCursor(entries: Iterable<readonly [string, string | null]>): string {
  let cursor = 'm1';
  for (const [bomId, logId] of entries) {
    if (logId !== null && logIdPattern.test(logId)) cursor += `,${bomId}=${logId}`;
  }
  return cursor;
}

/** Options of {@link MultiBomSseStream}. */
export interface MultiSseStreamOptions extends ClientOptions {
  /** The EventSource implementation (default: the global `EventSource`). */
  eventSource?: EventSourceConstructor;
  /** The server's `Sse:MaxBomsPerStream` (default 20): BOMs beyond it are not streamed (an error on their tracker). */
  maxBomsPerStream?: number;
  /** Changes of the set within this many ms reopen the stream once (default 50). */
  changeDelayMs?: number;
}

interface Watch {
  tracker: EnrichmentProgressTracker;
  poller: StatusPoller;
  /** The last bus log id applied (legacy live-only ids do not move it): this BOM's entry in the cursor. */
  logId: string | null;
  /** The BOM's stream ended (terminal event seen, or `ended` at connect): it is left out of the next request. */
  ended: boolean;
}

/**
 * Many BOMs over one EventSource on the multi-BOM route `GET /api/enrichment/stream?bom_id=a&bom_id=b`: the same
 * watch/unwatch API as {@link EnrichmentHubClient}. Each BOM's last log id is tracked from the envelopes'
 * `event_id`; a change of the set reopens the stream with `?last_event_id=` = the cursor built from them, so nothing
 * is lost on any BOM. A transient error is left to EventSource (it resends the server's cursor as `Last-Event-ID`);
 * `token_expired` reopens at once with a fresh token, `server_shutdown`/`slow_consumer` and repeated errors reconnect
 * with backoff; after `maxFailedAttempts` failures the unfinished BOMs are polled while reconnecting continues.
 */
export class MultiBomSseStream {
  /** Connection-quality figures of the stream. */
  readonly quality = new ConnectionQualityMeter();

  private readonly logger: Logger;
  private readonly baseUrl: string;
  private readonly api: EnrichmentApi;
  private readonly EventSourceImpl: EventSourceConstructor;
  private readonly watches = new Map<string, Watch>();
  private readonly statusListeners = new Listeners<ConnectionStatus>();
  private status: ConnectionStatus = 'idle';
  private source: EventSourceLike | null = null;
  /** The BOMs the open (or opening) stream was requested for. */
  private requested: string[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private changeTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private failures = 0;
  private generation = 0;

  constructor(private readonly options: MultiSseStreamOptions) {
    this.logger = createLogger('[SSE]', options.debug ?? clientDefaults.debug, options.logSink);
    this.baseUrl = resolveBaseUrl(options.baseUrl, this.logger);
    this.api = createEnrichmentApi(this.baseUrl, options.getToken, options.fetch);
    this.EventSourceImpl = resolveEventSource(options.eventSource);
  }

  /** The stream's status. */
  get connectionStatus(): ConnectionStatus {
    return this.status;
  }

  /** Listens to status changes; returns the unsubscribe function. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.statusListeners.add(listener);
  }

  /** The tracker of a watched BOM, if any. */
  tracker(bomId: string): EnrichmentProgressTracker | undefined {
    return this.watches.get(bomId)?.tracker;
  }

  /** The cursor of the watched BOMs now (what the next stream resumes from). */
  get cursor(): string {
    return buildCursor([...this.watches].map(([bomId, watch]) => [bomId, watch.logId] as const));
  }

  /**
   * Watches a BOM, resuming after `tracker`'s last event id when it has one. Watching a BOM again restarts its stream
   * from its last id (how a new run of a finished BOM is followed). The stream is reopened for the new set.
   */
  watch(bomId: string, callbacks?: EnrichmentCallbacks, tracker?: EnrichmentProgressTracker): EnrichmentProgressTracker {
    let watch = this.watches.get(bomId);
    if (!watch) {
      tracker ??= new EnrichmentProgressTracker(bomId, callbacks);
      const poller = new StatusPoller(this.api, tracker, this.options.pollIntervalMs ?? clientDefaults.pollIntervalMs, this.logger);
      const last = tracker.current.lastEventId;
      watch = { tracker, poller, logId: last !== null && logIdPattern.test(last) ? last : null, ended: false };
      this.watches.set(bomId, watch);
      this.setChanged();
    } else {
      if (callbacks) watch.tracker.setCallbacks(callbacks);
      if (watch.ended) {
        watch.ended = false;
        this.setChanged();
      }
    }
    watch.tracker.setStatus(this.status);
    return watch.tracker;
  }

  /** Stops watching a BOM (the stream is reopened without it). */
  unwatch(bomId: string): void {
    const watch = this.watches.get(bomId);
    if (!watch) return;
    this.watches.delete(bomId);
    watch.poller.stop();
    watch.tracker.setStatus('disconnected');
    this.setChanged();
  }

  /** Starts streaming (a no-op while started). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.failures = 0;
    void this.open();
  }

  /** Closes the stream and stops any reconnect or polling. */
  stop(): void {
    this.stopped = true;
    this.teardown();
    if (this.changeTimer !== null) clearTimeout(this.changeTimer);
    this.changeTimer = null;
    for (const watch of this.watches.values()) watch.poller.stop();
    this.setStatus('disconnected');
  }

  /** Reconnects now (the retry button). */
  retry(): void {
    this.stop();
    for (const watch of this.watches.values()) if (!watch.tracker.isTerminal) watch.ended = false;
    this.start();
  }

  private active(): string[] {
    const ids = [...this.watches].filter(([, watch]) => !watch.ended).map(([bomId]) => bomId);
    const max = this.options.maxBomsPerStream ?? defaultMaxBomsPerStream;
    for (const bomId of ids.slice(max)) {
      this.logger.warn(`More than ${max} BOMs on one stream; not streaming this one`, { bomId });
      this.watches.get(bomId)?.tracker.reportError(`More than ${max} BOMs watched at once`);
    }
    return ids.slice(0, max);
  }

  /** The set changed: reopen once after `changeDelayMs`, so a burst of watches costs one request. */
  private setChanged(): void {
    if (this.stopped || this.changeTimer !== null) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null;
      if (this.stopped) return;
      const next = this.active();
      if (next.join('\n') === this.requested.join('\n') && (this.source !== null || this.timer !== null)) return;
      void this.open();
    }, this.options.changeDelayMs ?? 50);
  }

  private teardown(): void {
    this.generation++;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.source) {
      this.source.close();
      this.source = null;
      this.quality.closed();
    }
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    for (const watch of this.watches.values()) {
      if (watch.poller.active) continue;
      if (watch.ended && status !== 'disconnected') continue;
      watch.tracker.setStatus(status);
    }
    this.statusListeners.emit(status);
  }

  private async open(): Promise<void> {
    this.teardown();
    const generation = this.generation;
    const boms = this.active();
    this.requested = boms;
    if (boms.length === 0) {
      // Nothing unfinished to stream (every BOM ended, or none watched): no request at all.
      this.status = 'idle';
      this.statusListeners.emit('idle');
      return;
    }
    this.setStatus(this.quality.snapshot().eventsReceived === 0 && this.failures === 0 ? 'connecting' : 'reconnecting');
    let token: string;
    try {
      token = await this.options.getToken();
    } catch (error) {
      if (generation !== this.generation || this.stopped) return;
      this.logger.error('Could not get a token', { error: String(error) });
      this.failures++;
      this.scheduleReconnect();
      return;
    }
    if (generation !== this.generation || this.stopped) return;
    const cursor = buildCursor(boms.map((bomId) => [bomId, this.watches.get(bomId)?.logId ?? null] as const));
    const url = multiStreamUrl(this.baseUrl, boms, token, cursor === 'm1' ? null : cursor);
    this.logger.debug('Connecting to enrichment stream:', { boms, cursor, url: url.replace(/token=[^&]*/, 'token=***') });
    const source = new this.EventSourceImpl(url);
    this.source = source;
    let opened = false;

    source.onopen = () => {
      if (generation !== this.generation) return;
      opened = true;
      this.failures = 0;
      this.quality.opened();
      for (const bomId of boms) this.watches.get(bomId)?.poller.stop();
      this.setStatus('connected');
    };
    source.onerror = () => {
      if (generation !== this.generation || this.stopped) return;
      this.quality.closed();
      this.failures++;
      if (source.readyState === CLOSED && boms.every((bomId) => this.watches.get(bomId)?.tracker.isTerminal ?? true)) {
        // 204: every BOM was already at its terminal event.
        this.teardown();
        for (const bomId of boms) this.endBom(bomId);
        return;
      }
      if (source.readyState === CLOSED || this.failures > 1) {
        this.logger.warn('Connection failed', { boms, failures: this.failures });
        this.teardown();
        if (source.readyState === CLOSED && !opened) void this.findUnknownBoms(boms, generation + 1);
        this.scheduleReconnect();
      } else {
        this.logger.debug('Connection lost; EventSource reconnects', { boms });
        this.setStatus('reconnecting');
      }
    };
    const names = [
      EnrichmentEventNames.Connected,
      EnrichmentEventNames.Started,
      EnrichmentEventNames.Progress,
      EnrichmentEventNames.Completed,
      EnrichmentEventNames.Failed,
      EnrichmentEventNames.StreamEnd,
      EnrichmentEventNames.KeepAlive,
    ];
    for (const name of names) {
      source.addEventListener(name, (event: MessageEvent) => {
        if (generation === this.generation) this.onEvent(name, event);
      });
    }
  }

  /**
   * A refused request (404 when any BOM is unknown or another tenant's): asks the status endpoint which BOMs are not
   * found, so one bad BOM id (of one tab) does not stop every other BOM's stream.
   */
  private async findUnknownBoms(boms: readonly string[], generation: number): Promise<void> {
    const results = await Promise.all(
      boms.map(async (bomId) => {
        try {
          await this.api.status(bomId);
          return null;
        } catch (error) {
          return error instanceof EnrichmentApiError && error.code === 'bom_not_found' ? bomId : null;
        }
      }),
    );
    const unknown = results.filter((bomId): bomId is string => bomId !== null);
    if (unknown.length === 0 || this.stopped || unknown.length === boms.length) return;
    for (const bomId of unknown) {
      const watch = this.watches.get(bomId);
      if (!watch) continue;
      watch.ended = true;
      watch.tracker.setStatus('error');
      watch.tracker.reportError('bom_not_found');
    }
    if (generation === this.generation && this.timer !== null) {
      // Retry the others now rather than after the backoff.
      this.failures = 0;
      void this.open();
    }
  }

  private onEvent(name: string, event: MessageEvent): void {
    let data: unknown;
    try {
      data = JSON.parse(String(event.data));
    } catch {
      this.logger.warn('Ignoring an event whose data is not JSON', { event: name });
      return;
    }
    if (this.source && this.status !== 'connected') {
      this.failures = 0;
      this.quality.opened();
      this.setStatus('connected');
    }
    this.quality.event();
    switch (name) {
      case EnrichmentEventNames.KeepAlive:
        return;
      case EnrichmentEventNames.Connected: {
        const connected = data as Partial<MultiBomConnectedEvent>;
        for (const entry of connected.boms ?? []) {
          const watch = this.watches.get(entry.bom_id);
          if (!watch) continue;
          watch.tracker.apply(name, null, { type: 'connected', bom_id: entry.bom_id, message: connected.message ?? 'Stream connected', recovered: entry.recovered, ended: entry.ended });
          if (entry.ended) this.endBom(entry.bom_id);
        }
        return;
      }
      case EnrichmentEventNames.StreamEnd:
        this.onStreamEnd(data as StreamEndEvent);
        return;
      default: {
        const envelope = data as EnrichmentEnvelope;
        const watch = this.watches.get(envelope.bom_id);
        if (!watch) return;
        const id = typeof envelope.event_id === 'string' && envelope.event_id !== '' ? envelope.event_id : null;
        const applied = watch.tracker.apply(name, id, data);
        if (applied && id !== null && logIdPattern.test(id)) watch.logId = id;
        if (name === EnrichmentEventNames.Progress) {
          const state = watch.tracker.current.progress;
          this.logger.debug('Progress update:', { bomId: envelope.bom_id, enriched: state?.enriched_items, total: state?.total_items, percent: state?.percent_complete });
        }
      }
    }
  }

  private endBom(bomId: string): void {
    const watch = this.watches.get(bomId);
    if (!watch) return;
    watch.ended = true;
    watch.poller.stop();
    watch.tracker.setStatus('closed');
  }

  private onStreamEnd(data: StreamEndEvent): void {
    this.logger.debug('Stream ended:', { bomId: data.bom_id, reason: data.reason });
    const watch = this.watches.get(data.bom_id);
    if (watch) watch.tracker.apply(EnrichmentEventNames.StreamEnd, null, data);
    if (data.reason === StreamEndReasons.Completed || data.reason === StreamEndReasons.Failed) {
      this.endBom(data.bom_id);
      if (this.requested.every((bomId) => this.watches.get(bomId)?.ended ?? true)) {
        // The last BOM ended: close before EventSource sees the server hang up and reconnects.
        this.teardown();
        this.requested = [];
      }
      return;
    }
    // A stream-wide end (one stream_end per unfinished BOM follows; the first is enough): close and reconnect.
    this.teardown();
    if (data.reason === StreamEndReasons.TokenExpired) {
      this.failures = 0;
      void this.open();
    } else {
      this.scheduleReconnect(true);
    }
  }

  private scheduleReconnect(immediateFirst = false): void {
    if (this.stopped || this.timer !== null) return;
    const max = this.options.maxFailedAttempts ?? clientDefaults.maxFailedAttempts;
    if (this.failures >= max) {
      this.logger.warn(`No connection after ${this.failures} attempts; polling`, { boms: this.requested });
      for (const bomId of this.requested) {
        const watch = this.watches.get(bomId);
        if (watch && !watch.ended && !watch.poller.active) {
          this.quality.polling();
          watch.poller.start();
        }
      }
    }
    const delay = immediateFirst && this.failures === 0 ? 0 : backoffDelay(Math.max(0, this.failures - 1), this.options.backoff ?? defaultBackoff);
    this.setStatus(this.failures >= max ? 'polling' : 'reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.open();
    }, delay);
  }
}
