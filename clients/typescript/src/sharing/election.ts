import type { RelayMessage, RelayPayload } from './protocol.js';

/** The part of the Web Locks API the election uses (`navigator.locks`). */
export interface LockManagerLike {
  request(name: string, options: { steal?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => unknown): Promise<unknown>;
}

/** Timing of the election. */
export interface ElectionTiming {
  /** A follower that heard nothing from the leader for this long asks (`ping`), ms (default 1000). */
  heartbeatMs: number;
  /** A `ping` (or `claim`) unanswered for this long means no live leader: take over, ms (default 3000). */
  leaseMs: number;
}

/** The defaults of {@link ElectionTiming}. */
export const defaultElectionTiming: ElectionTiming = { heartbeatMs: 1000, leaseMs: 3000 };

/** What the election needs from the connection around it. */
export interface ElectionHost {
  /** Posts a message on the channel (the host adds `v` and `from`). */
  post(message: RelayPayload): void;
  /** Leadership changed (true: this tab leads now). */
  onLeadership(leader: boolean): void;
  /** Another tab became the leader (a follower re-announces its watches to it). */
  onNewLeader(tabId: string): void;
}

/**
 * One leader per channel among the tabs of an origin. With the Web Locks API: every tab queues for an exclusive lock
 * and the holder leads; when it closes the browser grants the lock to the next tab at once. A leader that stops
 * answering (a frozen tab keeps its lock) is replaced by a follower that requests the lock with `steal`; the frozen
 * tab learns it lost the lock when it thaws (its request rejects) and follows. Without Web Locks (the fallback): a
 * tab that hears no leader within `leaseMs` claims leadership over the channel and the lowest tab id among the
 * claimants wins; a leader that hears another leader with a lower id steps down.
 *
 * Liveness is asked, not broadcast: a follower pings only after a silence, and counts the leader as gone only when
 * that ping stays unanswered for `leaseMs`. Browsers throttle timers of hidden tabs (to one a minute after five
 * minutes), so a periodic heartbeat would make a healthy hidden leader look dead; messages are not throttled.
 */
export class TabElection {
  private leader = false;
  private leaderTab: string | null = null;
  private lastHeard = 0;
  private pingSentAt: number | null = null;
  private claimTimer: ReturnType<typeof setTimeout> | null = null;
  private checkTimer: ReturnType<typeof setInterval> | null = null;
  private queued: AbortController | null = null;
  private release: (() => void) | null = null;
  private running = false;
  /** Bumped by every grant and every stop: a grant's callbacks act only while still current. */
  private grant = 0;

  constructor(
    private readonly name: string,
    readonly tabId: string,
    private readonly host: ElectionHost,
    private readonly locks: LockManagerLike | null,
    private readonly timing: ElectionTiming = defaultElectionTiming,
  ) {}

  /** True while this tab leads. */
  get isLeader(): boolean {
    return this.leader;
  }

  /** The leading tab's id, when known. */
  get currentLeader(): string | null {
    return this.leaderTab;
  }

  /** True when the election uses Web Locks (false: the channel-only fallback). */
  get usesLocks(): boolean {
    return this.locks !== null;
  }

  /** Joins the election. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastHeard = Date.now();
    this.checkTimer = setInterval(() => this.check(), this.timing.heartbeatMs);
    // Without locks, claim at once: a live leader answers the claim within the claim window.
    if (this.locks) this.queue();
    else this.claim();
  }

  /** Leaves the election (resigning when leading). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.grant++;
    if (this.checkTimer !== null) clearInterval(this.checkTimer);
    this.checkTimer = null;
    this.cancelClaim();
    this.queued?.abort();
    this.queued = null;
    this.stepDown();
    // Whoever leads when this tab rejoins is news to it (it re-announces its watches then).
    this.leaderTab = null;
  }

  /** Handles a message of another tab. */
  handle(message: RelayMessage): void {
    if (!this.running || message.from === this.tabId) return;
    if (message.from === this.leaderTab) this.lastHeard = Date.now();
    switch (message.type) {
      case 'ping':
        if (this.leader) this.host.post({ type: 'leader' });
        break;
      case 'claim':
        if (this.leader) this.host.post({ type: 'leader' });
        else if (this.claimTimer !== null && message.from < this.tabId) {
          this.cancelClaim(); // the lower id wins; give it a lease to announce itself
          this.lastHeard = Date.now();
          this.pingSentAt = Date.now();
        }
        break;
      case 'leader':
        this.onLeaderMessage(message.from);
        break;
      case 'bye':
        if (message.from === this.leaderTab) {
          this.leaderTab = null;
          // With locks the browser hands the lock on by itself; without, claim now rather than after a lease.
          if (!this.locks) this.claim();
        }
        break;
      default:
        break;
    }
  }

