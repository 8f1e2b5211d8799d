using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NotificationHub.Client;
using NotificationHub.Contracts;

namespace NotificationHub.Watch;

/// <summary>
/// <c>watch &lt;bom_id&gt; --token JWT [--url URL] [--transport signalr|sse] [--protocol json|messagepack] [--last-event-id ID]</c>:
/// prints each event of the BOM as <c>event id data</c>, one line each, until <c>stream_end</c>.
/// </summary>
public static class WatchCommand
{
    /// <summary>Usage text.</summary>
    public const string Usage =
        "usage: watch <bom_id> --token JWT [--url http://localhost:27200] [--transport signalr|sse] [--protocol json|messagepack] [--last-event-id ID]";

    // Console text, not HTML: escape only what JSON requires, so every transport prints the same text for the same data
    // (MessagePack's data is re-written by a JSON writer, whose default escaping turned "+00:00" into "\u002B00:00").
    private static readonly JsonWriterOptions ConsoleJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Runs the command; 0 after <c>stream_end</c> of a completed run (and for <c>--help</c>), 3 of a failed one, 2 on bad usage, 1 on errors.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["watch", .. var rest])
        {
            args = rest;
        }

        string? bomId = null, token = null, lastEventId = null;
        var url = "http://localhost:27200";
        var transport = EnrichmentTransport.SignalR;
        var protocol = EnrichmentHubProtocol.Json;
        for (var i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--help" or "-h":
                    await output.WriteLineAsync(Usage);
                    return 0;
                case "--token": token = Next(); break;
                case "--url": url = Next() ?? url; break;
                case "--last-event-id": lastEventId = Next(); break;
                case "--transport":
                    transport = Next() switch
                    {
                        "sse" => EnrichmentTransport.Sse,
                        "signalr" => EnrichmentTransport.SignalR,
                        _ => (EnrichmentTransport)(-1),
                    };
                    break;
                case "--protocol":
                    protocol = Next() switch
                    {
                        "json" => EnrichmentHubProtocol.Json,
                        "messagepack" => EnrichmentHubProtocol.MessagePack,
                        _ => (EnrichmentHubProtocol)(-1),
                    };
                    break;
                case var positional when !positional.StartsWith("--", StringComparison.Ordinal) && bomId is null:
                    bomId = positional;
                    break;
                default:
                    await error.WriteLineAsync($"unknown argument: {args[i]}");
                    await error.WriteLineAsync(Usage);
                    return 2;
            }
        }

        if (bomId is null || string.IsNullOrEmpty(token) || !Enum.IsDefined(transport) || !Enum.IsDefined(protocol)
            || !Uri.TryCreate(url, UriKind.Absolute, out var baseAddress))
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        await using var client = new EnrichmentClient(new EnrichmentClientOptions
        {
            BaseAddress = baseAddress,
            TokenProvider = _ => ValueTask.FromResult(token),
            Transport = transport,
            Protocol = protocol,
        });
        try
        {
            var exitCode = 0;
            await foreach (var message in client.WatchAsync(bomId, lastEventId, cancellationToken))
            {
                await output.WriteLineAsync($"{message.Event} {message.Id ?? "-"} {ToConsoleText(message.Data)}");
                if (message.AsStreamEnd()?.Reason == StreamEndReasons.Failed)
                {
                    exitCode = 3;
                }
            }

            return exitCode;
        }
        catch (EnrichmentClientException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 130;
        }
    }

    private static string ToConsoleText(JsonElement data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, ConsoleJson))
        {
            data.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
