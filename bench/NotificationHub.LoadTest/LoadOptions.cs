using System.Globalization;
using System.Net;

namespace NotificationHub.LoadTest;

/// <summary>Command-line options of one run (<c>--name value</c> pairs; see <see cref="Usage"/>).</summary>
internal sealed class LoadOptions
{
    public const string Usage = """
        NotificationHub.LoadTest: one bounded load run against NotificationHub (--target ours) or Nchan (--target nchan).
          --label NAME              scenario name in the report
          --target ours|nchan       (ours)
          --url URL[,URL...]        server base URL(s), 127.0.0.x only (http://127.0.0.1:27300); with several (nodes of
                                    one deployment), connections and publishes go to them round-robin
          --server-dll PATH         start NotificationHub.Server.dll on --url (else it must be running)
          --server-redis HOST:PORT  Redis:ConnectionString of the started server (empty: in-memory bus)
          --server-env K=V          extra environment of the started server (repeatable)
          --server-pid PID[,PID]    pids whose RSS/CPU are reported (a started server's is known)
          --signing-key KEY         Auth:SigningKey (the started server gets it)
          --sse N --signalr-json N --signalr-msgpack N   connections (each watches one BOM)
          --signalr-client raw|dotnet   SignalR subscribers: raw hub protocol over ClientWebSocket, reading events in
                                    place like the SSE reader (raw), or the real .NET client, which deserializes
                                    every message (dotnet) (raw)
          --boms K                  BOMs / channels the connections are spread over (100)
          --events M                events published per BOM (100)
          --rate R                  publish rate, events/s over all BOMs (0: as fast as --in-flight allows)
          --hold SECONDS            publish at --rate for this long instead of --events (M = R*S/K)
          --publish http|redis|batch   ours: through POST /api/enrichment/{bom}/events, PUBLISH on the bus channel, or
                                    batches through POST /api/enrichment/events (--batch-size events, one per BOM)
          --batch-size B            events per batch request with --publish batch (10)
          --redis HOST:PORT         Redis for --publish redis
          --warmup W                events per BOM published first and not measured (JIT, connection pools) (30)
          --in-flight N             concurrent publishes (64)
          --sources 127.0.0.1,127.0.0.2   source addresses, round-robin per connection
          --connect-concurrency N   connections opened at once (200)
          --settle SECONDS          idle time after connecting, before the idle RSS (3)
          --drain SECONDS           wait for missing deliveries after the last publish (10)
          --max-seconds S           hard bound of the whole run (115)
          --sample SECONDS          RSS sample period while publishing (10)
          --json-out FILE           append the JSON result line to FILE
        """;

    public string Label { get; set; } = "run";

    public string Target { get; set; } = "ours";

    /// <summary>The servers' base URLs: subscribers and publishes are spread over them round-robin.</summary>
    public List<Uri> Urls { get; } = [new("http://127.0.0.1:27300")];

    /// <summary>The first server: the one <c>--server-dll</c> starts.</summary>
    public Uri Url => Urls[0];

    public string? ServerDll { get; set; }

    public string? ServerRedis { get; set; }

    public List<string> ServerEnv { get; } = [];

    public List<int> ServerPids { get; } = [];

    public string SigningKey { get; set; } = "notificationhub-local-development-signing-key-not-for-production";

    public int Sse { get; set; }

    public int SignalRJson { get; set; }

    public int SignalRMessagePack { get; set; }

    /// <summary><c>raw</c>: <see cref="RawSignalRSubscriber"/>; <c>dotnet</c>: <see cref="SignalRSubscriber"/> (Microsoft.AspNetCore.SignalR.Client).</summary>
    public string SignalRClient { get; set; } = "raw";

    public int Boms { get; set; } = 100;

    public int EventsPerBom { get; set; } = 100;

    public double Rate { get; set; }

    public double HoldSeconds { get; set; }

    public string Publish { get; set; } = "http";

    public string? Redis { get; set; }

    /// <summary>Events per request with <c>--publish batch</c> (<see cref="BatchPublishing"/>).</summary>
    public int BatchSize { get; set; } = 10;

