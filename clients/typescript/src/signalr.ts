import {
  HubConnectionBuilder,
  HubConnectionState,
  LogLevel,
  type HubConnection,
  type IHubProtocol,
  type IRetryPolicy,
} from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { createEnrichmentApi, type EnrichmentApi } from './api.js';
import { backoffDelay, defaultBackoff } from './backoff.js';
import {
  EnrichmentEventNames,
  EnrichmentHubNames,
  StreamEndReasons,
  type BomSubscription,
  type EnrichmentHubEvent,
  type StreamEndEvent,
} from './contracts.js';
import { createLogger, type Logger } from './logger.js';
import { clientDefaults, type ClientOptions } from './options.js';
import { StatusPoller } from './poller.js';
import { ConnectionQualityMeter } from './quality.js';
import { EnrichmentProgressTracker, type ConnectionStatus, type EnrichmentCallbacks } from './state.js';
import { hubUrl, resolveBaseUrl } from './url.js';
import { Listeners } from './listeners.js';

/** The hub protocol: JSON, or binary MessagePack (same snake_case maps). */
export type HubProtocolName = 'json' | 'messagepack';

/** Options of {@link EnrichmentHubClient}. */
export interface HubClientOptions extends ClientOptions {
  /** Hub protocol (default `json`). */
  protocol?: HubProtocolName;
}

interface Watch {
  tracker: EnrichmentProgressTracker;
  poller: StatusPoller;
  /** The BOM's stream ended (terminal event seen): it is not resubscribed on reconnect. */
  ended: boolean;
}

/**
 * Many BOMs over one SignalR connection (the hub's BOM-scoped groups). Each watched BOM has its own progress tracker;
 * after any reconnect every unfinished BOM is subscribed again from its last event id, so nothing is missed or
 * counted twice. Reconnects use exponential backoff with jitter; after `maxFailedAttempts` failures in a row the
 * watched BOMs are polled from the status endpoint while reconnecting continues in the background.
 */
export class EnrichmentHubClient {
  /** Connection-quality figures of the connection. */
  readonly quality = new ConnectionQualityMeter();

  private readonly logger: Logger;
  private readonly baseUrl: string;
  private readonly api: EnrichmentApi;
  private readonly connection: HubConnection;
  private readonly watches = new Map<string, Watch>();
  private readonly statusListeners = new Listeners<ConnectionStatus>();
  private status: ConnectionStatus = 'idle';
  private stopped = true;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private opening: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** Bumped by start() and stop(): work begun for an earlier session is dropped quietly. */
  private session = 0;

  constructor(private readonly options: HubClientOptions) {
    this.logger = createLogger('[SignalR]', options.debug ?? clientDefaults.debug, options.logSink);
    this.baseUrl = resolveBaseUrl(options.baseUrl, this.logger);
    this.api = createEnrichmentApi(this.baseUrl, options.getToken, options.fetch);
    const max = options.maxFailedAttempts ?? clientDefaults.maxFailedAttempts;
    const retryPolicy: IRetryPolicy = {
      nextRetryDelayInMilliseconds: (context) =>
        context.previousRetryCount >= max ? null : backoffDelay(context.previousRetryCount, options.backoff ?? defaultBackoff),
    };
    const protocol: IHubProtocol | undefined = options.protocol === 'messagepack' ? new MessagePackHubProtocol() : undefined;
    let builder = new HubConnectionBuilder()
      .withUrl(hubUrl(this.baseUrl), { accessTokenFactory: async () => await options.getToken() })
      .withAutomaticReconnect(retryPolicy)
      .configureLogging(LogLevel.None);
    if (protocol) builder = builder.withHubProtocol(protocol);
    this.connection = builder.build();

    this.connection.on(EnrichmentHubNames.EventMethod, (message: EnrichmentHubEvent) => this.onMessage(message));
    this.connection.onreconnecting((error) => {
      this.quality.closed();
      this.logger.debug('Connection lost; reconnecting', { error: error?.message });
      this.setStatus('reconnecting');
    });
    this.connection.onreconnected(() => {
      this.quality.opened();
      this.failures = 0;
      this.logger.debug('Reconnected; subscribing again from the last event ids');
      this.setStatus('connected');
      void this.subscribeAll();
    });
    this.connection.onclose((error) => {
      this.quality.closed();
      if (this.stopped || this.stopping) return;
      this.logger.warn('Connection closed', { error: error?.message });
      this.failures = Math.max(this.failures, 1);
      this.scheduleOpen();
    });
  }

  /** The protocol in use. */
  get protocol(): HubProtocolName {
    return this.options.protocol ?? 'json';
  }

  /** The connection's status. */
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

  /**
   * Watches a BOM (subscribing at once when connected, else on connect). Watching a BOM again restarts its stream
   * from its last event id: that is how a new run of a finished BOM is followed.
   */
  watch(bomId: string, callbacks?: EnrichmentCallbacks, tracker?: EnrichmentProgressTracker): EnrichmentProgressTracker {
    let watch = this.watches.get(bomId);
    if (!watch) {
      tracker ??= new EnrichmentProgressTracker(bomId, callbacks);
      const poller = new StatusPoller(this.api, tracker, this.options.pollIntervalMs ?? clientDefaults.pollIntervalMs, this.logger);
      watch = { tracker, poller, ended: false };
      this.watches.set(bomId, watch);
    } else {
      if (callbacks) watch.tracker.setCallbacks(callbacks);
      watch.ended = false;
    }
    watch.tracker.setStatus(this.status === 'idle' ? 'idle' : this.status);
    if (this.connection.state === HubConnectionState.Connected) void this.subscribe(bomId, watch);
    return watch.tracker;
  }

