using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>
/// SSE over HTTP/2 (docs/operations.md): Kestrel with a TLS endpoint configured as operators do (<c>Kestrel:Endpoints</c>,
/// a certificate file), a self-signed certificate made here, and <see cref="HttpClient"/> speaking HTTP/2 only: many
/// streams share one TCP connection, which is what lifts the browser's limit of 6 HTTP/1.1 connections per origin.
/// </summary>
public sealed class Http2SseTests : IDisposable
{
    private readonly string _certificatePath = Path.Combine(Path.GetTempPath(), $"nh-h2-{Guid.NewGuid():N}.pfx");
    private readonly X509Certificate2 _certificate;

    public Http2SseTests()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // serverAuth
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        File.WriteAllBytes(_certificatePath, _certificate.Export(X509ContentType.Pfx, "test"));
    }

    public void Dispose()
    {
        _certificate.Dispose();
        File.Delete(_certificatePath);
    }

    [Fact]
    public async Task Ten_sse_streams_share_one_http2_connection_and_every_event_arrives_on_each()
    {
        var connections = new ConcurrentQueue<(string Id, int LocalPort)>();
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:Tls:Url"] = "https://127.0.0.1:0",
            ["Kestrel:Endpoints:Tls:Protocols"] = "Http1AndHttp2",
            ["Kestrel:Endpoints:Tls:Certificate:Path"] = _certificatePath,
            ["Kestrel:Endpoints:Tls:Certificate:Password"] = "test",
        }, configure: builder => builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint =>
            endpoint.Use(next => connection =>
            {
                // Test-only connection middleware: every TCP connection Kestrel accepts.
                connections.Enqueue((connection.ConnectionId, (connection.LocalEndPoint as IPEndPoint)?.Port ?? 0));
                return next(connection);
            }))));
        var tls = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Single(a => a.StartsWith("https:", StringComparison.Ordinal)) + "/");

        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Trust exactly the certificate made above.
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == _certificate.GetCertHashString(),
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = tls, Timeout = TimeSpan.FromSeconds(30) };

        var boms = Enumerable.Range(0, 10).Select(i => $"bom-h2-{i}-{Guid.NewGuid():N}").ToArray();
        foreach (var bom in boms)
        {
            await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        }

        var token = server.Token("acme");
        var streams = await Task.WhenAll(boms.Select(bom =>
            SseConnection.OpenAsync(client, $"api/enrichment/stream/{bom}?token={token}", version: HttpVersion.Version20)));
        try
        {
            Assert.All(streams, s => Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20), (s.StatusCode, s.Response.Version)));
            foreach (var stream in streams)
            {
                await stream.ReadUntilAsync(EnrichmentEventNames.Progress); // connected, then the snapshot: every stream is live
            }

            var published = new Dictionary<string, List<string>>();
            foreach (var bom in boms)
            {
                published[bom] =
                [
                    (await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 1)).EventId,
                    (await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 2)).EventId,
                    (await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3)).EventId,
                ];
            }

            var received = await Task.WhenAll(streams.Select(s => s.ReadToEndAsync()));
            for (var i = 0; i < boms.Length; i++)
            {
                Assert.Equal(published[boms[i]], received[i].Where(e => e.Id is not null).Select(e => e.Id));
                Assert.Equal(EnrichmentEventNames.StreamEnd, received[i][^1].Event);
            }
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }

        Assert.Single(connections, c => c.LocalPort == tls.Port);
    }
}
