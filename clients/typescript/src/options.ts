import type { TokenProvider } from './api.js';
import type { BackoffOptions } from './backoff.js';
import type { LogSink } from './logger.js';

/** Options shared by the SSE and SignalR clients. */
export interface ClientOptions {
  /** Returns a token; called on every connect and after `token_expired`. */
  getToken: TokenProvider;
  /** Server origin, without `/api` (default: `VITE_CNS_API_URL`, else the page's origin). */
  baseUrl?: string;
  /** Write the `[SSE]`/`[SignalR]` debug lines (default true; warnings and errors are always written). */
  debug?: boolean;
  /** Where log lines go (default: the console). */
  logSink?: LogSink;
  /** The reconnection schedule. */
  backoff?: BackoffOptions;
  /** Failed connection attempts in a row after which the client polls the status endpoint instead (default 5). */
  maxFailedAttempts?: number;
  /** Polling interval of the fallback, ms (default 2000). */
  pollIntervalMs?: number;
  /** fetch for the status endpoint (default: the global one). */
  fetch?: typeof fetch;
}

/** Defaults of {@link ClientOptions}. */
export const clientDefaults = {
  debug: true,
  maxFailedAttempts: 5,
  pollIntervalMs: 2000,
} as const;
