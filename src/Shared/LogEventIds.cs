namespace NotificationHub;

/// <summary>
/// Every log event id of the product, in one table (YARP's <c>EventIds</c> style): each <c>[LoggerMessage]</c> names
/// its id from here, so ids cannot collide across areas or assemblies (<c>LogEventIdTests</c> checks it). Ids are
/// stable: dashboards and docs/operations.md refer to them; a new message takes the next free id of its area.
/// </summary>
/// <remarks>Compiled into every assembly that logs (a linked source file): one table, no shared runtime dependency.</remarks>
internal static class LogEventIds
{
    // 1–99: the event bus core (NotificationHub.Bus)
    public const int BusDroppedChannelMessage = 1;
    public const int BusSlowConsumer = 2;
    public const int BusTopicSubscribed = 3;
    public const int BusTopicUnsubscribed = 4;
    public const int BusUnsubscribeFailed = 5;
    public const int BusLiveDeliveryInterrupted = 6;
    public const int BusLiveDeliveryRestored = 7;
    public const int BusRecovered = 8;
    public const int BusUnrecoverable = 9;
    public const int BusRecoveryFailed = 10;
    public const int BusLogAheadOfDelivery = 11;
    public const int BusLogCheckFailed = 12;

    // 100: authentication (NotificationHub.Server/Auth)
    public const int AuthTokenRefused = 100;

    // 101–199: the Redis bus backend (NotificationHub.Bus.Redis)
    public const int RedisBusCorruptStoredEvent = 101;
    public const int RedisBusUnavailable = 102;
    public const int RedisBusConnectionFailed = 103;
    public const int RedisBusConnectionRestored = 104;
    public const int RedisBusSubscriptionsInterrupted = 105;
    public const int RedisBusResubscribeFailed = 106;
    public const int RedisBusResubscribed = 107;
    public const int RedisBusPubSubMode = 108;
    public const int RedisBusNotReplicated = 109;
    public const int RedisBusAcknowledgedNotPublished = 110;

    // 200–299: the SSE endpoint
    public const int SseOpened = 200;
    public const int SseEnded = 201;
    public const int SseRefused = 202;

    // 300–399: the SignalR hub
    public const int HubConnected = 300;
    public const int HubDisconnected = 301;
    public const int HubSubscribed = 302;
    public const int HubUnsubscribed = 303;
    public const int HubRefused = 304;
    public const int HubStreamEnded = 305;
    public const int HubPumpFailed = 306;
    public const int HubAlreadyEnded = 307;
    public const int HubBackplaneFailed = 308;
    public const int HubForeignConnectionToken = 309;
    public const int HubInvocationFailed = 310;
    public const int HubGroupChangeFailed = 311;

    // 400–419: the job worker (NotificationHub.Jobs)
    public const int JobsStarted = 400;
    public const int JobsEnded = 401;
    public const int JobsCrashed = 402;
    public const int JobsLeaseLost = 403;
    public const int JobsStepRetrying = 404;
    public const int JobsQueueUnavailable = 405;
    public const int JobsStepRecovered = 406;
    public const int JobsQueueRestored = 407;
    public const int JobsWorkerFailed = 408;

    // 420–499: the Redis job queue
    public const int RedisJobsTookOver = 420;
    public const int RedisJobsDroppedEntry = 421;
    public const int RedisJobsHeartbeatFailed = 422;
    public const int RedisJobsReleaseFailed = 423;
    public const int RedisJobsHeartbeatRestored = 424;
    public const int RedisJobsGiveBackFailed = 425;

    // 500–599: HTTP request handling
    public const int HttpBodyRefused = 500;
    public const int HttpBomIdRefused = 501;

    // 600–699: hosting: start, drain, stop
    public const int HostingDraining = 600;
    public const int HostingStopping = 601;
    public const int HostingStarted = 602;

    // 700–799: the publish endpoint
    public const int PublishRefused = 700;
    public const int PublishBatchRefused = 701;

    // 900–909: development endpoints
    public const int DevTokenIssued = 900;

    // 910–919: the demo page
    public const int DemoServing = 910;
    public const int DemoBundleMissing = 911;
}
