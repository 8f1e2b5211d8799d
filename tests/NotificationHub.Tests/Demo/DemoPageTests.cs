using System.Net;
using NotificationHub.Server.Demo;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Demo;

public sealed class DemoPageTests : IDisposable
{
    private readonly string _contentRoot = Directory.CreateTempSubdirectory("nh-demo-").FullName;

    public void Dispose() => Directory.Delete(_contentRoot, recursive: true);

    [Fact]
    public async Task Serves_the_bundle_at_the_root_and_its_hashed_assets_as_immutable()
    {
        var bundle = Directory.CreateDirectory(Path.Combine(_contentRoot, DemoPageEndpoints.BundleFolder));
        Directory.CreateDirectory(Path.Combine(bundle.FullName, "assets"));
        await File.WriteAllTextAsync(Path.Combine(bundle.FullName, "index.html"), "<!doctype html><div id=\"root\"></div>");
        await File.WriteAllTextAsync(Path.Combine(bundle.FullName, "assets", "index-abc123.js"), "console.log(1)");
        await using var server = await HubServer.StartAsync(contentRootPath: _contentRoot);

        var page = await server.Client.GetAsync("").Bounded();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<div id=\"root\">", await page.Content.ReadAsStringAsync().Bounded(), StringComparison.Ordinal);
        Assert.Equal("no-cache", page.Headers.CacheControl?.ToString());

        var asset = await server.Client.GetAsync("assets/index-abc123.js").Bounded();
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Contains("immutable", asset.Headers.CacheControl?.ToString(), StringComparison.Ordinal);

        // The API keeps its own answers: an unknown API path is not the page.
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("api/nothing-here").Bounded()).StatusCode);
    }

    [Fact]
    public async Task Without_a_bundle_the_root_says_how_to_build_it()
    {
        await using var server = await HubServer.StartAsync(contentRootPath: _contentRoot);
        // Precondition: the bundle is copied beside the server's dll only, never beside the test assembly.
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, DemoPageEndpoints.BundleFolder, "index.html")));

        var page = await server.Client.GetAsync("").Bounded();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("npm run build:demo", await page.Content.ReadAsStringAsync().Bounded(), StringComparison.Ordinal);
    }
}
