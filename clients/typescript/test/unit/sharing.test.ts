// @vitest-environment node
// Node 20 has the real BroadcastChannel (messages cross between the "tabs" of this process as between a browser's).
import { afterEach, describe, expect, it } from 'vitest';
import type { LockManagerLike } from '../../src/sharing/election.js';
import { relayVersion } from '../../src/sharing/protocol.js';
import { SharedConnection, type SharedCore } from '../../src/sharing/sharedConnection.js';
import { sharingIdentity, tokenSubject } from '../../src/sharing/subject.js';
import { EnrichmentProgressTracker, type ConnectionStatus, type ReceivedEvent } from '../../src/state.js';
import { envelope } from '../support/fakeEventSource.js';
import { MemoryLocks } from '../support/memoryLocks.js';
import { mintToken } from '../support/tokens.js';
import { uniqueBomId, waitFor } from '../support/wait.js';

/** The leader's connection, driven by the test: it records its watches and emits events through their trackers. */
class ScriptedCore implements SharedCore {
  static all: ScriptedCore[] = [];
  readonly watches = new Map<string, EnrichmentProgressTracker>();
  /** Every watch call, in order (a second one for a BOM: follow its new run). */
  readonly watchCalls: string[] = [];
  started = false;
  stopped = false;
  retries = 0;
  private readonly statusListeners = new Set<(status: ConnectionStatus) => void>();
  constructor(readonly tab: string) {
    ScriptedCore.all.push(this);
  }
  watch(bomId: string, _callbacks?: unknown, tracker?: EnrichmentProgressTracker): EnrichmentProgressTracker {
    this.watchCalls.push(bomId);
    const t = tracker ?? this.watches.get(bomId) ?? new EnrichmentProgressTracker(bomId);
    this.watches.set(bomId, t);
    t.setStatus(this.started ? 'connected' : 'idle');
    return t;
  }
  unwatch(bomId: string): void {
    this.watches.delete(bomId);
  }
  start(): void {
    this.started = true;
    for (const tracker of this.watches.values()) tracker.setStatus('connected');
    for (const listener of this.statusListeners) listener('connected');
  }
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }
  stop(): void {
    this.stopped = true;
  }
  retry(): void {
    this.retries++;
  }
  emit(bomId: string, type: string, id: string, processed: number): void {
    const tracker = this.watches.get(bomId);
    if (!tracker) throw new Error(`The core does not watch ${bomId}`);
    tracker.apply(type, id, { ...envelope(type, id, processed), bom_id: bomId });
  }
}

const quiet = { debug: () => {}, warn: () => {}, error: () => {} };
const timing = { heartbeatMs: 40, leaseMs: 200 };
let tabs: SharedConnection[] = [];

function openTab(name: string, locks: LockManagerLike | null = null, announceEveryMs = 60_000): SharedConnection {
  let tab: SharedConnection | null = null;
  tab = new SharedConnection({ name, locks, timing, gatherMs: 20, announceEveryMs, logger: quiet, createCore: (): SharedCore => new ScriptedCore(tab!.tabId) });
  tabs.push(tab);
  return tab;
}

function watchBom(tab: SharedConnection, bomId: string): { tracker: EnrichmentProgressTracker; events: ReceivedEvent[] } {
  const events: ReceivedEvent[] = [];
  const tracker = new EnrichmentProgressTracker(bomId, { onEvent: (event) => events.push(event) });
  tab.watch(bomId, tracker);
  return { tracker, events };
}

const leaders = () => tabs.filter((tab) => tab.isLeader);
const coreOf = (tab: SharedConnection) => ScriptedCore.all.filter((core) => core.tab === tab.tabId && !core.stopped).at(-1);
const busIds = (events: ReceivedEvent[]) => events.filter((e) => e.id !== null).map((e) => e.id);

afterEach(() => {
  for (const tab of tabs) tab.close();
  tabs = [];
  ScriptedCore.all = [];
});

const lockModes: Array<[string, () => LockManagerLike | null]> = [
  ['the channel-only fallback (no Web Locks)', () => null],
  ['Web Locks', () => new MemoryLocks()],
];