    public int InFlight { get; set; } = 64;

    public int Warmup { get; set; } = 30;

    public List<IPAddress> Sources { get; } = [];

    public int ConnectConcurrency { get; set; } = 200;

    public double SettleSeconds { get; set; } = 3;

    public double DrainSeconds { get; set; } = 10;

    public double MaxSeconds { get; set; } = 115;

    public double SampleSeconds { get; set; } = 10;

    public string? JsonOut { get; set; }

    public bool IsNchan => Target == "nchan";

    public int Connections => Sse + SignalRJson + SignalRMessagePack;

    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        var o = new LoadOptions();
        for (var i = 0; i < args.Count; i += 2)
        {
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{args[i]} needs a value");
            }

            var v = args[i + 1];
            switch (args[i])
            {
                case "--label": o.Label = v; break;
                case "--target": o.Target = v is "ours" or "nchan" ? v : throw new ArgumentException("--target is ours or nchan"); break;
                case "--url": o.Urls.Clear(); o.Urls.AddRange(v.Split(',').Select(u => new Uri(u))); break;
                case "--server-dll": o.ServerDll = v; break;
                case "--server-redis": o.ServerRedis = v; break;
                case "--server-env": o.ServerEnv.Add(v); break;
                case "--server-pid": o.ServerPids.AddRange(v.Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture))); break;
                case "--signing-key": o.SigningKey = v; break;
                case "--sse": o.Sse = Int(v); break;
                case "--signalr-json": o.SignalRJson = Int(v); break;
                case "--signalr-msgpack": o.SignalRMessagePack = Int(v); break;
                case "--signalr-client": o.SignalRClient = v is "raw" or "dotnet" ? v : throw new ArgumentException("--signalr-client is raw or dotnet"); break;
                case "--boms": o.Boms = Math.Max(1, Int(v)); break;
                case "--events": o.EventsPerBom = Int(v); break;
                case "--rate": o.Rate = Double(v); break;
                case "--hold": o.HoldSeconds = Double(v); break;
                case "--publish": o.Publish = v is "http" or "redis" or "batch" ? v : throw new ArgumentException("--publish is http, redis or batch"); break;
                case "--batch-size": o.BatchSize = Math.Max(1, Int(v)); break;
                case "--redis": o.Redis = v; break;
                case "--warmup": o.Warmup = Math.Max(0, Int(v)); break;
                case "--in-flight": o.InFlight = Math.Max(1, Int(v)); break;
                case "--sources": o.Sources.AddRange(v.Split(',').Select(IPAddress.Parse)); break;
                case "--connect-concurrency": o.ConnectConcurrency = Math.Max(1, Int(v)); break;
                case "--settle": o.SettleSeconds = Double(v); break;
                case "--drain": o.DrainSeconds = Double(v); break;
                case "--max-seconds": o.MaxSeconds = Double(v); break;
                case "--sample": o.SampleSeconds = Math.Max(1, Double(v)); break;
                case "--json-out": o.JsonOut = v; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (o.Urls.Any(u => !IPAddress.IsLoopback(IPAddress.Parse(u.Host))) || o.Sources.Any(s => !IPAddress.IsLoopback(s)))
        {
            throw new ArgumentException("the load tool only talks to 127.0.0.x");
        }

        if (o.IsNchan && (o.SignalRJson > 0 || o.SignalRMessagePack > 0 || o.Publish != "http"))
        {
            throw new ArgumentException("nchan: SSE (EventSource) subscribers and HTTP publishing only");
        }

        if (o.ServerDll is not null && o.Urls.Count > 1)
        {
            throw new ArgumentException("--server-dll starts one server: start the others yourself and give their --server-pid");
        }

        if (o.HoldSeconds > 0)
        {
            o.EventsPerBom = Math.Max(1, (int)(o.Rate * o.HoldSeconds / o.Boms));
        }

        return o;
    }

    private static int Int(string v) => int.Parse(v, CultureInfo.InvariantCulture);

    private static double Double(string v) => double.Parse(v, CultureInfo.InvariantCulture);
}