  private onLeaderMessage(from: string): void {
    this.cancelClaim();
    this.pingSentAt = null;
    this.lastHeard = Date.now();
    if (this.leader) {
      // Two leaders: only possible for a moment (a steal racing a thaw, or two claims crossing). With locks the
      // thawed tab's rejected request settles it; without, the lower id keeps leading.
      if (this.locks || this.tabId < from) {
        this.host.post({ type: 'leader' });
        return;
      }
      this.stepDown();
    }
    if (this.leaderTab !== from) {
      this.leaderTab = from;
      this.host.onNewLeader(from);
    }
  }

  private check(): void {
    if (!this.running || this.leader) return;
    const now = Date.now();
    if (this.pingSentAt !== null && this.lastHeard < this.pingSentAt && now - this.pingSentAt >= this.timing.leaseMs) {
      // Asked and not answered: the leader is gone or frozen.
      this.pingSentAt = null;
      this.leaderTab = null;
      if (this.locks) this.steal();
      else this.claim();
      return;
    }
    if (this.pingSentAt === null && now - this.lastHeard >= this.timing.heartbeatMs) {
      this.pingSentAt = now;
      this.host.post({ type: 'ping' });
    }
  }

  private claim(): void {
    if (!this.running || this.leader || this.claimTimer !== null) return;
    this.host.post({ type: 'claim' });
    this.claimTimer = setTimeout(() => {
      this.claimTimer = null;
      if (this.running && !this.leader) this.becomeLeader();
    }, Math.max(50, Math.round(this.timing.leaseMs / 10)));
  }

  private cancelClaim(): void {
    if (this.claimTimer !== null) clearTimeout(this.claimTimer);
    this.claimTimer = null;
  }

  /** Queues for the lock; the callback holds it until this tab resigns. */
  private queue(): void {
    if (!this.locks || this.queued || !this.running) return;
    const controller = new AbortController();
    this.queued = controller;
    this.locks
      .request(this.name, { signal: controller.signal }, () => {
        if (this.queued === controller) this.queued = null;
        return this.hold();
      })
      .catch(() => this.lost(controller));
  }

  /** Takes the lock from a leader that does not answer. */
  private steal(): void {
    if (!this.locks || !this.running) return;
    this.locks.request(this.name, { steal: true }, () => this.hold()).catch(() => this.lost(null));
  }

  private hold(): Promise<void> | undefined {
    if (!this.running) return undefined;
    const grant = ++this.grant;
    this.becomeLeader();
    return new Promise<void>((resolve) => {
      this.release = () => {
        if (this.grant === grant) this.release = null;
        resolve();
      };
    });
  }

  /** The lock request failed: aborted by stop(), or the lock was stolen from this tab (it was frozen). */
  private lost(controller: AbortController | null): void {
    if (controller && this.queued === controller) this.queued = null;
    if (!this.running) return;
    if (this.leader) this.stepDown();
    this.queue();
  }

  private becomeLeader(): void {
    this.cancelClaim();
    this.leader = true;
    this.leaderTab = this.tabId;
    this.pingSentAt = null;
    this.host.post({ type: 'leader' });
    this.host.onLeadership(true);
  }

  private stepDown(): void {
    const release = this.release;
    this.release = null;
    release?.();
    if (!this.leader) return;
    this.leader = false;
    this.leaderTab = null;
    this.lastHeard = Date.now();
    this.host.onLeadership(false);
  }
}
