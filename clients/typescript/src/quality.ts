import type { ConnectionQuality } from './state.js';
import { Listeners } from './listeners.js';

/** Measures connection quality for one client. `now` is injectable for tests. */
export class ConnectionQualityMeter {
  private reconnects = 0;
  private connectedMs = 0;
  private connectedSince: number | null = null;
  private lastEventAt: number | null = null;
  private eventsReceived = 0;
  private everConnected = false;
  private pollingFallback = false;
  private readonly listeners = new Listeners<ConnectionQuality>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A connection opened. */
  opened(): void {
    if (this.connectedSince !== null) return;
    if (this.everConnected) this.reconnects++;
    this.everConnected = true;
    this.pollingFallback = false;
    this.connectedSince = this.now();
    this.notify();
  }

  /** The connection closed or broke. */
  closed(): void {
    if (this.connectedSince === null) return;
    this.connectedMs += this.now() - this.connectedSince;
    this.connectedSince = null;
    this.notify();
  }

  /** An event arrived. */
  event(): void {
    this.eventsReceived++;
    this.lastEventAt = this.now();
    this.notify();
  }

  /** The client fell back to polling. */
  polling(): void {
    this.pollingFallback = true;
    this.notify();
  }

  /** The figures now. */
  snapshot(): ConnectionQuality {
    const now = this.now();
    return {
      reconnects: this.reconnects,
      connectedMs: this.connectedMs + (this.connectedSince === null ? 0 : now - this.connectedSince),
      connectedSince: this.connectedSince,
      takenAt: now,
      lastEventAt: this.lastEventAt,
      msSinceLastEvent: this.lastEventAt === null ? null : now - this.lastEventAt,
      eventsReceived: this.eventsReceived,
      pollingFallback: this.pollingFallback,
    };
  }

  /** Listens to changes; returns the unsubscribe function. */
  subscribe(listener: (quality: ConnectionQuality) => void): () => void {
    return this.listeners.add(listener);
  }

  private notify(): void {
    if (this.listeners.size === 0) return;
    const snapshot = this.snapshot();
    this.listeners.emit(snapshot);
  }
}

/**
 * Time connected as of `now`, from a snapshot: its `connectedMs` already holds the current connection up to `takenAt`,
 * so only the time since the snapshot is added (and nothing when not connected).
 */
export function connectedMsAt(quality: ConnectionQuality, now: number): number {
  return quality.connectedMs + (quality.connectedSince === null ? 0 : Math.max(0, now - quality.takenAt));
}
