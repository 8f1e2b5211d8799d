using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>
/// The stream endpoints open their stream inside the request pipeline and are served after it returned
/// (<c>SseHandler.ServeAsync</c>): an open stream is no longer inside the authorization middleware, its request's DI
/// scope is released, and every refusal is still the pipeline's own answer, the same as any tenant endpoint's.
/// </summary>
public sealed class StreamHandOverTests
{
    private const string Portal = "http://localhost:27555";

    public static TheoryData<bool> SingleOrMulti() => new() { false, true };

    [Theory]
    [MemberData(nameof(SingleOrMulti))]
    public async Task An_open_stream_has_left_the_authorization_middleware_and_released_its_request_scope(bool multi)
    {
        var evaluations = new CountingAuthorizationHandler();
        var authorization = new ReturnWatchingResultHandler();
        var scopes = new ScopeProbeLog();
        await using var server = await HubServer.StartAsync(configure: builder =>
        {
            builder.Services.AddSingleton<IAuthorizationHandler>(evaluations);
            builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler>(authorization);
            builder.Services.AddSingleton(scopes);
            builder.Services.AddScoped<IAuthorizationHandler, ScopeProbe>(); // one per request scope, disposed with it
        });
        var bom = $"bom-handover-{Guid.NewGuid():N}";
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);

        var token = server.Token("acme");
        await using var sse = await (multi ? server.OpenMultiStreamAsync([bom], token) : server.OpenStreamAsync(bom, token));
        Assert.Equal(HttpStatusCode.OK, sse.StatusCode);
        Assert.Equal(EnrichmentEventNames.Connected, (await sse.ReadEventAsync())!.Event);

        // While the stream is open: the authorization middleware's call into the endpoint has returned, and the
        // request's scope (with the probe the policy evaluation resolved from it) is disposed.
        await authorization.Returned.Task.Bounded();
        await scopes.Disposed.Task.Bounded();
        Assert.Equal(1, evaluations.Count); // the stream's policy was evaluated once, by the pipeline