describe.each(lockModes)('tab sharing with %s', (_label, makeLocks) => {
  it('elects exactly one leader among three tabs, whose one connection watches every tab\'s BOMs', async () => {
    const name = uniqueBomId('share');
    const locks = makeLocks();
    const opened = [openTab(name, locks), openTab(name, locks), openTab(name, locks)];
    opened.forEach((tab, index) => watchBom(tab, `bom-${index}`));
    await waitFor(() => leaders().length === 1 && coreOf(leaders()[0]!)?.started === true, 'one leader with a started connection', 5000);
    const core = coreOf(leaders()[0]!)!;
    await waitFor(() => core.watches.size === 3, 'the union of the three tabs\' BOMs', 5000);
    expect([...core.watches.keys()].sort()).toEqual(['bom-0', 'bom-1', 'bom-2']);
    await new Promise((resolve) => setTimeout(resolve, 3 * timing.leaseMs));
    expect(leaders()).toHaveLength(1); // and it stays one
    expect(ScriptedCore.all.filter((c) => !c.stopped)).toHaveLength(1);
  });

  it('relays each event to the tab watching its BOM once, even when the connection delivers it twice', async () => {
    const name = uniqueBomId('share');
    const locks = makeLocks();
    const first = openTab(name, locks);
    await waitFor(() => first.isLeader && coreOf(first) !== undefined, 'the first tab to lead', 5000);
    const second = openTab(name, locks);
    const watched = watchBom(second, 'bom-b');
    const core = coreOf(first)!;
    await waitFor(() => core?.watches.has('bom-b') === true, 'the leader to watch the follower\'s BOM', 5000);
    core.emit('bom-b', 'enrichment.started', '1-0', 0);
    core.emit('bom-b', 'progress', '2-0', 5);
    core.emit('bom-b', 'progress', '2-0', 5); // a resume's overlap
    core.emit('bom-b', 'enrichment.completed', '3-0', 10);
    await waitFor(() => watched.tracker.current.isComplete, 'the follower to see the completion');
    expect(busIds(watched.events)).toEqual(['1-0', '2-0', '3-0']);
    expect(watched.tracker.current.connectionStatus).toBe('connected');
  });

  it('gives a tab that joins mid-run the snapshot (the last event as progress), then the live events', async () => {
    const name = uniqueBomId('share');
    const locks = makeLocks();
    const first = openTab(name, locks);
    const own = watchBom(first, 'bom-x');
    await waitFor(() => coreOf(first)?.watches.has('bom-x') === true, 'the leader to connect', 5000);
    const core = coreOf(first)!;
    core.emit('bom-x', 'enrichment.started', '5-0', 0);
    core.emit('bom-x', 'progress', '6-0', 4);
    const late = watchBom(openTab(name, locks), 'bom-x');
    await waitFor(() => late.tracker.current.progress?.processed_items === 4, 'the late tab\'s snapshot');
    core.emit('bom-x', 'progress', '7-0', 5);
    await waitFor(() => late.tracker.current.lastEventId === '7-0', 'the live event');
    expect(late.events.filter((e) => e.id !== null).map((e) => [e.event, e.id])).toEqual([['progress', '6-0'], ['progress', '7-0']]);
    expect(busIds(own.events)).toEqual(['5-0', '6-0', '7-0']);
  });

  it('hands the connection on when the leader tab closes: the new leader resumes every BOM from the last ids', async () => {
    const name = uniqueBomId('share');
    const locks = makeLocks();
    const first = openTab(name, locks);
    watchBom(first, 'bom-1');
    await waitFor(() => first.isLeader && coreOf(first)?.started === true, 'the first tab to lead', 5000);
    const second = openTab(name, locks);
    const third = openTab(name, locks);
    const b = watchBom(second, 'bom-2');
    const c = watchBom(third, 'bom-3');
    const core = coreOf(first)!;
    await waitFor(() => core.watches.size === 3, 'the leader to watch three BOMs', 5000);
    core.emit('bom-2', 'progress', '10-0', 1);
    core.emit('bom-3', 'progress', '11-0', 2);
    await waitFor(() => b.tracker.current.lastEventId === '10-0' && c.tracker.current.lastEventId === '11-0', 'the relayed events');
    first.close();
    await waitFor(() => leaders().some((tab) => tab !== first) && coreOf(leaders().find((t) => t !== first)!)?.watches.size === 2, 'a new leader for both BOMs', 5000);
    const next = leaders().find((tab) => tab !== first)!;
    const nextCore = coreOf(next)!;
    expect(nextCore.watches.get('bom-2')!.current.lastEventId).toBe('10-0');
    expect(nextCore.watches.get('bom-3')!.current.lastEventId).toBe('11-0');
    expect(nextCore.watches.has('bom-1')).toBe(false); // the closed tab's BOM is no longer streamed
    nextCore.emit('bom-2', 'progress', '10-0', 1); // the resume's overlap: dropped
    nextCore.emit('bom-2', 'progress', '12-0', 3);
    nextCore.emit('bom-3', 'progress', '13-0', 4);
    await waitFor(() => b.tracker.current.lastEventId === '12-0' && c.tracker.current.lastEventId === '13-0', 'events after the takeover');
    expect(busIds(b.events)).toEqual(['10-0', '12-0']);
    expect(busIds(c.events)).toEqual(['11-0', '13-0']);
  });

  it('a follower that was frozen (paused) and resumes gets its BOM streamed again from its last id', async () => {
    const name = uniqueBomId('share');
    const locks = makeLocks();
    const first = openTab(name, locks);
    await waitFor(() => first.isLeader && coreOf(first) !== undefined, 'the first tab to lead', 5000);
    const second = openTab(name, locks);
    const b = watchBom(second, 'bom-p');
    const core = coreOf(first)!;
    await waitFor(() => core.watches.has('bom-p'), 'the leader to watch', 5000);
    core.emit('bom-p', 'progress', '30-0', 1);
    await waitFor(() => b.tracker.current.lastEventId === '30-0', 'the relayed event');
    second.pause();
    await waitFor(() => !core.watches.has('bom-p'), 'the leader to drop the paused tab\'s BOM', 5000);
    second.resume();
    await waitFor(() => core.watches.get('bom-p')?.current.lastEventId === '30-0', 'the BOM watched again from the tab\'s last id', 5000);
    core.emit('bom-p', 'progress', '31-0', 2);
    await waitFor(() => b.tracker.current.lastEventId === '31-0', 'events after the resume');
    expect(busIds(b.events)).toEqual(['30-0', '31-0']);
    expect(first.isLeader).toBe(true);
  });

  it('replaces a leader that stops answering (a frozen tab) after the lease', async () => {
    const name = uniqueBomId('share');
    const locks = makeLocks();
    const first = openTab(name, locks);
    await waitFor(() => first.isLeader, 'the first tab to lead', 5000);
    const second = openTab(name, locks);
    const b = watchBom(second, 'bom-f');
    await waitFor(() => coreOf(first)?.watches.has('bom-f') === true, 'the leader to watch', 5000);
    coreOf(first)!.emit('bom-f', 'progress', '20-0', 1);
    await waitFor(() => b.tracker.current.lastEventId === '20-0', 'the relayed event');
    // Frozen: the tab runs nothing, so it neither hears nor answers (it keeps its lock).
    (first as unknown as { channel: { onmessage: unknown; postMessage: unknown } }).channel.onmessage = null;
    (first as unknown as { channel: { postMessage: unknown } }).channel.postMessage = () => undefined;
    await waitFor(() => second.isLeader && coreOf(second)?.watches.has('bom-f') === true, 'the follower to take over', 5000);
    expect(coreOf(second)!.watches.get('bom-f')!.current.lastEventId).toBe('20-0');
  });
});

