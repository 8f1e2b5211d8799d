using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using MessagePack;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Contracts;
using NotificationHub.MessagePackInterop;

namespace NotificationHub.Client;

/// <summary>
/// Watches BOM enrichment. In SignalR mode one hub connection carries every watched BOM; when it is lost and
/// re-established, every watched BOM is resubscribed from the last event id it received, so a watch sees no gap and
/// no duplicate. In SSE mode each watch is its own HTTP stream, reopened with <c>Last-Event-ID</c> when it drops.
/// </summary>
public sealed class EnrichmentClient : IAsyncDisposable
{
    /// <summary>Route of the hub.</summary>
    public const string HubPath = "/hubs/enrichment";

    private static readonly MessagePackSerializerOptions MessagePackOptions = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(
            new SystemTextJsonMessagePackResolver(ClientJsonContext.Default.Options, [typeof(EnrichmentEventMessage), typeof(BomNotice)]),
            DynamicEnumAsStringResolver.Instance,
            ContractlessStandardResolver.Instance))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    private readonly EnrichmentClientOptions _options;
    private readonly ConcurrentDictionary<string, BomWatch> _watches = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly SseWatcher? _sse;
    private HubConnection? _connection;
    private string? _connectionId;
    private int _disposed;

    /// <summary>Creates a client; it connects on the first <see cref="WatchAsync"/>.</summary>
    public EnrichmentClient(EnrichmentClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        if (options.Transport == EnrichmentTransport.Sse)
        {
            _sse = new SseWatcher(options);
        }
    }

    /// <summary>The hub connection's id in SignalR mode once connected (changes after a reconnect).</summary>
    public string? ConnectionId => _connection?.ConnectionId;

    /// <summary>Raised after a lost hub connection was re-established and every watch was resubscribed.</summary>
    public event Func<Task>? Resubscribed;

    /// <summary>
    /// Raised for each <see cref="BomNotice"/> the server sends to the watchers of a BOM this client watches (SignalR
    /// mode only). Notices are not events: not replayed, so one sent while the connection is down is missed.
    /// </summary>
    public event Func<BomNotice, Task>? NoticeReceived;

    /// <summary>
    /// The events of one BOM: <c>connected</c>, the replay after <paramref name="lastEventId"/> (or the snapshot),
    /// live events, and <c>stream_end</c>, after which the sequence ends. Ends empty when
    /// <paramref name="lastEventId"/> already is the terminal event. Many BOMs may be watched at once; one BOM once at a time.
    /// </summary>
    /// <exception cref="EnrichmentClientException">The server refused the watch or the connection was lost for good.</exception>
    public IAsyncEnumerable<EnrichmentEventMessage> WatchAsync(string bomId, string? lastEventId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(bomId);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _sse is not null ? _sse.WatchAsync(bomId, lastEventId, cancellationToken) : WatchHubAsync(bomId, lastEventId, cancellationToken);
    }

    private async IAsyncEnumerable<EnrichmentEventMessage> WatchHubAsync(
        string bomId, string? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connection = await EnsureConnectedAsync(cancellationToken);
        var watch = new BomWatch(bomId, lastEventId);
        if (!_watches.TryAdd(bomId, watch))
        {
            throw new InvalidOperationException($"BOM '{bomId}' is already watched by this client.");
        }

        try
        {
            await SubscribeAsync(connection, watch, cancellationToken);
            await foreach (var message in watch.Events.Reader.ReadAllAsync(cancellationToken))
            {
                yield return message;
            }
        }
        finally
        {
            _watches.TryRemove(new KeyValuePair<string, BomWatch>(bomId, watch));
            if (!watch.Ended && connection.State == HubConnectionState.Connected)
            {
                try
                {
                    await connection.InvokeAsync("UnsubscribeBom", bomId, CancellationToken.None);
                }
                catch (Exception ex) when (ex is HubException or InvalidOperationException or IOException or OperationCanceledException)
                {
                    // Best effort: the connection is going away anyway.
                }
            }
        }
    }

    private async Task<HubConnection> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_connection is { State: HubConnectionState.Connected } ready)
        {
            return ready;
        }

        await _startLock.WaitAsync(cancellationToken);
        try
        {
            _connection ??= Build();
            if (_connection.State == HubConnectionState.Disconnected)
            {
                await _connection.StartAsync(cancellationToken);
                _connectionId = _connection.ConnectionId;
            }

            return _connection;
        }
        finally
        {
            _startLock.Release();
        }
    }

    private HubConnection Build()
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(_options.BaseAddress, HubPath), http =>
            {
                http.AccessTokenProvider = async () => await _options.TokenProvider(CancellationToken.None);
                http.Transports = _options.SignalRTransports;
                if (_options.HttpMessageHandlerFactory is { } factory)
                {
                    http.HttpMessageHandlerFactory = _ => factory();
                }
            });
        if (_options.StatefulReconnect)
        {
            builder = builder.WithStatefulReconnect();
        }

        builder = _options.ReconnectPolicy is { } policy ? builder.WithAutomaticReconnect(policy) : builder.WithAutomaticReconnect();
        if (_options.Protocol == EnrichmentHubProtocol.MessagePack)
        {
            builder.AddMessagePackProtocol(o => o.SerializerOptions = MessagePackOptions);
        }
        else
        {
            builder.AddJsonProtocol(o => o.PayloadSerializerOptions.TypeInfoResolverChain.Insert(0, ClientJsonContext.Default));
        }

        var connection = builder.Build();
        connection.On<EnrichmentEventMessage>("EnrichmentEvent", OnEvent);
        connection.On<BomNotice>("BomNotice", notice => NoticeReceived is { } handler ? handler(notice) : Task.CompletedTask);
        connection.Reconnected += OnReconnectedAsync;
        connection.Closed += OnClosed;
        return connection;
    }

    private void OnEvent(EnrichmentEventMessage message)
    {
        if (message.BomId is { } bomId && _watches.TryGetValue(bomId, out var watch))
        {
            if (message.IsStreamEnd && message.AsStreamEnd()?.Reason is not (StreamEndReasons.Completed or StreamEndReasons.Failed))
            {
                // Cut off as a slow consumer (or the server ended the stream for another reason that is not the
                // run's end): the watch goes on, resubscribed from its last id, as an SSE watch reconnects.
                _ = ResubscribeAsync(watch);
                return;
            }

            watch.Receive(message);
        }
    }

    private async Task ResubscribeAsync(BomWatch watch)
    {
        if (_connection is not { State: HubConnectionState.Connected } connection)
        {
            return; // reconnecting: OnReconnectedAsync resubscribes every watch
        }

        try
        {
            await SubscribeAsync(connection, watch, CancellationToken.None);
        }
        catch (Exception ex) when (ex is EnrichmentClientException or HubException or InvalidOperationException or IOException)
        {
            if (_connection is { State: HubConnectionState.Connected })
            {
                watch.Fail(new EnrichmentClientException($"Resubscribing to BOM '{watch.BomId}' failed: {ex.Message}", ex));
            }
        }
    }

    private async Task OnReconnectedAsync(string? connectionId)
    {
        // A stateful reconnect keeps the connection (same id) and its server-side subscriptions: nothing to do.
        // A new connection has none: resubscribe every watch from the last id it received.
        if (connectionId == _connectionId || _connection is not { } connection)
        {
            return;
        }

        _connectionId = connectionId;
        foreach (var watch in _watches.Values)
        {
            if (watch.Ended)
            {
                continue;
            }

            try
            {
                await SubscribeAsync(connection, watch, CancellationToken.None);
            }
            catch (Exception ex) when (ex is HubException or InvalidOperationException or IOException)
            {
                watch.Fail(new EnrichmentClientException($"Resubscribing to BOM '{watch.BomId}' failed: {ex.Message}", ex));
            }
        }

        if (Resubscribed is { } handler)
        {
            await handler();
        }
    }

    private Task OnClosed(Exception? error)
    {
        foreach (var watch in _watches.Values)
        {
            if (_disposed != 0)
            {
                watch.Complete(); // disposed by its owner: the watches just end
                continue;
            }

            watch.Fail(new EnrichmentClientException("The connection to NotificationHub was lost.", error ?? new IOException("Connection closed.")));
        }

        return Task.CompletedTask;
    }

    private static async Task SubscribeAsync(HubConnection connection, BomWatch watch, CancellationToken cancellationToken)
    {
        var lastEventId = watch.BeginSubscribe();
        JsonElement subscription;
        try
        {
            subscription = await connection.InvokeAsync<JsonElement>("SubscribeBom", watch.BomId, lastEventId, cancellationToken);
        }
        catch (HubException ex)
        {
            throw new EnrichmentClientException(ex.Message.Replace("An unexpected error occurred invoking 'SubscribeBom' on the server. HubException: ", "", StringComparison.Ordinal), ex);
        }

        watch.EndSubscribe(subscription);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        foreach (var watch in _watches.Values)
        {
            watch.Complete();
        }

        _sse?.Dispose();
        _startLock.Dispose();
    }

    /// <summary>
    /// One watched BOM: its queue and the last id received. Events that arrive while a (re)subscription is in
    /// flight are held back so <c>connected</c> comes first, as over SSE.
    /// </summary>
    private sealed class BomWatch(string bomId, string? lastEventId)
    {
        private readonly Lock _gate = new();
        private readonly List<EnrichmentEventMessage> _pending = [];
        private bool _subscribing;

        public string BomId { get; } = bomId;

        public Channel<EnrichmentEventMessage> Events { get; } = Channel.CreateUnbounded<EnrichmentEventMessage>(
            new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

        public string? LastEventId { get; private set; } = lastEventId;

        public bool Ended { get; private set; }

        public string? BeginSubscribe()
        {
            lock (_gate)
            {
                _subscribing = true;
                _pending.Clear();
                return LastEventId;
            }
        }

        public void EndSubscribe(JsonElement subscription)
        {
            lock (_gate)
            {
                _subscribing = false;
                if (subscription.TryGetProperty("ended", out var ended) && ended.ValueKind == JsonValueKind.True)
                {
                    Ended = true;
                    Events.Writer.TryComplete();
                    return;
                }

                var connected = new ConnectedEvent
                {
                    BomId = BomId,
                    Message = subscription.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "Stream connected",
                    Recovered = !subscription.TryGetProperty("recovered", out var r) || r.ValueKind != JsonValueKind.False,
                };
                Events.Writer.TryWrite(new EnrichmentEventMessage(EnrichmentEventNames.Connected, null,
                    JsonSerializer.SerializeToElement(connected, EnrichmentJsonContext.Default.ConnectedEvent)));
                foreach (var message in _pending)
                {
                    Deliver(message);
                }

                _pending.Clear();
            }
        }

        public void Receive(EnrichmentEventMessage message)
        {
            lock (_gate)
            {
                if (_subscribing)
                {
                    _pending.Add(message);
                }
                else
                {
                    Deliver(message);
                }
            }
        }

        public void Fail(Exception error)
        {
            lock (_gate)
            {
                Events.Writer.TryComplete(error);
            }
        }

        public void Complete() => Events.Writer.TryComplete();

        private void Deliver(EnrichmentEventMessage message)
        {
            if (Ended || (message.Id is not null && message.Id == LastEventId))
            {
                return; // nothing after stream_end; never the same event twice in a row
            }

            if (message.Id is not null)
            {
                LastEventId = message.Id;
            }

            Events.Writer.TryWrite(message);
            if (message.IsStreamEnd)
            {
                Ended = true;
                Events.Writer.TryComplete();
            }
        }
    }
}