        // ...and the stream is live: what is published next arrives.
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 1);
        var events = await sse.ReadUntilAsync(EnrichmentEventNames.Progress);
        Assert.Equal(EnrichmentEventNames.Progress, events[^1].Event);
    }

    [Theory]
    [MemberData(nameof(SingleOrMulti))]
    public async Task An_exception_while_opening_a_stream_gets_the_exception_handlers_500_once_logged_and_releases_the_stream_and_lease(bool multi)
    {
        // A logging provider that fails once, on the "stream opened" line: the endpoint throws after it opened the
        // bus stream and took the lease, before the response started.
        var failing = new FailingOnceOnStreamOpened();
        var logs = new CapturingLoggerProvider();
        await using var server = await HubServer.StartAsync(
            new Dictionary<string, string?> { ["RateLimiting:PerUserConcurrentConnections"] = "1" },
            configure: builder =>
            {
                builder.Logging.AddProvider(failing);
                builder.Logging.AddProvider(logs);
                builder.Logging.AddFilter(typeof(NotificationHub.Server.Sse.SseHandler).FullName, LogLevel.Debug);
            });
        var bom = $"bom-throws-{Guid.NewGuid():N}";
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var token = server.Token("acme");

        await using (var failed = await (multi ? server.OpenMultiStreamAsync([bom], token) : server.OpenStreamAsync(bom, token)))
        {
            // The exception handler's answer: its problem details writer does not write for a client that accepts
            // only text/event-stream (EventSource), so a bare 500, as before streams were served after the pipeline.
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Equal("", await failed.Response.Content.ReadAsStringAsync().Bounded());
        }

        // Logged once, by the exception handler (Kestrel saw a handled request).
        var logged = Assert.Single(logs.Entries, e => e.Exception is AggregateException { InnerException: FailingOnceOnStreamOpened.Failure });
        Assert.Equal("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware", logged.Category);
        await Eventually.WaitUntilAsync(() => server.Bus.LocalSubscriptionCount == 0, "the opened bus stream was closed");

        // The lease went too: the same user's only allowed stream opens.
        await using var sse = await (multi ? server.OpenMultiStreamAsync([bom], token) : server.OpenStreamAsync(bom, token));
        Assert.Equal(HttpStatusCode.OK, sse.StatusCode);
        Assert.Equal(EnrichmentEventNames.Connected, (await sse.ReadEventAsync())!.Event);
    }

    public static TheoryData<string> Refusals() =>
    [
        "no token", "bad signature", "alg none", "expired", "wrong audience", "wrong issuer", "no tenant claim",
        "publisher token without tenant", "another tenant's BOM", "unknown BOM", "disallowed origin",
        "allowed origin without token", "allowed origin",
    ];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_stream_is_answered_with_the_pipelines_status_headers_and_body_as_a_tenant_endpoint_is(string why)
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = Portal });
        var bom = $"bom-refusal-{Guid.NewGuid():N}";
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var (token, origin, path) = why switch
        {
            "no token" => (null, null, bom),
            "bad signature" => (SseAuthTests.Mint(key: "another-signing-key-of-sufficient-length-000"), null, bom),
            "alg none" => (Unsigned(), null, bom),
            "expired" => (SseAuthTests.Mint(lifetime: TimeSpan.FromMinutes(-10)), null, bom),
            "wrong audience" => (SseAuthTests.Mint(audience: "someone-else"), null, bom),
            "wrong issuer" => (SseAuthTests.Mint(issuer: "evil"), null, bom),
            "no tenant claim" => (SseAuthTests.Mint(withTenant: false), null, bom),
            "publisher token without tenant" => (server.PublisherToken(), null, bom),
            "another tenant's BOM" => (server.Token("globex"), null, bom),
            "unknown BOM" => (server.Token("acme"), null, $"bom-unknown-{Guid.NewGuid():N}"),
            "disallowed origin" => (server.Token("acme"), "http://evil.example", bom),
            "allowed origin without token" => (null, Portal, bom),
            "allowed origin" => (server.Token("acme"), Portal, bom),
            _ => throw new ArgumentOutOfRangeException(nameof(why)),
        };
        var query = token is null ? "" : $"?token={token}";

        var tenantEndpoint = await AnswerAsync(server, $"api/enrichment/status/{path}{query}", origin);
        var stream = await AnswerAsync(server, $"api/enrichment/stream/{path}{query}", origin);
        var multiStream = await AnswerAsync(server, $"api/enrichment/stream?bom_id={path}{(token is null ? "" : $"&token={token}")}", origin);

        Assert.Equal(why is "disallowed origin" or "allowed origin", tenantEndpoint.Status == HttpStatusCode.OK);
        if (tenantEndpoint.Status == HttpStatusCode.OK)
        {
            // Served: a stream and a JSON answer differ in everything but CORS, which must be the same.
            Assert.Equal(HttpStatusCode.OK, stream.Status);
            Assert.Equal(HttpStatusCode.OK, multiStream.Status);
            Assert.Equal(Cors(tenantEndpoint.Headers), Cors(stream.Headers));
            Assert.Equal(Cors(tenantEndpoint.Headers), Cors(multiStream.Headers));
            Assert.Equal(why == "allowed origin", tenantEndpoint.Headers.Contains("Access-Control-Allow-Origin: " + Portal));
            return;
        }

        Assert.Equal(tenantEndpoint, stream);
        Assert.Equal(tenantEndpoint, multiStream);
        Assert.Equal("application/problem+json", tenantEndpoint.Headers.Single(h => h.StartsWith("Content-Type: ", StringComparison.Ordinal))["Content-Type: ".Length..].Split(';')[0]);
    }

    private sealed record Answer(HttpStatusCode Status, string[] Headers, string Body)
    {
        public bool Equals(Answer? other) => other is not null && Status == other.Status && Headers.SequenceEqual(other.Headers) && Body == other.Body;

        public override int GetHashCode() => Status.GetHashCode();

        public override string ToString() => $"{(int)Status}\n{string.Join('\n', Headers)}\n\n{Body}";
    }

    // Status, every header but Date (sorted), and the body with the per-request traceId blanked; a stream's body is not read.
    private static async Task<Answer> AnswerAsync(HubServer server, string path, string? origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Bounded();
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => h.Key != "Date")
            .Select(h => $"{h.Key}: {string.Join(", ", h.Value)}")
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return new Answer(response.StatusCode, headers, "");
        }

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync().Bounded())!.AsObject();
        body.Remove("traceId");
        return new Answer(response.StatusCode, headers, body.ToJsonString());
    }

    private static string[] Cors(string[] headers) =>
        headers.Where(h => h.StartsWith("Access-Control-", StringComparison.Ordinal) || h.StartsWith("Vary: ", StringComparison.Ordinal)).ToArray();

    private static string Unsigned()
    {
        static string B64(string json) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(json);
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        return $"{B64("""{"alg":"none","typ":"JWT"}""")}.{B64($$"""{"sub":"m","tenant_id":"acme","iss":"notificationhub","aud":"notificationhub","exp":{{exp}}}""")}.";
    }

    /// <summary>A logger provider whose first "SSE stream opened" line throws.</summary>
    private sealed class FailingOnceOnStreamOpened : ILoggerProvider, ILogger
    {
        private int _failed;

        public ILogger CreateLogger(string categoryName) =>
            categoryName == typeof(NotificationHub.Server.Sse.SseHandler).FullName ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name == "Opened" && Interlocked.Exchange(ref _failed, 1) == 0)
            {
                throw new Failure();
            }
        }

        public void Dispose()
        {
        }

        public sealed class Failure() : Exception("The log failed.");
    }

    /// <summary>The framework's result handler, noting when its call into the endpoint (a success's) has returned.</summary>
    private sealed class ReturnWatchingResultHandler : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _inner = new();

        public TaskCompletionSource Returned { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            await _inner.HandleAsync(next, context, policy, authorizeResult);
            if (authorizeResult.Succeeded)
            {
                Returned.TrySetResult();
            }
        }
    }

    /// <summary>Where <see cref="ScopeProbe"/> reports its disposal.</summary>
    private sealed class ScopeProbeLog
    {
        public TaskCompletionSource Disposed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A scoped authorization handler: resolved from the request's scope by a policy evaluation, disposed with it.</summary>
    private sealed class ScopeProbe(ScopeProbeLog log) : IAuthorizationHandler, IDisposable
    {
        public Task HandleAsync(AuthorizationHandlerContext context) => Task.CompletedTask;

        public void Dispose() => log.Disposed.TrySetResult();
    }
}
