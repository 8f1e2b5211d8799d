export * from './contracts.js';
export { createEnrichmentApi, EnrichmentApiError, OfflineQueue, type EnrichmentApi, type OnlineSource, type PolledStatus, type TokenProvider } from './api.js';
export { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.js';
export { createLogger, type Logger, type LogSink } from './logger.js';
export { notifyIfHidden, requestNotificationPermission } from './notifications.js';
export { clientDefaults, type ClientOptions } from './options.js';
export { StatusPoller } from './poller.js';
export { ConnectionQualityMeter, connectedMsAt } from './quality.js';
export { EnrichmentHubClient, type HubClientOptions, type HubProtocolName } from './signalr.js';
export { EnrichmentSseStream, type EventSourceConstructor, type EventSourceLike, type SseStreamOptions } from './sse.js';
export {
  compareLogIds,
  EnrichmentProgressTracker,
  initialSnapshot,
  type ConnectionQuality,
  type ConnectionStatus,
  type EnrichmentCallbacks,
  type EnrichmentSnapshot,
  type ReceivedEvent,
} from './state.js';
export { cancelUrl, envBaseUrl, hubUrl, resolveBaseUrl, startUrl, statusUrl, streamUrl } from './url.js';
