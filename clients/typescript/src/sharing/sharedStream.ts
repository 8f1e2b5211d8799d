import type { TokenProvider } from '../api.js';
import { backoffDelay } from '../backoff.js';
import { createLogger, type Logger, type LogSink } from '../logger.js';
import { clientDefaults } from '../options.js';
import { ConnectionQualityMeter } from '../quality.js';
import type { ConnectionStatus, EnrichmentProgressTracker } from '../state.js';
import { SharedConnection, type SharedConnectionOptions, type SharedCore } from './sharedConnection.js';
import { sharingIdentity } from './subject.js';
import { Listeners } from '../listeners.js';

/** Options of {@link SharedBomStream}. */
export interface SharedBomStreamOptions {
  /** Names the connection kind: `sse`, `signalr-json`, `signalr-messagepack` (tabs share only the same kind). */
  kind: string;
  baseUrl: string;
  getToken: TokenProvider;
  /** Builds the leader's connection for this kind (given the getToken of the tab that leads). */
  createCore: () => SharedCore;
  debug?: boolean;
  logSink?: LogSink;
  /** Overrides for tests (election timing, locks, channel). */
  connection?: Partial<Omit<SharedConnectionOptions, 'name' | 'createCore' | 'logger'>>;
}

interface Entry {
  connection: SharedConnection;
  refs: number;
}

const registry = new Map<string, Entry>();
let lifecycleHooked = false;

/**
 * Frozen and back-forward-cached pages run nothing: they leave the election (a leader hands its connection on) and
 * rejoin when they come back. A closed tab says bye so the leader stops streaming its BOMs at once.
 */
function hookLifecycle(): void {
  if (lifecycleHooked || typeof document === 'undefined' || typeof window === 'undefined') return;
  lifecycleHooked = true;
  const pause = () => {
    for (const entry of registry.values()) entry.connection.pause();
  };
  const resume = () => {
    for (const entry of registry.values()) entry.connection.resume();
  };
  document.addEventListener('freeze', pause);
  document.addEventListener('resume', resume);
  window.addEventListener('pagehide', pause);
  window.addEventListener('pageshow', (event) => {
    if ((event as PageTransitionEvent).persisted) resume();
  });
}

/** True where tabs can share a connection (BroadcastChannel exists); elsewhere the hooks use their own connection. */
export function tabSharingAvailable(): boolean {
  return typeof BroadcastChannel !== 'undefined';
}

/** The channel and lock name of a connection: per origin (implicitly), version, kind, server and token identity. */
export function sharedConnectionName(kind: string, baseUrl: string, identity: string): string {
  return `notificationhub/v1/${kind}/${baseUrl}/${identity}`;
}

/**
 * One BOM over the connection this tab shares with the other tabs of the same user (see {@link SharedConnection}):
 * the `connect`/`disconnect`/`retry`/`quality` of {@link EnrichmentSseStream}, so the hooks use either. The first
 * connect reads the token's subject (`sub`, and `tenant_id`) to find the connection; tabs of other users never share.
 */
export class SharedBomStream {
  /** Connection-quality figures as this tab sees them. */
  readonly quality = new ConnectionQualityMeter();

  private readonly logger: Logger;
  private key: string | null = null;
  private connection: SharedConnection | null = null;
  private connecting = false;
  private wanted = false;
  private tokenFailures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly statusListeners = new Listeners<ConnectionStatus>();
  private statusOff: (() => void) | null = null;

  constructor(
    readonly bomId: string,
    readonly tracker: EnrichmentProgressTracker,
    private readonly options: SharedBomStreamOptions,
  ) {
    this.logger = createLogger(options.kind === 'sse' ? '[SSE]' : '[SignalR]', options.debug ?? clientDefaults.debug, options.logSink);
    let previous = tracker.current;
    tracker.subscribe((snapshot) => {
      if (snapshot.connectionStatus !== previous.connectionStatus) {
        if (snapshot.connectionStatus === 'connected') this.quality.opened();
        else if (previous.connectionStatus === 'connected') this.quality.closed();
        if (snapshot.connectionStatus === 'polling') this.quality.polling();
      }
      if (snapshot.lastEventId !== previous.lastEventId) this.quality.event();
      previous = snapshot;
    });
  }

  /** The shared connection's status ('idle' before connecting). */
  get connectionStatus(): ConnectionStatus {
    return this.connection?.connectionStatus ?? 'idle';
  }

  /** Listens to changes of {@link connectionStatus}; returns the unsubscribe function. */
  onConnectionStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.statusListeners.add(listener);
  }

  /** The shared connection, once connected (tests look at its leadership). */
  get shared(): SharedConnection | null {
    return this.connection;
  }

  /** Watches the BOM over the shared connection (while watching: follows a new run after a finished one). */
  connect(): void {
    this.wanted = true;
    if (this.connection) {
      // Connected already: a connect after a finished run (Re-Enrich) follows the next one.
      if (this.tracker.isTerminal || this.tracker.current.connectionStatus === 'closed') this.connection.restart(this.bomId);
      return;
    }
    if (this.connecting) return;
    this.connecting = true;
    if (this.tracker.current.connectionStatus === 'idle' || this.tracker.current.connectionStatus === 'disconnected') this.tracker.setStatus('connecting');
    void (async () => {
      let token: string;
      try {
        token = await this.options.getToken();
      } catch (error) {
        this.logger.error('Could not get a token', { bomId: this.bomId, error: String(error) });
        this.tracker.setStatus('error');
        this.tracker.reportError('Could not get a token');
        // Try again with the backoff, as an unshared stream would.
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          if (this.wanted && !this.connection) this.connect();
        }, backoffDelay(this.tokenFailures++));
        return;
      } finally {
        this.connecting = false;
      }
      this.tokenFailures = 0;
      if (!this.wanted || this.connection) return;
      const name = sharedConnectionName(this.options.kind, this.options.baseUrl, sharingIdentity(token));
      let entry = registry.get(name);
      if (!entry) {
        hookLifecycle();
        entry = {
          connection: new SharedConnection({ ...this.options.connection, name, createCore: this.options.createCore, logger: this.logger }),
          refs: 0,
        };
        registry.set(name, entry);
      }
      entry.refs++;
      this.key = name;
      this.connection = entry.connection;
      this.statusOff = entry.connection.onStatus((status) => {
        this.statusListeners.emit(status);
      });
      entry.connection.watch(this.bomId, this.tracker);
      this.statusListeners.emit(entry.connection.connectionStatus);
    })();
  }

  /** Stops watching; the last watcher of the tab closes its end of the shared connection. */
  disconnect(): void {
    this.wanted = false;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const connection = this.connection;
    const key = this.key;
    this.connection = null;
    this.key = null;
    this.statusOff?.();
    this.statusOff = null;
    if (!connection || key === null) {
      this.tracker.setStatus('disconnected');
      return;
    }
    connection.unwatch(this.bomId, this.tracker);
    const entry = registry.get(key);
    if (entry && --entry.refs === 0) {
      registry.delete(key);
      entry.connection.close();
    }
  }

  /** Reconnects the shared connection now. */
  retry(): void {
    if (this.connection) this.connection.retry();
    else this.connect();
  }
}
