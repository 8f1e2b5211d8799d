export * from './contracts.js';
export { createEnrichmentApi, EnrichmentApiError, OfflineQueue, type EnrichmentApi, type OnlineSource, type PolledStatus, type TokenProvider } from './api.js';
export { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.js';
export { createLogger, type Logger, type LogSink } from './logger.js';
export { notifyIfHidden, requestNotificationPermission } from './notifications.js';
export { clientDefaults, type ClientOptions } from './options.js';
export { StatusPoller } from './poller.js';
export { ConnectionQualityMeter, connectedMsAt } from './quality.js';
export { EnrichmentHubClient, type HubClientOptions, type HubProtocolName } from './signalr.js';
export { buildCursor, defaultMaxBomsPerStream, MultiBomSseStream, type MultiSseStreamOptions } from './multiSse.js';
export { defaultElectionTiming, TabElection, type ElectionHost, type ElectionTiming, type LockManagerLike } from './sharing/election.js';
export { isRelayMessage, relayVersion, type RelayMessage, type RelayMessageType, type RelayWatch } from './sharing/protocol.js';
export { SharedConnection, type ChannelLike, type SharedConnectionOptions, type SharedCore } from './sharing/sharedConnection.js';
export { sharedConnectionName, SharedBomStream, tabSharingAvailable, type SharedBomStreamOptions } from './sharing/sharedStream.js';
export { sharingIdentity, tokenSubject } from './sharing/subject.js';
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
export { cancelUrl, envBaseUrl, hubUrl, multiStreamUrl, resolveBaseUrl, startUrl, statusUrl, streamUrl } from './url.js';
