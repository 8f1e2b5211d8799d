import type { EnrichmentApi } from './api.js';
import type { Logger } from './logger.js';
import type { EnrichmentProgressTracker } from './state.js';

/**
 * The guide's graceful degradation: polls the status endpoint into the tracker until the run is terminal or the
 * poller is stopped. A failed poll is logged and retried at the next tick.
 */
export class StatusPoller {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private abort: AbortController | null = null;
  private running = false;

  constructor(
    private readonly api: EnrichmentApi,
    private readonly tracker: EnrichmentProgressTracker,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** True while polling. */
  get active(): boolean {
    return this.running;
  }

  /** Starts polling (the first poll runs at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tracker.setStatus('polling');
    this.logger.debug('Falling back to polling the status endpoint', { bomId: this.tracker.bomId, intervalMs: this.intervalMs });
    void this.tick();
  }

  /** Stops polling. */
  stop(): void {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    this.abort = null;
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    this.abort = new AbortController();
    try {
      const { state, lastEventId } = await this.api.status(this.tracker.bomId, this.abort.signal);
      if (!this.running) return;
      this.tracker.applyPolled(state, lastEventId);
      if (this.tracker.isTerminal) {
        this.logger.debug('Polling ended: the run is finished', { bomId: this.tracker.bomId, status: state.status });
        this.stop();
        this.tracker.setStatus('closed');
        return;
      }
    } catch (error) {
      if (!this.running) return;
      this.logger.warn('Status poll failed', { bomId: this.tracker.bomId, error: String(error) });
    }
    this.timer = setTimeout(() => void this.tick(), this.intervalMs);
  }
}
