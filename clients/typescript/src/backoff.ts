/** Reconnection schedule: exponential backoff with full-range jitter, capped. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. */
  initialDelayMs: number;
  /** Upper bound of any delay, ms. */
  maxDelayMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Share of the delay that is randomized, 0 to 1 (0.5: the delay is between 50 % and 100 % of the nominal one). */
  jitter: number;
}

/** The defaults: 0.5 s, 1 s, 2 s, 4 s ... up to 30 s, each up to 50 % shorter at random. */
export const defaultBackoff: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.5 };

/**
 * Delay before retry number `attempt` (0-based). Jitter spreads the reconnects of many clients after a server restart
 * so they do not all arrive in the same instant.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const nominal = Math.min(options.maxDelayMs, options.initialDelayMs * Math.pow(options.factor, Math.max(0, attempt)));
  const jitter = Math.min(1, Math.max(0, options.jitter));
  return Math.round(nominal * (1 - jitter * random()));
}
