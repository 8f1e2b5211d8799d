import { EnrichmentEventNames, isTerminal, type EnrichmentEnvelope } from '../contracts.js';
import type { Logger } from '../logger.js';
import { ConnectionQualityMeter } from '../quality.js';
import { compareLogIds, EnrichmentProgressTracker, type ConnectionStatus, type EnrichmentCallbacks } from '../state.js';
import { defaultElectionTiming, TabElection, type ElectionTiming, type LockManagerLike } from './election.js';
import { isRelayMessage, relayVersion, type RelayMessage, type RelayPayload, type RelayWatch } from './protocol.js';
import { Listeners } from '../listeners.js';

/** What the leader runs: {@link MultiBomSseStream} or {@link EnrichmentHubClient} (both many BOMs, one connection). */
export interface SharedCore {
  watch(bomId: string, callbacks?: EnrichmentCallbacks, tracker?: EnrichmentProgressTracker): EnrichmentProgressTracker;
  unwatch(bomId: string): unknown;
  start(): unknown;
  stop(): unknown;
  retry(): unknown;
  /** The connection's own status (both cores have it): relayed so every tab can show it. */
  onStatus?(listener: (status: ConnectionStatus) => void): () => void;
}

/** The part of BroadcastChannel the relay uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

/** Options of {@link SharedConnection}. */
export interface SharedConnectionOptions {
  /** The channel and lock name: one per origin, transport, server and token subject. */
  name: string;
  /** Builds the leader's connection (called on every takeover). */
  createCore: () => SharedCore;
  logger: Logger;
  /** The Web Locks API (default `navigator.locks`; null: the channel-only fallback election). */
  locks?: LockManagerLike | null;
  /** A channel factory (default: `new BroadcastChannel(name)`). */
  channel?: (name: string) => ChannelLike;
  timing?: ElectionTiming;
  /** After winning, the leader waits this long for the followers' watches before connecting (default 100 ms). */
  gatherMs?: number;
  /**
   * Followers re-announce their watches this often (default 60 s); the leader drops the BOMs of a tab it has not heard
   * from in five of these (a crashed tab, which could not say bye).
   */
  announceEveryMs?: number;
}

interface LocalWatch {
  trackers: Set<EnrichmentProgressTracker>;
  /** The last log id this tab applied: relayed events at or before it are dropped (each tab sees each event once). */
  lastId: string | null;
  /** The last bus event, replayed to a tracker that joins later. */
  lastEvent: { event: string; id: string | null; data: unknown } | null;
}

interface CoreWatch {
  tracker: EnrichmentProgressTracker;
  unsubscribe: () => void;
  /** The last bus event, the snapshot a tab that joins late gets. */
  lastEvent: { event: string; id: string | null; data: unknown } | null;
  status: ConnectionStatus;
  error: string | null;
}

const logIdPattern = /^\d{1,20}-\d{1,20}$/;
const busEvents = new Set<string>([EnrichmentEventNames.Started, EnrichmentEventNames.Progress, EnrichmentEventNames.Completed, EnrichmentEventNames.Failed]);

function newTabId(): string {
  const random = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : Math.random().toString(36).slice(2);
  return `${Date.now().toString(36).padStart(9, '0')}-${random}`;
}

/** The earlier of two resume ids (null, "from the snapshot", is earliest). */
function earlier(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  return (compareLogIds(a, b) ?? 0) <= 0 ? a : b;
}

/**
 * One tab's end of a connection shared by every tab of the origin with the same token subject. The tabs elect a
 * leader ({@link TabElection}); the leader runs the one connection ({@link SharedCore}) for the union of the BOMs all
 * tabs watch and relays its events over BroadcastChannel; followers announce their watches (with their last ids) and
 * apply the relayed events. A new leader waits `gatherMs` for the followers' announcements and resumes every BOM from
 * the earliest last id any tab has, so nothing is lost; each tab drops events at or before its own last id, so nothing
 * is applied twice. The message format is {@link RelayMessage} (version {@link relayVersion}).
 */
export class SharedConnection {
  /** This tab's id on the channel. */
  readonly tabId = newTabId();
  /** Connection-quality figures as this tab sees them (relayed statuses and events). */
  readonly quality = new ConnectionQualityMeter();

  private readonly channel: ChannelLike;
  private readonly election: TabElection;
  private readonly local = new Map<string, LocalWatch>();
  private readonly remote = new Map<string, RelayWatch[]>();
  private readonly coreWatches = new Map<string, CoreWatch>();
  private core: SharedCore | null = null;
  private coreStatusOff: (() => void) | null = null;
  private status: ConnectionStatus = 'idle';
  private readonly statusListeners = new Listeners<ConnectionStatus>();
  private gatherTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly remoteSeen = new Map<string, number>();
  private readonly sweepTimer: ReturnType<typeof setInterval>;

