using System.Collections;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>One event as seen on a wire: SSE <c>(id:, event:, data:)</c> or SignalR <c>{id, event, data}</c>.</summary>
public sealed record WireEvent(string? Id, string Event, JsonNode Data)
{
    public string? BomId => Data["bom_id"]?.GetValue<string>();

    public bool SameAs(WireEvent other) => Id == other.Id && Event == other.Event && JsonNode.DeepEquals(Data, other.Data);

    public override string ToString() => $"{Id} {Event} {Data.ToJsonString()}";

    /// <summary>An event read from the SSE stream by <see cref="SseConnection"/>.</summary>
    public static WireEvent FromSse(SseEvent e) => new(e.Id, e.Event, JsonNode.Parse(e.Data)!);

    public static WireEvent FromJson(JsonElement message) => new(
        message.GetProperty("id").ValueKind == JsonValueKind.Null ? null : message.GetProperty("id").GetString(),
        message.GetProperty("event").GetString()!,
        JsonNode.Parse(message.GetProperty("data").GetRawText())!);

    /// <summary>
    /// A message as the stock MessagePack client decodes it (no custom resolver): must be a map with string keys,
    /// whose <c>data</c> is a map too, with only JSON-like values (a MessagePack timestamp would fail here).
    /// </summary>
    public static WireEvent FromMessagePack(object message)
    {
        var node = ToNode(message) as JsonObject ?? throw new InvalidOperationException("The message is not a map.");
        Assert.Equal(3, node.Count);
        Assert.IsType<JsonObject>(node["data"]);
        return new WireEvent(node["id"]?.GetValue<string>(), node["event"]!.GetValue<string>(), node["data"]!.DeepClone());
    }

    /// <summary>A value the stock MessagePack client decoded, as JSON (maps must have string keys, no timestamps).</summary>
    public static JsonElement MessagePackToJson(object? value) => JsonSerializer.SerializeToElement(ToNode(value));

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        byte or sbyte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong u => JsonValue.Create(u),
        float or double => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
        IDictionary map => MapToNode(map),
        IEnumerable list => new JsonArray([.. list.Cast<object?>().Select(ToNode)]),
        _ => throw new InvalidOperationException($"Unexpected MessagePack value of type {value.GetType()}: {value}"),
    };

    private static JsonObject MapToNode(IDictionary map)
    {
        var obj = new JsonObject();
        foreach (DictionaryEntry entry in map)
        {
            obj[Assert.IsType<string>(entry.Key)] = ToNode(entry.Value);
        }

        return obj;
    }
}

/// <summary>A SignalR client that records every <c>EnrichmentEvent</c> and every <c>BomNotice</c> (as JSON).</summary>
public sealed class HubClient : IAsyncDisposable
{
    private readonly Channel<WireEvent> _events = Channel.CreateUnbounded<WireEvent>();
    private readonly Channel<JsonElement> _notices = Channel.CreateUnbounded<JsonElement>();

    private readonly bool _messagePack;

    private HubClient(HubConnection connection, bool messagePack)
    {
        Connection = connection;
        _messagePack = messagePack;
    }

    public HubConnection Connection { get; }

    public static Task<HubClient> ConnectAsync(HubServer server, string token, bool messagePack = false,
        HttpTransportType transport = HttpTransportType.WebSockets) =>
        ConnectAsync(server.HubUrl, token, messagePack, transport);

    public static async Task<HubClient> ConnectAsync(Uri hubUrl, string token, bool messagePack = false,
        HttpTransportType transport = HttpTransportType.WebSockets)
    {
        var builder = new HubConnectionBuilder().WithUrl(hubUrl, options =>
        {
            options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            options.Transports = transport;
        });
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }

        var connection = builder.Build();
        var client = new HubClient(connection, messagePack);
        if (messagePack)
        {
            connection.On<object>("EnrichmentEvent", message => client._events.Writer.TryWrite(WireEvent.FromMessagePack(message)));
            connection.On<object>("BomNotice", notice => client._notices.Writer.TryWrite(WireEvent.MessagePackToJson(notice)));
        }
        else
        {
            connection.On<JsonElement>("EnrichmentEvent", message => client._events.Writer.TryWrite(WireEvent.FromJson(message)));
            connection.On<JsonElement>("BomNotice", notice => client._notices.Writer.TryWrite(notice));
        }

        await connection.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return client;
    }

    /// <summary>Subscribes; the result as JSON (over MessagePack: checked to be a plain map first).</summary>
    public async Task<JsonElement> SubscribeAsync(string bomId, string? lastEventId = null) =>
        _messagePack
            ? WireEvent.MessagePackToJson(await Connection.InvokeAsync<object>("SubscribeBom", bomId, lastEventId).WaitAsync(TimeSpan.FromSeconds(10)))
            : await Connection.InvokeAsync<JsonElement>("SubscribeBom", bomId, lastEventId).WaitAsync(TimeSpan.FromSeconds(10));

    public Task<bool> UnsubscribeAsync(string bomId) =>
        Connection.InvokeAsync<bool>("UnsubscribeBom", bomId).WaitAsync(TimeSpan.FromSeconds(10));

    public async Task<WireEvent> NextAsync() => await _events.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Events of one BOM up to and including its <c>stream_end</c>; other BOMs' events are kept aside.</summary>
    public async Task<List<WireEvent>> ReadUntilStreamEndAsync()
    {
        var list = new List<WireEvent>();
        while (true)
        {
            var next = await NextAsync();
            list.Add(next);
            if (next.Event == "stream_end")
            {
                return list;
            }
        }
    }

    public bool TryPeek(out WireEvent? next) => _events.Reader.TryPeek(out next);

    /// <summary>The next <c>BomNotice</c> received.</summary>
    public async Task<JsonElement> NextNoticeAsync() => await _notices.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>A <c>BomNotice</c> already received, if any (after a later notice has arrived: proof nothing else came).</summary>
    public bool TryReadNotice(out JsonElement notice) => _notices.Reader.TryRead(out notice);

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
