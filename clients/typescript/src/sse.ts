import { createEnrichmentApi, type EnrichmentApi } from './api.js';
import { backoffDelay, defaultBackoff } from './backoff.js';
import { EnrichmentEventNames, StreamEndReasons, type StreamEndEvent } from './contracts.js';
import { createLogger, type Logger } from './logger.js';
import { clientDefaults, type ClientOptions } from './options.js';
import { StatusPoller } from './poller.js';
import { ConnectionQualityMeter } from './quality.js';
import { EnrichmentProgressTracker, type EnrichmentCallbacks } from './state.js';
import { resolveBaseUrl, streamUrl } from './url.js';

/** The part of a WHATWG EventSource the stream uses (the browser's, or the `eventsource` package in Node). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((this: never, event: Event) => unknown) | null;
  onerror: ((this: never, event: Event) => unknown) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** An EventSource constructor. */
export type EventSourceConstructor = new (url: string) => EventSourceLike;

/** The EventSource to use: the one passed in options, else the platform's; throws when there is none. */
export function resolveEventSource(impl: EventSourceConstructor | undefined): EventSourceConstructor {
  impl ??= (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (!impl) throw new Error('No EventSource: pass options.eventSource (e.g. the eventsource package in Node).');
  return impl;
}

const CLOSED = 2;

/** The events a stream listens for. */
const streamEvents = [
  EnrichmentEventNames.Connected,
  EnrichmentEventNames.Started,
  EnrichmentEventNames.Progress,
  EnrichmentEventNames.Completed,
  EnrichmentEventNames.Failed,
  EnrichmentEventNames.StreamEnd,
  EnrichmentEventNames.KeepAlive,
] as const;

/** Options of {@link EnrichmentSseStream}. */
export interface SseStreamOptions extends ClientOptions, EnrichmentCallbacks {
  /** The EventSource implementation (default: the global `EventSource`). */
  eventSource?: EventSourceConstructor;
  /** A tracker to feed (the hooks own theirs); default: a new one. */
  tracker?: EnrichmentProgressTracker;
}

/**
 * One BOM's SSE stream over EventSource, with the guide's best practices: native reconnection for a transient error
 * (EventSource resends `Last-Event-ID`), our own exponential backoff with jitter after repeated failures, a fresh
 * token and a resume from the last event id after `token_expired`, the stream closed on `stream_end` so EventSource
 * does not reconnect to a finished job, and polling of the status endpoint after `maxFailedAttempts` failures.
 */
export class EnrichmentSseStream {
  /** The progress state (subscribe to it for changes). */
  readonly tracker: EnrichmentProgressTracker;
  /** Connection-quality figures. */
  readonly quality = new ConnectionQualityMeter();

  private readonly baseUrl: string;
  private readonly logger: Logger;
  private readonly api: EnrichmentApi;
  private readonly poller: StatusPoller;
  private readonly EventSourceImpl: EventSourceConstructor;
  private source: EventSourceLike | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private stopped = true;
  private opening = false;
  private generation = 0;

  constructor(
    readonly bomId: string,
    private readonly options: SseStreamOptions,
  ) {
    this.logger = createLogger('[SSE]', options.debug ?? clientDefaults.debug, options.logSink);
    this.baseUrl = resolveBaseUrl(options.baseUrl, this.logger);
    this.tracker = options.tracker ?? new EnrichmentProgressTracker(bomId, options);
    this.api = createEnrichmentApi(this.baseUrl, options.getToken, options.fetch);
    this.poller = new StatusPoller(this.api, this.tracker, options.pollIntervalMs ?? clientDefaults.pollIntervalMs, this.logger);
    this.EventSourceImpl = resolveEventSource(options.eventSource);
  }

  /** Replaces the callbacks without reconnecting. */
  setCallbacks(callbacks: EnrichmentCallbacks): void {
    this.tracker.setCallbacks(callbacks);
  }

  /** Opens the stream (a no-op while open or opening); after a finished run, follows the next one. */
  connect(): void {
    if (!this.stopped && (this.source !== null || this.reconnectTimer !== null || this.opening)) return;
    this.poller.stop();
    this.stopped = false;
    this.failures = 0;
    void this.open();
  }

  /** Closes the stream and stops any reconnect or polling. */
  disconnect(): void {
    this.stopped = true;
    this.teardown();
    this.poller.stop();
    this.tracker.setStatus('disconnected');
    this.logger.debug('Disconnected', { bomId: this.bomId });
  }

  /** Reconnects now, from the last event id (the guide's retry button). */
  retry(): void {
    this.disconnect();
    this.connect();
  }

  private teardown(): void {
    this.generation++;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.source) {
      this.source.close();
      this.source = null;
      this.quality.closed();
    }
  }

  private async open(): Promise<void> {
    this.teardown();
    const generation = this.generation;
    this.tracker.setStatus(this.quality.snapshot().eventsReceived === 0 && this.failures === 0 ? 'connecting' : 'reconnecting');
    let token: string;
    try {
      this.opening = true;
      token = await this.options.getToken();
    } catch (error) {
      if (generation !== this.generation || this.stopped) return;
      this.logger.error('Could not get a token', { bomId: this.bomId, error: String(error) });
      this.tracker.reportError('Could not get a token');
      this.failures++;
      this.scheduleReconnect();
      return;
    } finally {
      this.opening = false;
    }
    if (generation !== this.generation || this.stopped) return;

    const lastEventId = this.tracker.current.lastEventId;
    const url = streamUrl(this.baseUrl, this.bomId, token, lastEventId);
    this.logger.debug('Connecting to enrichment stream:', { bomId: this.bomId, url: url.replace(/token=[^&]*/, 'token=***'), baseUrl: this.baseUrl, lastEventId });
    const source = new this.EventSourceImpl(url);
    this.source = source;

    source.onopen = () => {
      if (generation !== this.generation) return;
      this.failures = 0;
      this.quality.opened();
      this.tracker.setStatus('connected');
      this.logger.debug('Connection opened successfully:', { bomId: this.bomId });
    };
    source.onerror = () => {
      if (generation !== this.generation || this.stopped) return;
      this.quality.closed();
      this.failures++;
      if (this.tracker.isTerminal && source.readyState === CLOSED) {
        // 204 after resuming from the terminal event: the job is finished, nothing to reconnect to.
        this.teardown();
        this.tracker.setStatus('closed');
        return;
      }
      if (source.readyState === CLOSED || this.failures > 1) {
        this.logger.warn('Connection failed', { bomId: this.bomId, failures: this.failures });
        this.teardown();
        this.scheduleReconnect();
      } else {
        // A transient error: EventSource reconnects by itself, sending Last-Event-ID.
        this.logger.debug('Connection lost; EventSource reconnects', { bomId: this.bomId });
        this.tracker.setStatus('reconnecting');
      }
    };
    for (const name of streamEvents) {
      source.addEventListener(name, (event: MessageEvent) => {
        if (generation !== this.generation) return;
        this.onEvent(name, event);
      });
    }
  }

  private onEvent(name: string, event: MessageEvent): void {
    let data: unknown;
    try {
      data = JSON.parse(String(event.data));
    } catch {
      this.logger.warn('Ignoring an event whose data is not JSON', { bomId: this.bomId, event: name });
      return;
    }
    if (this.source && this.tracker.current.connectionStatus !== 'connected') {
      // Some EventSource implementations report the reopened connection only through its first event.
      this.failures = 0;
      this.quality.opened();
      this.tracker.setStatus('connected');
    }
    this.quality.event();
    const id = event.lastEventId && name !== EnrichmentEventNames.Connected && name !== EnrichmentEventNames.StreamEnd && name !== EnrichmentEventNames.KeepAlive
      ? event.lastEventId
      : null;
    this.tracker.apply(name, id, data);
    switch (name) {
      case EnrichmentEventNames.Connected:
        this.logger.debug('Received connected event:', data);
        break;
      case EnrichmentEventNames.Progress: {
        const state = this.tracker.current.progress;
        this.logger.debug('Progress update:', {
          enriched: state?.enriched_items,
          total: state?.total_items,
          percent: state?.percent_complete,
          current: state?.current_item?.mpn,
        });
        break;
      }
      case EnrichmentEventNames.Completed:
        this.logger.debug('Enrichment completed:', { bomId: this.bomId, data });
        break;
      case EnrichmentEventNames.Failed:
        this.logger.debug('Enrichment failed:', { bomId: this.bomId, data });
        break;
      case EnrichmentEventNames.StreamEnd:
        this.onStreamEnd(data as StreamEndEvent);
        break;
    }
  }

  private onStreamEnd(data: StreamEndEvent): void {
    this.logger.debug('Stream ended:', { bomId: this.bomId, reason: data.reason });
    // Close before EventSource sees the server hang up, or it would reconnect to a finished job.
    this.teardown();
    switch (data.reason) {
      case StreamEndReasons.Completed:
      case StreamEndReasons.Failed:
        this.tracker.setStatus('closed');
        break;
      case StreamEndReasons.TokenExpired:
        // getToken gives a fresh token; the new stream resumes after the last event id.
        this.failures = 0;
        void this.open();
        break;
      default:
        this.scheduleReconnect(true);
        break;
    }
  }

  private scheduleReconnect(immediateFirst = false): void {
    if (this.stopped) return;
    const max = this.options.maxFailedAttempts ?? clientDefaults.maxFailedAttempts;
    if (this.failures >= max) {
      this.logger.warn(`No connection after ${this.failures} attempts`, { bomId: this.bomId });
      this.quality.polling();
      this.poller.start();
      return;
    }
    const delay = immediateFirst && this.failures === 0 ? 0 : backoffDelay(Math.max(0, this.failures - 1), this.options.backoff ?? defaultBackoff);
    this.tracker.setStatus('reconnecting');
    this.logger.debug('Reconnecting', { bomId: this.bomId, attempt: this.failures, delayMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.open();
    }, delay);
  }
}