  constructor(private readonly options: SharedConnectionOptions) {
    this.channel = (options.channel ?? ((name) => new BroadcastChannel(name) as unknown as ChannelLike))(options.name);
    this.channel.onmessage = (event) => {
      if (isRelayMessage(event.data)) this.onMessage(event.data);
    };
    const locks =
      options.locks !== undefined
        ? options.locks
        : ((globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks ?? null);
    this.election = new TabElection(
      options.name,
      this.tabId,
      {
        post: (message) => this.post(message),
        onLeadership: (leader) => (leader ? this.lead() : this.follow()),
        onNewLeader: () => this.announce(),
      },
      locks,
      options.timing ?? defaultElectionTiming,
    );
    this.election.start();
    // An interval, not a chained timeout: hidden tabs run it at most once a minute, which is all it needs.
    this.sweepTimer = setInterval(() => this.sweep(), options.announceEveryMs ?? 60_000);
  }

  /** Follower: re-announce (a leader's proof that this tab lives). Leader: drop the BOMs of tabs gone silent. */
  private sweep(): void {
    if (!this.isLeader) {
      if (this.local.size > 0) this.announce();
      return;
    }
    const cutoff = Date.now() - 5 * (this.options.announceEveryMs ?? 60_000);
    let dropped = false;
    for (const [tab, seen] of this.remoteSeen) {
      if (seen >= cutoff) continue;
      this.remoteSeen.delete(tab);
      dropped = this.remote.delete(tab) || dropped;
    }
    if (dropped) this.reconcile();
  }

  /** True while this tab holds the connection. */
  get isLeader(): boolean {
    return this.election.isLeader;
  }

  /** True when the election uses Web Locks (false: the fallback). */
  get usesLocks(): boolean {
    return this.election.usesLocks;
  }

  /** The shared connection's status as this tab knows it (the leader's, relayed). */
  get connectionStatus(): ConnectionStatus {
    return this.status;
  }

  /** Listens to changes of {@link connectionStatus}; returns the unsubscribe function. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.statusListeners.add(listener);
  }

  /** BOMs this tab watches. */
  get watchedBoms(): string[] {
    return [...this.local.keys()];
  }

  /** Watches a BOM with `tracker` (resuming after its last event id, when it has one). */
  watch(bomId: string, tracker: EnrichmentProgressTracker): void {
    let entry = this.local.get(bomId);
    if (!entry) {
      const last = tracker.current.lastEventId;
      entry = { trackers: new Set(), lastId: last !== null && logIdPattern.test(last) ? last : null, lastEvent: null };
      this.local.set(bomId, entry);
    } else if (!entry.trackers.has(tracker)) {
      // Another hook of this tab watches the BOM already: start where it is.
      const other = entry.trackers.values().next().value;
      if (other) tracker.setStatus(other.current.connectionStatus);
      if (entry.lastEvent) this.applySnapshot(tracker, entry.lastEvent);
    }
    const known = entry.trackers.size > 0;
    entry.trackers.add(tracker);
    if (this.isLeader) {
      this.reconcile();
      this.catchUp(null, bomId, entry.lastId);
    } else {
      if (!known) tracker.setStatus('connecting');
      this.announce();
    }
  }

  /** Stops watching a BOM with `tracker`. */
  unwatch(bomId: string, tracker: EnrichmentProgressTracker): void {
    const entry = this.local.get(bomId);
    if (!entry || !entry.trackers.delete(tracker)) return;
    tracker.setStatus('disconnected');
    if (entry.trackers.size > 0) return;
    this.local.delete(bomId);
    if (this.isLeader) this.reconcile();
    else this.announce();
  }

  /** Follows a new run of a BOM whose stream ended (Re-Enrich): the connection watches it again from its last id. */
  restart(bomId: string): void {
    if (!this.local.has(bomId)) return;
    if (this.isLeader) {
      if (this.coreWatches.has(bomId)) this.core?.watch(bomId);
    } else {
      this.post({ type: 'restart', bom_id: bomId });
    }
  }

  /** Reconnects the shared connection now (the retry button of any tab). */
  retry(): void {
    if (this.isLeader) void this.core?.retry();
    else this.post({ type: 'retry' });
  }

  /** Leaves for good: says bye (so a leader drops this tab's BOMs), resigns, closes the channel. */
  close(): void {
    if (this.closed) return;
    this.pause();
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.channel.close();
  }

  /** Leaves for now (the tab is frozen or hidden into the back-forward cache): as close, but {@link resume} rejoins. */
  pause(): void {
    if (this.closed) return;
    this.post({ type: 'bye' });
    this.election.stop();
  }

  /** Rejoins after {@link pause}. */
  resume(): void {
    if (this.closed) return;
    this.election.start();
    this.announce(); // the leader dropped this tab's BOMs on its bye
  }

  private post(message: RelayPayload): void {
    if (this.closed) return;
    try {
      this.channel.postMessage({ ...message, v: relayVersion, from: this.tabId });
    } catch (error) {
      this.options.logger.warn('Could not post to the other tabs', { error: String(error) });
    }
  }

  private onMessage(message: RelayMessage): void {
    if (message.from === this.tabId) return;
    const fromLeader = message.from === this.election.currentLeader;
    this.election.handle(message);
    if (message.type === 'bye' && fromLeader && !this.isLeader) {
      // The connection went with the leader; the next one resumes (statuses come from it).
      this.setStatus('reconnecting');
      for (const entry of this.local.values()) for (const tracker of entry.trackers) if (tracker.current.connectionStatus === 'connected') tracker.setStatus('reconnecting');
    }
    switch (message.type) {
      case 'event':
        if (!this.isLeader && (message.to === undefined || message.to === this.tabId)) this.dispatch(message.bom_id, message.event, message.id, message.data);
        break;
      case 'status':
        if (!this.isLeader && (message.to === undefined || message.to === this.tabId)) this.localStatus(message.bom_id, message.status, message.error ?? null);
        break;
      case 'connection':
        if (!this.isLeader && (message.to === undefined || message.to === this.tabId)) this.setStatus(message.status);
        break;
      case 'watch':
        if (!this.isLeader) break;
        this.post({ type: 'connection', to: message.from, status: this.status });
        this.remote.set(message.from, Array.isArray(message.boms) ? message.boms : []);
        this.remoteSeen.set(message.from, Date.now());
        this.reconcile();
        for (const watch of this.remote.get(message.from) ?? []) this.catchUp(message.from, watch.bom_id, watch.last_event_id);
        break;
      case 'bye':
        this.remoteSeen.delete(message.from);
        if (this.isLeader && this.remote.delete(message.from)) this.reconcile();
        break;
      case 'retry':
        if (this.isLeader) void this.core?.retry();
        break;
      case 'restart':
        if (this.isLeader && this.coreWatches.has(message.bom_id)) this.core?.watch(message.bom_id);
        break;
      default:
        break;
    }
  }

  /** A follower's announcement: every watched BOM with this tab's last id. */
  private announce(): void {
    if (this.isLeader) return;
    this.post({ type: 'watch', boms: [...this.local].map(([bomId, entry]) => ({ bom_id: bomId, last_event_id: entry.lastId })) });
  }

  private lead(): void {
    this.options.logger.debug('This tab holds the shared connection', { tab: this.tabId, locks: this.usesLocks });
    this.remote.clear();
    this.remoteSeen.clear();
    // Followers re-announce on hearing `leader`; give them a moment so the first connection covers every tab's BOMs.
    this.gatherTimer = setTimeout(() => {
      this.gatherTimer = null;
      if (!this.isLeader) return;
      const core = this.options.createCore();
      this.core = core;
      this.coreStatusOff =
        core.onStatus?.((status) => {
          if (this.core !== core) return;
          this.setStatus(status);
          this.post({ type: 'connection', status });
        }) ?? null;
      this.reconcile();
      void this.core.start();
    }, this.options.gatherMs ?? 100);
  }

  private follow(): void {
    this.options.logger.debug('Another tab holds the shared connection', { tab: this.tabId });
    if (this.gatherTimer !== null) clearTimeout(this.gatherTimer);
    this.gatherTimer = null;
    const core = this.core;
    this.core = null;
    this.coreStatusOff?.();
    this.coreStatusOff = null;
    this.setStatus('reconnecting');
    for (const watch of this.coreWatches.values()) watch.unsubscribe();
    this.coreWatches.clear();
    this.remote.clear();
    void core?.stop();
    for (const entry of this.local.values()) for (const tracker of entry.trackers) tracker.setStatus('reconnecting');
  }

  /** The leader's connection follows the union of every tab's BOMs, each from the earliest last id. */
  private reconcile(): void {
    const core = this.core;
    if (!core) return;
    const wanted = new Map<string, string | null>();
    const want = (bomId: string, lastId: string | null) =>
      wanted.set(bomId, wanted.has(bomId) ? earlier(wanted.get(bomId)!, lastId) : lastId);
    for (const [bomId, entry] of this.local) want(bomId, entry.lastId);
    for (const boms of this.remote.values()) for (const watch of boms) if (typeof watch.bom_id === 'string') want(watch.bom_id, watch.last_event_id ?? null);
    for (const [bomId, watch] of this.coreWatches) {
      if (wanted.has(bomId)) continue;
      watch.unsubscribe();
      this.coreWatches.delete(bomId);
      void core.unwatch(bomId);
    }
    for (const [bomId, lastId] of wanted) {
      if (this.coreWatches.has(bomId)) continue;
      const tracker = new EnrichmentProgressTracker(bomId, { onEvent: (event) => this.fromCore(bomId, event.event, event.id, event.data) });
      tracker.resumeFrom(lastId);
      const watch: CoreWatch = { tracker, unsubscribe: () => undefined, lastEvent: null, status: 'idle', error: null };
      watch.unsubscribe = tracker.subscribe((snapshot) => {
        if (snapshot.connectionStatus !== watch.status) {
          watch.status = snapshot.connectionStatus;
          this.post({ type: 'status', bom_id: bomId, status: watch.status });
          this.localStatus(bomId, watch.status, null);
        }
        const error = snapshot.isFailed ? null : snapshot.error;
        if (error !== watch.error) {
          watch.error = error;
          if (error !== null) {
            this.post({ type: 'status', bom_id: bomId, status: watch.status, error });
            this.localStatus(bomId, watch.status, error);
          }
        }
      });
      this.coreWatches.set(bomId, watch);
      core.watch(bomId, undefined, tracker);
    }
  }

  /** An event of the leader's connection: relayed to every tab, applied here. */
  private fromCore(bomId: string, event: string, id: string | null, data: unknown): void {
    if (event === EnrichmentEventNames.KeepAlive) return;
    const watch = this.coreWatches.get(bomId);
    if (watch && busEvents.has(event)) {
      const last = watch.lastEvent?.id ?? null;
      if (id === null || last === null || (compareLogIds(id, last) ?? 1) > 0) watch.lastEvent = { event, id, data };
    }
    this.post({ type: 'event', bom_id: bomId, event, id, data });
    this.dispatch(bomId, event, id, data);
  }

  /**
   * A tab (`to`; null: this one) watches `bomId` from `lastId` while the connection is already past it: send it the
   * snapshot, as a stream opened without a resume id would (the last event, re-typed `progress` unless terminal).
   */
  private catchUp(to: string | null, bomId: string, lastId: string | null): void {
    const watch = this.coreWatches.get(bomId);
    if (!watch) return;
    const send = (message: RelayPayload) => (to === null ? undefined : this.post({ ...message, to } as RelayPayload));
    send({ type: 'status', bom_id: bomId, status: watch.status });
    if (to === null) this.localStatus(bomId, watch.status, null);
    const last = watch.lastEvent;
    if (!last || (lastId !== null && last.id !== null && (compareLogIds(last.id, lastId) ?? 1) <= 0)) return;
    const snapshot = this.snapshotOf(last);
    send({ type: 'event', bom_id: bomId, event: snapshot.event, id: snapshot.id, data: snapshot.data });
    if (to === null) this.dispatch(bomId, snapshot.event, snapshot.id, snapshot.data);
  }

  private snapshotOf(last: { event: string; id: string | null; data: unknown }): { event: string; id: string | null; data: unknown } {
    if (isTerminal(last.event) || last.event === EnrichmentEventNames.Progress) return last;
    return { event: EnrichmentEventNames.Progress, id: last.id, data: { ...(last.data as EnrichmentEnvelope), event_type: EnrichmentEventNames.Progress } };
  }

  private applySnapshot(tracker: EnrichmentProgressTracker, last: { event: string; id: string | null; data: unknown }): void {
    const snapshot = this.snapshotOf(last);
    tracker.apply(snapshot.event, snapshot.id, snapshot.data);
  }

  /** Applies an event to this tab's trackers of the BOM, once: events at or before the tab's last id are dropped. */
  private dispatch(bomId: string, event: string, id: string | null, data: unknown): void {
    const entry = this.local.get(bomId);
    if (!entry) return;
    if (id !== null && entry.lastId !== null && (compareLogIds(id, entry.lastId) ?? 1) <= 0) return;
    if (id !== null && logIdPattern.test(id)) entry.lastId = id;
    if (busEvents.has(event)) entry.lastEvent = { event, id, data };
    this.quality.event();
    for (const tracker of entry.trackers) tracker.apply(event, id, data);
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.statusListeners.emit(status);
  }

  private localStatus(bomId: string, status: ConnectionStatus, error: string | null): void {
    const entry = this.local.get(bomId);
    if (!entry) return;
    if (status === 'connected') this.quality.opened();
    else if (status === 'reconnecting' || status === 'polling') this.quality.closed();
    if (status === 'polling') this.quality.polling();
    for (const tracker of entry.trackers) {
      tracker.setStatus(status);
      if (error !== null) tracker.reportError(error);
    }
  }
}