  /** Stops watching a BOM. */
  async unwatch(bomId: string): Promise<void> {
    const watch = this.watches.get(bomId);
    if (!watch) return;
    this.watches.delete(bomId);
    watch.poller.stop();
    watch.tracker.setStatus('disconnected');
    if (this.connection.state === HubConnectionState.Connected) {
      try {
        await this.connection.invoke<boolean>(EnrichmentHubNames.Unsubscribe, bomId);
      } catch (error) {
        this.logger.debug('Unsubscribe failed', { bomId, error: String(error) });
      }
    }
  }

  /** Starts the connection (a no-op while started); resolves once connected or once a retry is scheduled. */
  start(): Promise<void> {
    if (!this.stopped) return this.opening ?? Promise.resolve();
    this.stopped = false;
    this.failures = 0;
    this.session++;
    return this.open(this.session);
  }

  /** Stops the connection and every poller. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.session++;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const watch of this.watches.values()) watch.poller.stop();
    const stopping = this.connection.stop();
    this.stopping = stopping;
    try {
      await stopping;
    } finally {
      if (this.stopping === stopping) this.stopping = null;
    }
    this.quality.closed();
    this.setStatus('disconnected');
  }

  /** Reconnects now (the retry button). */
  async retry(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    for (const watch of this.watches.values()) {
      if (watch.poller.active) continue;
      if (watch.ended && status === 'connected') continue;
      watch.tracker.setStatus(status);
    }
    this.statusListeners.emit(status);
  }

  private open(session: number): Promise<void> {
    const current = () => !this.stopped && session === this.session;
    const opening = (async () => {
      // A start right after a stop (React StrictMode runs effects twice) waits for the stop to finish.
      if (this.stopping) await this.stopping.catch(() => undefined);
      // Already connected or connecting (a retry scheduled by a connection that was since restarted): nothing to do.
      if (!current() || this.connection.state !== HubConnectionState.Disconnected) return;
      this.setStatus(this.quality.snapshot().reconnects === 0 && this.failures === 0 ? 'connecting' : 'reconnecting');
      try {
        await this.connection.start();
      } catch (error) {
        if (!current()) return;
        this.failures++;
        this.logger.warn('Could not connect', { failures: this.failures, error: String(error) });
        this.scheduleOpen();
        return;
      }
      if (!current()) {
        if (this.stopped) await this.connection.stop();
        return;
      }
      this.failures = 0;
      this.quality.opened();
      this.logger.debug('Connected', { url: hubUrl(this.baseUrl), protocol: this.protocol });
      for (const watch of this.watches.values()) watch.poller.stop();
      this.setStatus('connected');
      await this.subscribeAll();
    })();
    this.opening = opening;
    return opening.finally(() => {
      if (this.opening === opening) this.opening = null;
    });
  }

  private scheduleOpen(): void {
    if (this.stopped || this.timer !== null) return;
    const max = this.options.maxFailedAttempts ?? clientDefaults.maxFailedAttempts;
    if (this.failures >= max) {
      for (const watch of this.watches.values()) {
        if (!watch.ended && !watch.poller.active) {
          this.quality.polling();
          watch.poller.start();
        }
      }
    }
    const delay = backoffDelay(Math.max(0, this.failures - 1), this.options.backoff ?? defaultBackoff);
    this.setStatus(this.failures >= max ? 'polling' : 'reconnecting');
    const session = this.session;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.open(session);
    }, delay);
  }

  private async subscribeAll(): Promise<void> {
    await Promise.all([...this.watches].filter(([, watch]) => !watch.ended).map(([bomId, watch]) => this.subscribe(bomId, watch)));
  }

  private async subscribe(bomId: string, watch: Watch): Promise<void> {
    const lastEventId = watch.tracker.current.lastEventId;
    try {
      const subscription = await this.connection.invoke<BomSubscription>(EnrichmentHubNames.Subscribe, bomId, lastEventId);
      this.logger.debug('Subscribed', { bomId, lastEventId, recovered: subscription.recovered, ended: subscription.ended });
      this.quality.event();
      watch.tracker.apply(EnrichmentEventNames.Connected, null, subscription);
      if (subscription.ended) {
        watch.ended = true;
        watch.tracker.setStatus('closed');
      }
    } catch (error) {
      if (this.connection.state !== HubConnectionState.Connected) return; // the reconnect subscribes again
      const message = error instanceof Error ? error.message.replace(/^.*HubException: /, '') : String(error);
      this.logger.error('Subscribe failed', { bomId, error: message });
      watch.ended = true;
      watch.tracker.setStatus('error');
      watch.tracker.reportError(message);
    }
  }

  private onMessage(message: EnrichmentHubEvent): void {
    const bomId = message.data?.bom_id;
    const watch = bomId ? this.watches.get(bomId) : undefined;
    if (!watch) return;
    this.quality.event();
    watch.tracker.apply(message.event, message.id ?? null, message.data);
    if (message.event === EnrichmentEventNames.Progress) {
      const state = watch.tracker.current.progress;
      this.logger.debug('Progress update:', { bomId, enriched: state?.enriched_items, total: state?.total_items, percent: state?.percent_complete });
    }
    if (message.event !== EnrichmentEventNames.StreamEnd) return;
    const reason = (message.data as StreamEndEvent).reason;
    this.logger.debug('Stream ended:', { bomId, reason });
    if (reason === StreamEndReasons.Completed || reason === StreamEndReasons.Failed) {
      watch.ended = true;
      watch.tracker.setStatus('closed');
    } else if (this.connection.state === HubConnectionState.Connected) {
      // slow_consumer (and token_expired / server_shutdown until the connection itself closes): resume this BOM.
      void this.subscribe(bomId!, watch);
    }
  }
}
