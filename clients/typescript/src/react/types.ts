import type { TokenProvider } from '../api.js';
import type { EnrichmentEnvelope, EnrichmentProgressState } from '../contracts.js';
import type { ClientOptions } from '../options.js';
import type { ConnectionQuality, ConnectionStatus, ReceivedEvent } from '../state.js';

/** Options of `useEnrichmentSSE` and `useEnrichmentSignalR`: the guide's four, plus `getToken` and `baseUrl`. */
export interface EnrichmentHookOptions extends Omit<ClientOptions, 'getToken'> {
  /** Connect on mount (default true). The guide's best practice for a BOM page: false, and connect on Re-Enrich. */
  autoConnect?: boolean;
  /** Called with every progress state. */
  onProgress?: (state: EnrichmentProgressState) => void;
  /** Called with the `enrichment.completed` event (refetch the BOM here). */
  onComplete?: (event: EnrichmentEnvelope) => void;
  /** Called with the error of a failed run or a connection error. */
  onError?: (error: string) => void;
  /** Returns a (fresh) token; called on connect and after `token_expired`. */
  getToken: TokenProvider;
  /** Called with every received event (analytics, debugging). */
  onEvent?: (event: ReceivedEvent) => void;
  /** Called when the connection-quality figures change (reconnects, time connected, last event). */
  onQuality?: (quality: ConnectionQuality) => void;
  /**
   * Share one connection with the other tabs of this origin and user (default true where BroadcastChannel exists): one
   * tab holds it for every tab's BOMs and relays the events (README, "Sharing one connection between tabs").
   */
  shareConnection?: boolean;
  /** Show a browser notification when the run completes while the tab is hidden (needs permission). */
  notifyWhenHidden?: boolean;
}

/** What the hooks return: exactly the guide's fields. */
export interface EnrichmentHookResult {
  progress: EnrichmentProgressState | null;
  progressPercent: number;
  isComplete: boolean;
  isFailed: boolean;
  error: string | null;
  isProcessing: boolean;
  connectionStatus: ConnectionStatus;
  connect: () => void;
  disconnect: () => void;
  retry: () => void;
}