describe('the relay protocol', () => {
  it('ignores messages of another version', async () => {
    const name = uniqueBomId('share');
    const tab = openTab(name);
    const watched = watchBom(tab, 'bom-v');
    await waitFor(() => tab.isLeader, 'the tab to lead', 5000);
    const other = new BroadcastChannel(name);
    other.postMessage({ v: relayVersion + 1, type: 'event', from: 'x', bom_id: 'bom-v', event: 'progress', id: '1-0', data: envelope('progress', '1-0', 1) });
    other.postMessage({ v: relayVersion + 1, type: 'leader', from: '0' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    other.close();
    expect(watched.events.filter((e) => e.id !== null)).toEqual([]);
    expect(tab.isLeader).toBe(true);
  });

  it('a follower\'s retry reaches the leader\'s connection', async () => {
    const name = uniqueBomId('share');
    const first = openTab(name);
    await waitFor(() => first.isLeader && coreOf(first) !== undefined, 'the first tab to lead', 5000);
    const second = openTab(name);
    watchBom(second, 'bom-r');
    await waitFor(() => coreOf(first)!.watches.has('bom-r'), 'the leader to watch', 5000);
    second.retry();
    await waitFor(() => coreOf(first)!.retries === 1, 'the retry');
  });

  it('relays the leader\'s connection status to every follower, also one that joins later', async () => {
    const name = uniqueBomId('share');
    const first = openTab(name);
    await waitFor(() => first.isLeader, 'the first tab to lead', 5000);
    const early = openTab(name);
    watchBom(early, 'bom-s');
    await waitFor(() => early.connectionStatus === 'connected', 'the early follower to see connected', 5000);
    expect(first.connectionStatus).toBe('connected');
    const late = openTab(name);
    watchBom(late, 'bom-t');
    await waitFor(() => late.connectionStatus === 'connected', 'the late follower to see connected', 5000);
  });

  it('drops the BOMs of a tab that crashed (went silent without bye) and keeps those of a live one', async () => {
    const name = uniqueBomId('share');
    const first = openTab(name, null, 40);
    await waitFor(() => first.isLeader && coreOf(first) !== undefined, 'the first tab to lead', 5000);
    const live = openTab(name, null, 40);
    const crashed = openTab(name, null, 40);
    watchBom(live, 'bom-live');
    watchBom(crashed, 'bom-crashed');
    const core = coreOf(first)!;
    await waitFor(() => core.watches.has('bom-live') && core.watches.has('bom-crashed'), 'the leader to watch both', 5000);
    // A crash: the tab runs nothing more and says nothing.
    const internals = crashed as unknown as { sweepTimer: ReturnType<typeof setInterval>; channel: { postMessage: unknown } };
    clearInterval(internals.sweepTimer);
    internals.channel.postMessage = () => undefined;
    await waitFor(() => !core.watches.has('bom-crashed'), 'the crashed tab\'s BOM to be dropped', 5000);
    expect(core.watches.has('bom-live')).toBe(true);
  });

  it('a follower following a new run of an ended BOM makes the leader watch it again', async () => {
    const name = uniqueBomId('share');
    const first = openTab(name);
    await waitFor(() => first.isLeader && coreOf(first) !== undefined, 'the first tab to lead', 5000);
    const second = openTab(name);
    watchBom(second, 'bom-again');
    await waitFor(() => coreOf(first)!.watches.has('bom-again'), 'the leader to watch', 5000);
    second.restart('bom-again');
    await waitFor(() => coreOf(first)!.watchCalls.filter((b) => b === 'bom-again').length === 2, 'the second watch');
  });

  it('reads the token subject and tenant without verifying the token', () => {
    expect(tokenSubject(mintToken('acme', { sub: 'user-42' }))).toBe('user-42');
    expect(tokenSubject(mintToken('acme', { sub: 'ü-ñ' }))).toBe('ü-ñ');
    expect(tokenSubject('not-a-jwt')).toBeNull();
    expect(tokenSubject('a.%%%.c')).toBeNull();
    expect(sharingIdentity(mintToken('acme', { sub: 'user-42' }))).toBe('user-42@acme');
    expect(sharingIdentity('opaque-token')).toBe('anonymous');
  });
});
