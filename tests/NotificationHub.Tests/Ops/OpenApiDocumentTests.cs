using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NotificationHub.Server.OpenApi;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Ops;

/// <summary>
/// <c>/openapi/v1.json</c> describes every endpoint the server maps, with the problem+json answers of
/// docs/protocol.md §6 (every status and <c>code</c> of that table), and the SSE stream as <c>text/event-stream</c>.
/// </summary>
public sealed partial class OpenApiDocumentTests
{
    [Fact]
    public async Task The_document_lists_every_mapped_endpoint_with_its_method()
    {
        await using var server = await HubServer.StartAsync(environmentName: Environments.Development);
        var document = await GetDocumentAsync(server);
        var paths = document["paths"]!.AsObject();

        // Route handlers carry their HTTP methods; the hub's, health's and metrics' endpoints carry none (any method).
        var mapped = server.Services.GetServices<EndpointDataSource>()
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .Select(endpoint => (Path: "/" + endpoint.RoutePattern.RawText!.TrimStart('/'),
                Methods: endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []))
            .Where(endpoint => !endpoint.Path.StartsWith("/openapi/", StringComparison.Ordinal) && !endpoint.Path.StartsWith("/scalar", StringComparison.Ordinal))
            .ToList();
        string[] expected = ["/api/dev/token", "/hubs/enrichment/negotiate", "/hubs/enrichment", "/health/ready", "/metrics"];
        Assert.All(expected, path => Assert.Contains(mapped, endpoint => endpoint.Path == path));

        var missing = mapped
            .SelectMany(endpoint => endpoint.Methods.Count == 0
                ? [(endpoint.Path, Method: (string?)null)]
                : endpoint.Methods.Select(method => (endpoint.Path, Method: (string?)method.ToLowerInvariant())))
            .Where(endpoint => endpoint.Method is null ? paths[endpoint.Path] is null : paths[endpoint.Path]?[endpoint.Method] is null)
            .Select(endpoint => $"{endpoint.Method ?? "any"} {endpoint.Path}")
            .ToList();
        Assert.True(missing.Count == 0, "Not in the OpenAPI document: " + string.Join(", ", missing));

        // The endpoints that are not route handlers: health and metrics.
        foreach (var path in new[] { "/health/live", "/health/ready", "/metrics" })
        {
            Assert.NotNull(paths[path]?["get"]);
        }
    }

    [Fact]
    public async Task The_document_has_every_documented_error_code_with_its_status_as_problem_json()
    {
        await using var server = await HubServer.StartAsync(environmentName: Environments.Development);
        var document = await GetDocumentAsync(server);

        var described = new HashSet<(int Status, string Code)>();
        foreach (var (_, item) in document["paths"]!.AsObject())
        {
            foreach (var (_, operation) in item!.AsObject())
            {
                foreach (var (status, response) in operation!["responses"]?.AsObject() ?? [])
                {
                    var schema = response!["content"]?["application/problem+json"]?["schema"];
                    foreach (var code in schema?["properties"]?["code"]?["enum"]?.AsArray() ?? [])
                    {
                        described.Add((int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), code!.GetValue<string>()));
                    }
                }
            }
        }

        var documented = DocumentedErrors();
        Assert.True(documented.Count >= 15, $"Read only {documented.Count} rows from docs/protocol.md §6.");
        var missing = documented.Where(error => !described.Contains(error)).ToList();
        Assert.True(missing.Count == 0, "Documented in docs/protocol.md §6 but not in the OpenAPI document: " + string.Join(", ", missing));
        var undocumented = described.Where(error => !documented.Contains(error)).ToList();
        Assert.True(undocumented.Count == 0, "In the OpenAPI document but not in docs/protocol.md §6: " + string.Join(", ", undocumented));
    }

    [Fact]
    public async Task The_stream_is_text_event_stream_and_bodies_are_described()
    {
        await using var server = await HubServer.StartAsync();
        var document = await GetDocumentAsync(server); // every environment has the document
        var paths = document["paths"]!;

        var stream = paths["/api/enrichment/stream/{bom_id}"]!["get"]!;
        Assert.NotNull(stream["responses"]!["200"]!["content"]!["text/event-stream"]);
        Assert.Contains(stream["parameters"]!.AsArray(), parameter => parameter!["name"]!.GetValue<string>() == "Last-Event-ID");
        var publish = paths["/api/enrichment/{bom_id}/events"]!["post"]!;
        Assert.NotNull(publish["requestBody"]!["content"]!["application/json"]!["schema"]);
        Assert.NotNull(publish["responses"]!["202"]!["content"]!["application/json"]);
        Assert.NotNull(publish["security"]);
        Assert.NotNull(paths["/api/enrichment/status/{bom_id}"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]);
        Assert.Null(paths["/api/dev/token"]); // Production: no dev token endpoint, and no reference page
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("scalar").Bounded()).StatusCode);
    }

    [Fact]
    public async Task Development_serves_the_interactive_reference()
    {
        await using var server = await HubServer.StartAsync(environmentName: Environments.Development);
        var response = await server.Client.GetAsync("scalar").Bounded();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    private static async Task<JsonNode> GetDocumentAsync(HubServer server)
    {
        using var response = await server.Client.GetAsync(ApiDocumentation.DocumentPath.TrimStart('/')).Bounded();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync().Bounded())!;
    }

    /// <summary>The (status, code) rows of the error table in docs/protocol.md §6.</summary>
    private static HashSet<(int Status, string Code)> DocumentedErrors()
    {
        var protocol = File.ReadAllText(RepositoryFiles.PathOf("docs/protocol.md"));
        var section = protocol[protocol.IndexOf("## 6. Errors", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        return [.. ErrorRow().Matches(section).Select(match => (int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[2].Value))];
    }

    [GeneratedRegex(@"^\| (\d{3}) \| `([a-z_]+)` \|", RegexOptions.Multiline)]
    private static partial Regex ErrorRow();
}
